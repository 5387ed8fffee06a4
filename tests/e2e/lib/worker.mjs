// Worker-side helpers for the workflow suites: one pre-built workflow bundle per process (cached
// on disk by content hash), a Runtime whose logs are kept in memory and printed only when a test
// fails, bounded Worker start/stop on a unique task queue, and history helpers.
//
// Typical use:
//   await withEnv(t, {}, async ({ server, client, worker }) => { ... client.workflow.execute(...) });
// withEnv starts a server, a Client and a Worker, and always stops them (worker first), both from
// its own `finally` and from t.after (in case the test times out).

import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { Client } from '@temporalio/client';
import { bundleWorkflowCode, DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import * as defaultActivities from '../activities.mjs';
import { bounded, proto, sleep, startServer } from './server.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
export const WORKFLOWS_PATH = path.join(here, '..', 'workflows', 'index.ts');

export const WORKER_START_TIMEOUT_MS = 15_000;
export const WORKER_STOP_TIMEOUT_MS = 15_000;
/** Default bound for one workflow run driven by a test. */
export const RUN_TIMEOUT_MS = 20_000;

const { EventType } = proto.temporal.api.enums.v1;

// ---------------------------------------------------------------------------------------------
// Runtime and logs.

const MAX_LOG_LINES = 2_000;
const logLines = [];
let logSeq = 0; // lines ever logged; logLines holds the last MAX_LOG_LINES of them
function keepLog({ level, message, meta, timestampNanos }) {
  const when = new Date(Number(timestampNanos / 1_000_000n)).toISOString();
  let line = `${when} [${level}] ${message}`;
  if (meta && Object.keys(meta).length) {
    try {
      line += ` ${JSON.stringify(meta, (_, v) => (typeof v === 'bigint' ? String(v) : v))}`;
    } catch {
      /* unserialisable meta */
    }
  }
  logLines.push(line);
  logSeq++;
  if (logLines.length > MAX_LOG_LINES) logLines.splice(0, logLines.length - MAX_LOG_LINES);
}

// Must run before anything touches Runtime.instance() (NativeConnection.connect, Worker.create).
// Core (Rust) logs are not forwarded here: forwarding keeps a timer alive and the test process
// would never exit. Core writes its WARN/ERROR lines straight to the console instead.
Runtime.install({
  logger: new DefaultLogger('INFO', keepLog),
  telemetryOptions: { logging: { filter: { core: 'WARN', other: 'ERROR' } } },
});

/** A position in the log stream, for workerLogs(mark). */
export const logMark = () => logSeq;

/** SDK + core log lines since `mark` (from logMark()), as far as they are still kept. */
export function workerLogs(mark = 0) {
  const firstKept = logSeq - logLines.length;
  return logLines.slice(Math.max(0, mark - firstKept)).join('\n');
}

// ---------------------------------------------------------------------------------------------
// Workflow bundle: built once per process; cached under os.tmpdir() by hash of the workflow
// sources and the SDK version, so the three suites do not each pay for webpack.

let bundlePromise;

function bundleKey() {
  const h = crypto.createHash('sha256');
  const require = createRequire(import.meta.url);
  const pkg = JSON.parse(fs.readFileSync(require.resolve('@temporalio/workflow/package.json'), 'utf8'));
  h.update(`sdk ${pkg.version}\n`);
  const dir = path.dirname(WORKFLOWS_PATH);
  for (const f of fs.readdirSync(dir).sort()) {
    if (/\.(ts|js|mjs|cjs)$/.test(f)) h.update(`${f}\n`).update(fs.readFileSync(path.join(dir, f)));
  }
  return h.digest('hex').slice(0, 24);
}

/** The pre-built workflow bundle ({code}) for `workflowBundle:` options. */
export function getBundle() {
  bundlePromise ??= (async () => {
    const cacheFile = path.join(os.tmpdir(), `sandglass-e2e-wf-bundle-${bundleKey()}.js`);
    if (!process.env.SANDGLASS_E2E_NO_BUNDLE_CACHE) {
      try {
        return { code: fs.readFileSync(cacheFile, 'utf8') };
      } catch {
        /* not cached yet */
      }
    }
    const { code } = await bounded(
      bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: new DefaultLogger('WARN', keepLog) }),
      120_000,
      'bundleWorkflowCode',
    );
    const tmp = `${cacheFile}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, code);
    fs.renameSync(tmp, cacheFile);
    return { code };
  })();
  return bundlePromise;
}

// ---------------------------------------------------------------------------------------------
// Worker.

let tqSeq = 0;
/** A task queue name no other test uses. */
export function uniqueTaskQueue(prefix = 'e2e') {
  return `${prefix}-${process.pid}-${++tqSeq}-${crypto.randomBytes(3).toString('hex')}`;
}

/**
 * Connects a NativeConnection to `address`, creates a Worker on a unique task queue with the
 * shared bundle and ../activities.mjs, and runs it in the background.
 * Returns {worker, taskQueue, connection, runError(), stop()}; stop() is idempotent and bounded.
 */
export async function startWorker(address, { taskQueue = uniqueTaskQueue(), activities = defaultActivities, ...opts } = {}) {
  const workflowBundle = await getBundle();
  const connection = await bounded(NativeConnection.connect({ address }), WORKER_START_TIMEOUT_MS, 'NativeConnection.connect');
  let worker;
  try {
    worker = await bounded(
      Worker.create({
        connection,
        namespace: 'default',
        taskQueue,
        workflowBundle,
        activities,
        shutdownGraceTime: '1 s',
        shutdownForceTime: '5 s',
        ...opts,
      }),
      WORKER_START_TIMEOUT_MS,
      'Worker.create',
    );
  } catch (err) {
    await bounded(connection.close(), 5_000, 'NativeConnection.close').catch(() => {});
    throw err;
  }
  let runError;
  const running = worker.run().catch((err) => {
    runError = err;
  });
  let stopping;
  const handle = {
    worker,
    taskQueue,
    connection,
    /** The error Worker.run() rejected with, if it did. */
    runError: () => runError,
    stop() {
      stopping ??= (async () => {
        const state = worker.getState();
        if (state === 'RUNNING') worker.shutdown();
        await bounded(running, WORKER_STOP_TIMEOUT_MS, 'Worker.run to finish after shutdown').catch((err) => {
          keepLog({ level: 'ERROR', message: `worker stop: ${err.message}`, timestampNanos: BigInt(Date.now()) * 1_000_000n });
        });
        await bounded(connection.close(), 5_000, 'NativeConnection.close').catch(() => {});
      })();
      return stopping;
    },
  };
  return handle;
}

// ---------------------------------------------------------------------------------------------
// Server + client + worker for one test.

/**
 * Starts a server ({dbFile, port, args} as startServer), a Client on it and (unless
 * `worker: false`) a Worker with `workerOptions`; runs `fn(env)`; on failure prints the server
 * output and the SDK/core logs; always stops worker, client and server (also from t.after).
 * env = {server, client, connection, worker, taskQueue, restartServer({kill})}.
 */
export async function withEnv(t, { worker: wantWorker = true, workerOptions = {}, ...serverOpts } = {}, fn) {
  const mark = logMark();
  const env = { server: await startServer(serverOpts), worker: undefined };
  const pastServers = [];
  async function connectClient() {
    env.connection = await env.server.connect();
    env.client = new Client({ connection: env.connection, namespace: 'default' });
  }
  let closing;
  const close = () =>
    (closing ??= (async () => {
      if (env.worker) await env.worker.stop();
      await env.server.stop();
    })());
  t.after(close);
  try {
    await connectClient();
    if (wantWorker) {
      env.worker = await startWorker(env.server.address, workerOptions);
      env.taskQueue = env.worker.taskQueue;
    } else {
      env.taskQueue = uniqueTaskQueue();
    }
    /**
     * kill -9 the server (or SIGTERM with {kill: false}), then start it again on the same port
     * and db file; the worker's NativeConnection reconnects by itself, the Client is recreated.
     */
    env.restartServer = async ({ kill = true, downMs = 0 } = {}) => {
      const old = env.server;
      pastServers.push(old);
      if (kill) await old.kill9();
      else await old.stop();
      if (downMs) await sleep(downMs);
      env.server = await startServer({ ...serverOpts, port: old.port });
      await connectClient();
      return env.server;
    };
    return await fn(env);
  } catch (err) {
    const out = [...pastServers, env.server].map((s) => s.output()).join('\n--- (restarted) ---\n');
    const msg = `--- server output (${t.name}) ---\n${out}\n--- SDK/core logs ---\n${workerLogs(mark)}`;
    t.diagnostic(msg);
    console.error(msg);
    throw err;
  } finally {
    await close();
  }
}

// ---------------------------------------------------------------------------------------------
// Histories.

/** 'EVENT_TYPE_ACTIVITY_TASK_SCHEDULED' → 'ActivityTaskScheduled'. */
export function eventTypeName(type) {
  const name = typeof type === 'string' ? type : EventType[type];
  if (!name) return `Unknown(${type})`;
  return name
    .replace(/^EVENT_TYPE_/, '')
    .toLowerCase()
    .replace(/(^|_)([a-z])/g, (_, __, c) => c.toUpperCase());
}

/** protobufjs int64 (Long | number | string) → number. */
export const num = (v) =>
  v == null ? v : typeof v === 'number' ? v : typeof v.toNumber === 'function' ? v.toNumber() : Number(v);

/** Event type names of `history` in order. */
export const eventTypes = (history) => history.events.map((e) => eventTypeName(e.eventType));

/** Events of `history` whose type name is `name`. */
export const eventsOf = (history, name) => history.events.filter((e) => eventTypeName(e.eventType) === name);

/** Throws unless event ids are 1, 2, 3, … in order. */
export function assertContiguousIds(history) {
  history.events.forEach((e, i) => {
    if (num(e.eventId) !== i + 1) {
      throw new Error(`event #${i} (${eventTypeName(e.eventType)}) has id ${num(e.eventId)}, expected ${i + 1}:\n${describeHistory(history)}`);
    }
  });
}

/** One line per event, for assertion messages. */
export function describeHistory(history) {
  return history.events.map((e) => `  ${num(e.eventId)} ${eventTypeName(e.eventType)}`).join('\n');
}

/**
 * Runs client calls `fn()` (anything using `client`, e.g. execute, handle.result, describe) for at
 * most `ms`: on time-out the in-flight gRPC calls are aborted (so no retry or long poll outlives
 * the test) and the error says what timed out.
 */
export async function within(client, ms, label, fn) {
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(), ms);
  try {
    return await bounded(client.connection.withAbortSignal(ac.signal, fn), ms + 2_000, label);
  } catch (err) {
    if (ac.signal.aborted) throw new Error(`timed out after ${ms} ms: ${label}`, { cause: err });
    throw err;
  } finally {
    clearTimeout(timer);
  }
}

/** handle.fetchHistory(), bounded. */
export function fetchHistory(handle, ms = 10_000) {
  return within(handle.client, ms, `fetchHistory(${handle.workflowId})`, () => handle.fetchHistory());
}

/** Worker.runReplayHistory with the shared bundle; throws (e.g. DeterminismViolationError) on failure. */
export async function replay(history, workflowId) {
  const workflowBundle = await getBundle();
  await bounded(Worker.runReplayHistory({ workflowBundle }, history, workflowId), 30_000, 'Worker.runReplayHistory');
}

/** Polls `fn` every `everyMs` until it returns a truthy value (returned) or `ms` passes (throws). */
export async function eventually(fn, ms, label, everyMs = 100) {
  const deadline = Date.now() + ms;
  let last;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`not reached within ${ms} ms: ${label}${last ? ` (last error: ${last.message})` : ''}`);
    await sleep(everyMs);
  }
}

/** `client.workflow.execute(...)` bounded by `ms`. */
export function execute(client, workflowType, options, ms = RUN_TIMEOUT_MS) {
  return within(client, ms, `execute ${workflowType} ${options.workflowId}`, () =>
    client.workflow.execute(workflowType, options),
  );
}

/** `client.workflow.start(...)` bounded by `ms`; returns the handle. */
export function start(client, workflowType, options, ms = 5_000) {
  return within(client, ms, `start ${workflowType} ${options.workflowId}`, () => client.workflow.start(workflowType, options));
}

/** `handle.result()` bounded by `ms`. */
export function result(handle, ms = RUN_TIMEOUT_MS) {
  return within(handle.client, ms, `result of ${handle.workflowId}`, () => handle.result());
}

/** `handle.describe()` bounded by `ms`. */
export function describe(handle, ms = 5_000) {
  return within(handle.client, ms, `describe ${handle.workflowId}`, () => handle.describe());
}

/** Runs `promise` expecting rejection; returns the error (fails if it resolves). */
export async function rejection(promise) {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection, but the promise resolved');
}

/** A workflow id unique to this process and `label`. */
export function wfId(label) {
  return `${label}-${process.pid}-${crypto.randomBytes(4).toString('hex')}`;
}
