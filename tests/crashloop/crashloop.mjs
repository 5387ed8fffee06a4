#!/usr/bin/env node
// Black-box crash loop: under load from the official Temporal TypeScript SDK, kill -9 the
// Sandglass server at random moments, restart it on the same SQLite file and port, and verify
// that every acknowledged start completed exactly once with a well-formed history.
//
//   node tests/crashloop/crashloop.mjs [--cycles 100] [--seed S] [--workers 2] [--rate 10] ...
//   make crashloop CYCLES=100
//
// How it works
// - One server (`sandglass server start-dev --ip 127.0.0.1 --port P --headless --db-filename F`,
//   F under os.tmpdir()) is started with tests/e2e/lib/server.mjs.
// - A child process (worker-host.mjs) runs `--workers` SDK Workers on one task queue. They run
//   `crashloopWorkflow` (tests/e2e/workflows/index.ts: two parallel activities, a timer, a third
//   activity). When the server dies their connections break and sdk-core reconnects by itself; a
//   Worker whose run() fails is restarted by the host (counted as a worker restart).
// - The client (this process, one Connection that reconnects by itself) calls
//   StartWorkflowExecution `--rate` times a second with unique workflow ids and request ids,
//   workflow task timeout 2 s. An id is "acknowledged" only when the call returned OK; its run
//   id is recorded. The SDK's retry interceptor resends the same request (same request id) while
//   the server is down, so a start that was stored just before a kill must come back with the
//   run it created.
// - Each cycle: wait a random uptime (uniform in [--min-up, --max-up] ms after the server became
//   ready), kill -9 the server, restart it on the same port and db (start-up retried ≤ 10 s).
//   The kill schedule comes from the seed alone (printed first), so `--seed S` repeats it.
// - After the last cycle the server stays up: starts stop, and everything gets up to `--drain`
//   seconds after the last restart to finish. Then every id is verified:
//   * acknowledged: Describe shows the acknowledged run as the current run and as the first run;
//     status COMPLETED with the expected result; the history is well-formed (ids 1..n, first
//     WorkflowExecutionStarted with the sent input and no predecessor run, last
//     WorkflowExecutionCompleted; every workflow task Scheduled → Started → Completed/Failed/
//     TimedOut with matching ids and never two open at once; each ActivityTaskScheduled has
//     exactly one Started and one Completed with matching ids; each TimerStarted exactly one
//     TimerFired, not early; commands point at an earlier WorkflowTaskCompleted; event times never
//     lie within the run and after their cause; exactly 3 activities and 1 timer) and it replays with the SDK's replayer;
//     the same start request again answers the same run id, and a start with
//     REJECT_DUPLICATE answers ALREADY_EXISTS, after which the current run is unchanged.
//   * unacknowledged (the call failed): absent is fine; present must pass the same checks.
// - Summary: cycles, kills, acknowledged, completed, lost, duplicated, malformed, incomplete,
//   total time, and a final `CRASHLOOP_SUMMARY {json}` line. Exit status 1 on any failure.
//   The temp dir (db, server.log with every incarnation's output, worker.log) is removed on
//   success and kept (path printed) otherwise.

import { fork } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual, parseArgs } from 'node:util';
import { SANDGLASS_BIN, Status, assertBinary, bounded, proto, sleep, startServer } from '../e2e/lib/server.mjs';
import { describeHistory, eventTypeName, getBundle, num } from '../e2e/lib/worker.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
// The SDK lives in tests/e2e/node_modules; these are the same module instances the helpers use.
const requireSdk = createRequire(path.join(here, '..', 'e2e', 'package.json'));
const { Connection, defaultGrpcRetryOptions, makeGrpcRetryInterceptor } = requireSdk('@temporalio/client');
const { InterceptingCall } = createRequire(requireSdk.resolve('@temporalio/client'))('@grpc/grpc-js');
const { defaultPayloadConverter } = requireSdk('@temporalio/common');
const { Worker } = requireSdk('@temporalio/worker');

const { WorkflowExecutionStatus, WorkflowIdReusePolicy, TimeoutType } = proto.temporal.api.enums.v1;
const History = proto.temporal.api.history.v1.History;
const StartRequest = proto.temporal.api.workflowservice.v1.StartWorkflowExecutionRequest;

const NAMESPACE = 'default';
const WORKFLOW_TYPE = 'crashloopWorkflow';
const RPC_DEADLINE_MS = 10_000; // one verification call
const MAX_INFLIGHT_STARTS = 16;
const HOST_READY_MS = 60_000;
const HOST_STOP_MS = 8_000;
const VERIFY_BUDGET_MS = (ids) => 60_000 + 100 * ids; // verification, and again replay

// ---------------------------------------------------------------------------------------------
// Options.

const USAGE = `usage: node tests/crashloop/crashloop.mjs [options]
  --cycles N        kill/restart cycles (default 100)
  --seed S          random seed (default: random; printed at start)
  --workers K       SDK Workers in the worker host (default 2)
  --rate R          workflow starts per second (default 10)
  --min-up MS       shortest uptime before a kill (default 50)
  --max-up MS       longest uptime before a kill (default 600)
  --drain S         seconds after the last restart for everything to finish (default 60)
  --start-deadline MS  deadline of one StartWorkflowExecution call, the SDK's resends included
                    (default 5000; a short one leaves more starts unacknowledged)
  --no-replay       skip replaying the histories with the SDK's replayer
  --keep            keep the temp dir even on success
  --quiet           no per-cycle lines`;

function parseOptions(argv) {
  const { values } = parseArgs({
    args: argv,
    options: {
      cycles: { type: 'string', default: '100' },
      seed: { type: 'string' },
      workers: { type: 'string', default: '2' },
      rate: { type: 'string', default: '10' },
      'min-up': { type: 'string', default: '50' },
      'max-up': { type: 'string', default: '600' },
      drain: { type: 'string', default: '60' },
      'start-deadline': { type: 'string', default: '5000' },
      'no-replay': { type: 'boolean', default: false },
      keep: { type: 'boolean', default: false },
      quiet: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const int = (name, min) => {
    const v = Number(values[name]);
    if (!Number.isInteger(v) || v < min) throw new UsageError(`--${name} must be an integer ≥ ${min}`);
    return v;
  };
  const opts = {
    cycles: int('cycles', 0),
    seed: values.seed === undefined ? crypto.randomInt(1, 2 ** 31) : int('seed', 0),
    workers: int('workers', 1),
    rate: Number(values.rate),
    minUp: int('min-up', 0),
    maxUp: int('max-up', 0),
    drainMs: int('drain', 1) * 1000,
    startDeadlineMs: int('start-deadline', 1),
    replay: !values['no-replay'],
    keep: values.keep,
    quiet: values.quiet,
  };
  if (!(opts.rate > 0 && opts.rate <= 200)) throw new UsageError('--rate must be in (0, 200]');
  if (opts.maxUp < opts.minUp) throw new UsageError('--max-up must be ≥ --min-up');
  return opts;
}

class UsageError extends Error {}

// ---------------------------------------------------------------------------------------------
// Small helpers.

/** mulberry32: a tiny seeded PRNG, uniform in [0, 1). */
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const uniformInt = (rng, lo, hi) => lo + Math.floor(rng() * (hi - lo + 1));

const tsMs = (ts) => (ts ? num(ts.seconds ?? 0) * 1000 + Math.floor((ts.nanos ?? 0) / 1e6) : NaN);
const durMs = (d) => (d ? num(d.seconds ?? 0) * 1000 + Math.floor((d.nanos ?? 0) / 1e6) : 0);
const fromPayload = (p) => defaultPayloadConverter.fromPayload(p);
const fmtMs = (ms) => (ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms)} ms`);

/** Runs `fn` on every item with at most `n` running at once. */
async function pool(items, n, fn) {
  let next = 0;
  const lanes = Array.from({ length: Math.min(n, items.length) }, async () => {
    while (next < items.length) await fn(items[next++]);
  });
  await Promise.all(lanes);
}

/** The attributes of history event `e` (e.g. activityTaskScheduledEventAttributes). */
function attrsOf(e) {
  const n = eventTypeName(e.eventType);
  return e[`${n[0].toLowerCase()}${n.slice(1)}EventAttributes`] ?? {};
}

// ---------------------------------------------------------------------------------------------
// History checks (pure: returns a list of problems, empty when well-formed).

/**
 * Checks one closed crashloopWorkflow history: structure, pairing, ids, times, input and result.
 * `runId` is the run it belongs to; `entry` the start that created it.
 */
export function checkHistory(history, runId, entry) {
  const p = [];
  const ev = history?.events ?? [];
  if (!ev.length) return ['empty history'];
  const name = (e) => eventTypeName(e.eventType);

  // Event times need not grow with event ids (as in Temporal, ActivityTaskStarted carries the
  // attempt's start time but is written with the completion, and events buffered during a
  // workflow task keep their own time), but each lies within the run and after its cause.
  const firstTime = tsMs(ev[0].eventTime);
  const lastTime = tsMs(ev.at(-1).eventTime);
  const timeOf = new Map();
  ev.forEach((e, i) => {
    const id = num(e.eventId);
    if (id !== i + 1) p.push(`event #${i + 1} (${name(e)}) has id ${id}`);
    const t = tsMs(e.eventTime);
    timeOf.set(id, t);
    if (!(t > 0)) p.push(`event ${id} (${name(e)}) has no event time`);
    else if (t < firstTime || t > lastTime) p.push(`event ${id} (${name(e)}) time ${t} outside the run [${firstTime}, ${lastTime}]`);
  });
  const notBefore = (id, n, causeId) => {
    const dt = timeOf.get(causeId) - timeOf.get(id);
    if (dt > 0) p.push(`event ${id} ${n} is ${dt} ms older than event ${causeId} it follows from`);
  };
  if (name(ev[0]) !== 'WorkflowExecutionStarted') p.push(`first event is ${name(ev[0])}`);
  if (name(ev.at(-1)) !== 'WorkflowExecutionCompleted') p.push(`last event is ${name(ev.at(-1))}`);

  let wft = null; // the open workflow task: {sched, started}
  const wftCompleted = new Set();
  const acts = new Map(); // scheduled event id → {activityId, started, closed}
  const timers = new Map(); // started event id → {timerId, fired, ms, at}
  const needsWftCompleted = (id, n, a) => {
    const ref = num(a.workflowTaskCompletedEventId);
    if (!wftCompleted.has(ref)) p.push(`event ${id} ${n}: workflowTaskCompletedEventId ${ref} is not an earlier WorkflowTaskCompleted`);
  };

  for (const e of ev) {
    const id = num(e.eventId);
    const n = name(e);
    const a = attrsOf(e);
    switch (n) {
      case 'WorkflowExecutionStarted': {
        if (id !== 1) p.push(`a second WorkflowExecutionStarted at event ${id}`);
        if (a.workflowType?.name !== WORKFLOW_TYPE) p.push(`workflow type ${a.workflowType?.name}`);
        if (a.firstExecutionRunId && a.firstExecutionRunId !== runId) p.push(`firstExecutionRunId ${a.firstExecutionRunId} ≠ run ${runId}`);
        if (a.originalExecutionRunId && a.originalExecutionRunId !== runId) {
          p.push(`originalExecutionRunId ${a.originalExecutionRunId} ≠ run ${runId}`);
        }
        if (a.continuedExecutionRunId) p.push(`continued from run ${a.continuedExecutionRunId}`);
        if ((a.attempt ?? 1) !== 1) p.push(`workflow attempt ${a.attempt}`);
        let input;
        try {
          input = (a.input?.payloads ?? []).map(fromPayload);
        } catch (err) {
          input = `undecodable: ${err.message}`;
        }
        if (!isDeepStrictEqual(input, entry.args)) p.push(`input ${JSON.stringify(input)} ≠ sent ${JSON.stringify(entry.args)}`);
        break;
      }
      case 'WorkflowTaskScheduled':
        if (wft) p.push(`event ${id}: WorkflowTaskScheduled while workflow task ${wft.sched} is still open`);
        wft = { sched: id, started: 0 };
        break;
      case 'WorkflowTaskStarted':
        if (!wft || wft.started) p.push(`event ${id}: WorkflowTaskStarted without a scheduled, unstarted workflow task`);
        else if (num(a.scheduledEventId) !== wft.sched) {
          p.push(`event ${id}: WorkflowTaskStarted.scheduledEventId ${num(a.scheduledEventId)} ≠ ${wft.sched}`);
        }
        else notBefore(id, n, wft.sched);
        if (wft) wft.started = id;
        break;
      case 'WorkflowTaskCompleted':
      case 'WorkflowTaskFailed':
      case 'WorkflowTaskTimedOut': {
        const scheduleToStart = n === 'WorkflowTaskTimedOut' && a.timeoutType === TimeoutType.TIMEOUT_TYPE_SCHEDULE_TO_START;
        if (!wft) p.push(`event ${id}: ${n} without an open workflow task`);
        else {
          if (num(a.scheduledEventId) !== wft.sched) p.push(`event ${id}: ${n}.scheduledEventId ${num(a.scheduledEventId)} ≠ ${wft.sched}`);
          if (!scheduleToStart) {
            if (!wft.started) p.push(`event ${id}: ${n} before its WorkflowTaskStarted`);
            else if (num(a.startedEventId) !== wft.started) p.push(`event ${id}: ${n}.startedEventId ${num(a.startedEventId)} ≠ ${wft.started}`);
            else notBefore(id, n, wft.started);
          }
        }
        if (n === 'WorkflowTaskCompleted') wftCompleted.add(id);
        wft = null;
        break;
      }
      case 'ActivityTaskScheduled': {
        needsWftCompleted(id, n, a);
        for (const s of acts.values()) if (s.activityId === a.activityId) p.push(`event ${id}: activity id ${a.activityId} scheduled twice`);
        acts.set(id, { activityId: a.activityId, started: 0, closed: 0 });
        break;
      }
      case 'ActivityTaskStarted': {
        const s = acts.get(num(a.scheduledEventId));
        if (!s) p.push(`event ${id}: ActivityTaskStarted for ${num(a.scheduledEventId)}, not an earlier ActivityTaskScheduled`);
        else if (s.started) p.push(`event ${id}: a second ActivityTaskStarted for activity ${s.activityId} (first ${s.started})`);
        else {
          s.started = id;
          notBefore(id, n, num(a.scheduledEventId));
        }
        break;
      }
      case 'ActivityTaskCompleted': {
        const s = acts.get(num(a.scheduledEventId));
        if (!s) p.push(`event ${id}: ActivityTaskCompleted for ${num(a.scheduledEventId)}, not an earlier ActivityTaskScheduled`);
        else {
          if (!s.started) p.push(`event ${id}: activity ${s.activityId} completed before it started`);
          else if (num(a.startedEventId) !== s.started) {
            p.push(`event ${id}: ActivityTaskCompleted.startedEventId ${num(a.startedEventId)} ≠ ${s.started}`);
          }
          else notBefore(id, n, s.started);
          if (s.closed) p.push(`event ${id}: activity ${s.activityId} completed a second time (first ${s.closed})`);
          s.closed = id;
        }
        break;
      }
      case 'TimerStarted': {
        needsWftCompleted(id, n, a);
        for (const s of timers.values()) if (!s.fired && s.timerId === a.timerId) p.push(`event ${id}: timer ${a.timerId} started twice`);
        timers.set(id, { timerId: a.timerId, fired: 0, ms: durMs(a.startToFireTimeout), at: tsMs(e.eventTime) });
        break;
      }
      case 'TimerFired': {
        const s = timers.get(num(a.startedEventId));
        if (!s) p.push(`event ${id}: TimerFired for ${num(a.startedEventId)}, not an earlier TimerStarted`);
        else {
          if (s.fired) p.push(`event ${id}: timer ${s.timerId} fired a second time (first ${s.fired})`);
          if (a.timerId !== s.timerId) p.push(`event ${id}: TimerFired.timerId ${a.timerId} ≠ ${s.timerId}`);
          const early = s.at + s.ms - tsMs(e.eventTime);
          if (early > 2) p.push(`event ${id}: timer ${s.timerId} (${s.ms} ms) fired ${early} ms early`);
          s.fired = id;
        }
        break;
      }
      case 'WorkflowExecutionCompleted': {
        needsWftCompleted(id, n, a);
        if (id !== ev.length) p.push(`event ${id}: WorkflowExecutionCompleted is followed by ${ev.length - id} more events`);
        if (a.newExecutionRunId) p.push(`completion continues as run ${a.newExecutionRunId}`);
        let result;
        try {
          result = fromPayload(a.result?.payloads?.[0]);
        } catch (err) {
          result = `undecodable: ${err.message}`;
        }
        if (!isDeepStrictEqual(result, entry.expected)) p.push(`result ${JSON.stringify(result)} ≠ expected ${JSON.stringify(entry.expected)}`);
        break;
      }
      default:
        p.push(`event ${id}: unexpected ${n}`);
    }
  }
  if (wft) p.push(`workflow task ${wft.sched} still open at the end`);
  for (const [sid, s] of acts) {
    if (!s.started) p.push(`activity ${s.activityId} (scheduled at ${sid}) has no ActivityTaskStarted`);
    if (!s.closed) p.push(`activity ${s.activityId} (scheduled at ${sid}) has no ActivityTaskCompleted`);
  }
  for (const [sid, s] of timers) if (!s.fired) p.push(`timer ${s.timerId} (started at ${sid}) never fired`);
  if (acts.size !== 3) p.push(`${acts.size} activities scheduled; the workflow schedules exactly 3`);
  if (timers.size !== 1) p.push(`${timers.size} timers started; the workflow starts exactly 1`);
  return p;
}

const SELF_CHECK_CASES = 8;

/** Damages copies of a good history in typical ways; returns what checkHistory got wrong. */
function selfCheck(history, entry) {
  const runId = attrsOf(history.events[0]).firstExecutionRunId;
  const clone = () => History.decode(History.encode(history).finish());
  const renumber = (h) => {
    h.events.forEach((e, i) => (e.eventId = i + 1));
    return h;
  };
  const idx = (h, n) => h.events.findIndex((e) => eventTypeName(e.eventType) === n);
  const HistoryEvent = proto.temporal.api.history.v1.HistoryEvent;
  const copy = (e) => HistoryEvent.decode(HistoryEvent.encode(e).finish());
  const cases = {
    'an ActivityTaskCompleted removed': (h) => (h.events.splice(idx(h, 'ActivityTaskCompleted'), 1), renumber(h)),
    'an ActivityTaskStarted duplicated': (h) => {
      const i = idx(h, 'ActivityTaskStarted');
      h.events.splice(i, 0, copy(h.events[i]));
      return renumber(h);
    },
    'two events swapped': (h) => {
      const i = idx(h, 'WorkflowTaskStarted');
      [h.events[i], h.events[i + 1]] = [h.events[i + 1], h.events[i]];
      return renumber(h);
    },
    'an event id skipped': (h) => ((h.events.at(-1).eventId = h.events.length + 1), h),
    'the TimerFired removed': (h) => (h.events.splice(idx(h, 'TimerFired'), 1), renumber(h)),
    'the last event removed': (h) => (h.events.pop(), h),
    'a different result': (h) => {
      attrsOf(h.events.at(-1)).result.payloads[0] = defaultPayloadConverter.toPayload(['wrong']);
      return h;
    },
    'the WorkflowExecutionStarted repeated': (h) => (h.events.splice(1, 0, copy(h.events[0])), renumber(h)),
  };
  const missed = [];
  for (const [what, damage] of Object.entries(cases)) {
    if (!checkHistory(damage(clone()), runId, entry).length) missed.push(`a history with ${what} passed the checks`);
  }
  const clean = checkHistory(clone(), runId, entry);
  if (clean.length) missed.push(`an undamaged copy of a good history was flagged: ${clean.join('; ')}`);
  return missed;
}

// ---------------------------------------------------------------------------------------------
// The loop.

export async function runCrashloop(opts) {
  const t0 = Date.now();
  const killRng = prng(opts.seed); // the kill schedule: depends on the seed only
  const loadRng = prng(opts.seed ^ 0x5bd1e995); // workflow arguments, by start sequence number
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sandglass-crashloop-'));
  const dbFile = path.join(tmp, 'sandglass.db');
  const serverLog = path.join(tmp, 'server.log');
  const workerLog = path.join(tmp, 'worker.log');
  const say = (msg) => console.log(`[crashloop +${((Date.now() - t0) / 1000).toFixed(1)}s] ${msg}`);

  say(`seed ${opts.seed}  (repeat with --seed ${opts.seed})`);
  say(
    `cycles ${opts.cycles}, workers ${opts.workers}, rate ${opts.rate}/s, uptime ${opts.minUp}–${opts.maxUp} ms, ` +
      `drain ≤ ${opts.drainMs / 1000} s; binary ${SANDGLASS_BIN}; temp dir ${tmp}`,
  );

  const stats = {
    seed: opts.seed,
    cycles: 0,
    kills: 0,
    startAttempts: 0,
    acknowledged: 0,
    startFailed: 0,
    startsSkipped: 0,
    completed: 0,
    lost: 0,
    duplicated: 0,
    malformed: 0,
    incomplete: 0,
    errors: 0,
    unackPresent: 0,
    unackAbsent: 0,
    replayed: 0,
    replayFailures: 0,
    workerFailures: 0,
    workerRestarts: 0,
    unexpectedExits: 0,
    restartFailed: false,
    restartMsMax: 0,
    restartMsAvg: 0,
    drainMs: 0,
    totalMs: 0,
  };
  const failures = []; // {category, id, details}
  const entries = []; // every start attempt
  const inflight = new Set();
  let server;
  let incarnation = 0;
  let host;
  let hostExited;
  let conn;
  let stopStarting = false;
  let interrupted = false;
  let cleaning;

  const appendServerLog = (srv, note) => {
    try {
      fs.appendFileSync(serverLog, `===== incarnation ${srv.incarnation} (pid ${srv.proc.pid}) ${note} =====\n${srv.output()}\n`);
    } catch {
      /* the temp dir may be gone */
    }
  };
  const onServerExit = (srv) => {
    srv.proc.once('exit', (code, signal) => {
      if (srv.killedByUs) return;
      stats.unexpectedExits++;
      failures.push({
        category: 'server',
        id: `incarnation ${srv.incarnation}`,
        details: [`the server exited by itself (code ${code}, signal ${signal}) in cycle ${stats.cycles + 1}`, lastLines(srv.output(), 40)],
      });
    });
  };
  const launchServer = async (port) => {
    const srv = await startServer({ dbFile, port });
    srv.incarnation = ++incarnation;
    onServerExit(srv);
    return srv;
  };

  const cleanup = async () =>
    (cleaning ??= (async () => {
      stopStarting = true;
      if (host && !hostExited) {
        if (host.connected) host.send({ type: 'stop' });
        const exited = await bounded(hostExitPromise, HOST_STOP_MS, 'worker host exit').then(
          () => true,
          () => false,
        );
        if (!exited) host.kill('SIGKILL');
      }
      if (conn) await bounded(conn.close(), 2_000, 'Connection.close').catch(() => {});
      if (server) {
        server.killedByUs = true;
        const res = await server.stop();
        appendServerLog(server, 'stopped at the end');
        // A clean SIGTERM shutdown is expected; a hang, a crash or a failure status on the way
        // out (e.g. LeakSanitizer's, with a sanitizer build as SANDGLASS_BIN) is reported.
        if (res?.forced || (res?.signal && res.signal !== 'SIGTERM') || (res?.code !== null && res?.code !== 0)) {
          stats.unexpectedExits++;
          failures.push({
            category: 'server',
            id: `incarnation ${server.incarnation}`,
            details: [
              `SIGTERM at the end: ${res.forced ? 'no exit within 5 s, killed' : `exit code ${res.code}, signal ${res.signal}`}`,
              lastLines(server.output(), 40),
            ],
          });
        }
      }
    })());

  let hostExitPromise;
  const killHostOnExit = () => host?.kill('SIGKILL');
  process.on('exit', killHostOnExit);
  const onSignal = (sig) => {
    if (interrupted) process.exit(130);
    interrupted = true;
    console.error(`\n[crashloop] ${sig}: stopping everything (again to force)`);
    cleanup().finally(() => {
      console.error(`[crashloop] interrupted; temp dir kept: ${tmp}`);
      process.exit(130);
    });
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  try {
    assertBinary();
    await getBundle(); // build (or load) the workflow bundle once, before the host needs it

    server = await launchServer();
    const address = server.address;
    const taskQueue = `crashloop-${opts.seed}-${crypto.randomBytes(3).toString('hex')}`;
    say(`server ready on ${address} (pid ${server.proc.pid}); task queue ${taskQueue}`);

    // Worker host.
    const logFd = fs.openSync(workerLog, 'a');
    host = fork(path.join(here, 'worker-host.mjs'), [address, taskQueue, String(opts.workers)], {
      stdio: ['ignore', logFd, logFd, 'ipc'],
      env: { ...process.env, SANDGLASS_BIN },
    });
    fs.closeSync(logFd);
    hostExitPromise = new Promise((resolve) => host.once('exit', (code, signal) => resolve({ code, signal })));
    hostExitPromise.then(({ code, signal }) => {
      hostExited = true;
      if (!cleaning) {
        failures.push({ category: 'error', id: 'worker host', details: [`exited early (code ${code}, signal ${signal}); see ${workerLog}`] });
      }
    });
    let hostReady;
    const ready = new Promise((resolve) => (hostReady = resolve));
    host.on('message', (msg) => {
      if (msg.type === 'ready') hostReady();
      else if (msg.type === 'worker-failed') {
        stats.workerFailures++;
        say(`worker ${msg.index} failed (${msg.error}); the host restarts it`);
      } else if (msg.type === 'worker-restarted') stats.workerRestarts++;
      else if (msg.type === 'stopped') stats.activityCalls = msg.activities;
    });
    const hostDied = hostExitPromise.then(() => Promise.reject(new Error(`worker host exited; see ${workerLog}`)));
    await bounded(Promise.race([ready, hostDied]), HOST_READY_MS, 'worker host ready');
    say(`worker host ready (pid ${host.pid}, ${opts.workers} worker(s))`);

    // Client: one Connection for the whole run; grpc-js reconnects by itself. A short reconnect
    // backoff so it comes back soon after each restart.
    // Inside the SDK's retry interceptor, a second one counts the attempts that go on the wire
    // for each start request id: a start acknowledged after a resend is the interesting case
    // (the first attempt may have been stored by the server that was killed).
    const wireAttempts = new Map(); // request id → attempts sent
    const countStartAttempts = (options, nextCall) =>
      new InterceptingCall(nextCall(options), {
        sendMessage(message, next) {
          if (options.method_definition?.path?.endsWith('/StartWorkflowExecution') && Buffer.isBuffer(message)) {
            try {
              const { requestId } = StartRequest.decode(message);
              wireAttempts.set(requestId, (wireAttempts.get(requestId) ?? 0) + 1);
            } catch {
              /* not ours to judge */
            }
          }
          next(message);
        },
      });
    conn = await Connection.connect({
      address,
      connectTimeout: 10_000,
      channelArgs: { 'grpc.initial_reconnect_backoff_ms': 100, 'grpc.max_reconnect_backoff_ms': 1_000 },
      interceptors: [makeGrpcRetryInterceptor(defaultGrpcRetryOptions()), countStartAttempts],
    });
    const svc = conn.workflowService;
    const rpc = (fn, ms = RPC_DEADLINE_MS) => conn.withDeadline(Date.now() + ms, fn);

    // ---- starter ----
    let seq = 0;
    let cycleNow = 1;
    const startOne = () => {
      const n = ++seq;
      const workflowId = `crashloop-${opts.seed}-${String(n).padStart(5, '0')}`;
      const args = [workflowId, uniformInt(loadRng, 100, 800), uniformInt(loadRng, 0, 150)];
      const entry = {
        workflowId,
        requestId: crypto.randomUUID(),
        args,
        expected: [`${workflowId}/a`, `${workflowId}/b`, `${workflowId}/c`],
        cycle: cycleNow,
        state: 'pending',
      };
      entry.request = {
        namespace: NAMESPACE,
        workflowId,
        workflowType: { name: WORKFLOW_TYPE },
        taskQueue: { name: taskQueue },
        input: { payloads: args.map((x) => defaultPayloadConverter.toPayload(x)) },
        workflowTaskTimeout: { seconds: 2 },
        identity: `crashloop-client-${process.pid}`,
        requestId: entry.requestId,
      };
      entries.push(entry);
      stats.startAttempts++;
      const call = rpc(() => svc.startWorkflowExecution(entry.request), opts.startDeadlineMs).then(
        (resp) => {
          entry.state = 'acked';
          entry.runId = resp.runId;
          entry.ackCycle = cycleNow;
          stats.acknowledged++;
        },
        (err) => {
          entry.state = 'failed';
          entry.error = `${codeName(err)}: ${err.details ?? err.message}`;
          stats.startFailed++;
        },
      );
      inflight.add(call);
      call.finally(() => inflight.delete(call));
    };
    const starter = (async () => {
      const interval = 1000 / opts.rate;
      let next = Date.now();
      while (!stopStarting) {
        if (inflight.size < MAX_INFLIGHT_STARTS) startOne();
        else stats.startsSkipped++;
        next += interval;
        const wait = next - Date.now();
        if (wait > 0) await sleep(wait);
        else next = Date.now(); // after a stall, do not burst
      }
    })();

    // ---- kill / restart cycles ----
    const restartTimes = [];
    let lastRestartAt = Date.now();
    for (let c = 1; c <= opts.cycles && !interrupted; c++) {
      cycleNow = c;
      const upMs = uniformInt(killRng, opts.minUp, opts.maxUp);
      await sleep(upMs);
      if (interrupted) break;
      const old = server;
      old.killedByUs = true;
      const wasAlive = old.proc.exitCode === null && old.proc.signalCode === null;
      await old.kill9();
      stats.kills += wasAlive ? 1 : 0;
      appendServerLog(old, `killed (-9) in cycle ${c} after ${upMs} ms up`);
      const tr = Date.now();
      try {
        server = await launchServer(old.port);
      } catch (err) {
        stats.restartFailed = true;
        server = undefined;
        failures.push({ category: 'server', id: `restart in cycle ${c}`, details: [`the server did not restart on port ${old.port}: ${err.message}`] });
        say(`cycle ${c}: RESTART FAILED: ${err.message.split('\n')[0]}`);
        break;
      }
      lastRestartAt = Date.now();
      restartTimes.push(lastRestartAt - tr);
      stats.cycles = c;
      if (!opts.quiet) {
        say(
          `cycle ${c}/${opts.cycles}: up ${upMs} ms, kill -9, back in ${lastRestartAt - tr} ms` +
            ` (pid ${server.proc.pid}); starts ${stats.startAttempts}, acked ${stats.acknowledged}, failed ${stats.startFailed}`,
        );
      }
    }
    stopStarting = true;
    await starter;
    await bounded(Promise.allSettled([...inflight]), opts.startDeadlineMs + 5_000, 'in-flight starts').catch(() => {});
    for (const e of entries) e.attempts = wireAttempts.get(e.requestId) ?? 0;
    stats.startsResent = entries.filter((e) => e.attempts > 1).length;
    stats.ackedAfterResend = entries.filter((e) => e.attempts > 1 && e.state === 'acked').length;
    stats.restartMsMax = Math.max(0, ...restartTimes);
    stats.restartMsAvg = restartTimes.length ? Math.round(restartTimes.reduce((s, x) => s + x, 0) / restartTimes.length) : 0;
    say(`cycles done: ${stats.kills} kills; ${stats.startAttempts} starts (${stats.acknowledged} acknowledged, ${stats.startFailed} failed)`);

    if (!server || interrupted) throw new Error(interrupted ? 'interrupted' : 'the server is down; nothing to verify');

    // ---- drain: wait (bounded) until every run is closed ----
    const td = Date.now();
    const drainDeadline = lastRestartAt + opts.drainMs;
    const open = new Set(entries);
    for (let round = 1; ; round++) {
      const list = [...open];
      await pool(list, 8, async (entry) => {
        try {
          const d = await rpc(() => svc.describeWorkflowExecution({ namespace: NAMESPACE, execution: { workflowId: entry.workflowId } }), 5_000);
          const st = d.workflowExecutionInfo?.status;
          if (st !== WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING) open.delete(entry);
        } catch (err) {
          // NOT_FOUND: fine for an unacknowledged start (if it stays so), a loss otherwise.
          if (err.code === Status.NOT_FOUND && entry.state !== 'acked' && round > 1) open.delete(entry);
        }
      });
      const ackedOpen = [...open].filter((e) => e.state === 'acked').length;
      if (!open.size) break;
      if (Date.now() > drainDeadline) {
        say(`drain: bound reached with ${open.size} run(s) not closed (${ackedOpen} acknowledged)`);
        break;
      }
      if (round % 10 === 1) say(`drain: ${open.size} run(s) not closed yet (${ackedOpen} acknowledged)`);
      await sleep(500);
    }
    stats.drainMs = Date.now() - td;
    say(`drain finished in ${fmtMs(stats.drainMs)}`);

    // ---- verify every id ----
    const tv = Date.now();
    const histories = [];
    const fail = (category, entry, details) => failures.push({ category, id: entry.workflowId, entry, details });
    const verifyOne = async (entry) => {
      const acked = entry.state === 'acked';
      let d;
      try {
        d = await rpc(() => svc.describeWorkflowExecution({ namespace: NAMESPACE, execution: { workflowId: entry.workflowId } }));
      } catch (err) {
        if (err.code === Status.NOT_FOUND) {
          if (acked) {
            stats.lost++;
            fail('lost', entry, [`acknowledged (run ${entry.runId}, cycle ${entry.ackCycle}) but Describe answers NOT_FOUND`]);
          } else stats.unackAbsent++;
          return;
        }
        stats.errors++;
        fail('error', entry, [`Describe failed: ${err.message}`]);
        return;
      }
      if (!acked) stats.unackPresent++;
      const info = d.workflowExecutionInfo;
      const runId = info.execution?.runId;
      const dup = [];
      if (acked && runId !== entry.runId) dup.push(`current run ${runId} ≠ acknowledged run ${entry.runId}`);
      if (info.firstRunId && info.firstRunId !== runId) dup.push(`first run ${info.firstRunId} ≠ current run ${runId}`);
      if (info.status === WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING) {
        stats.incomplete++;
        let tail = '';
        try {
          tail = describeHistory(await fetchHistory(entry.workflowId, runId));
        } catch (err) {
          tail = `(history: ${err.message})`;
        }
        fail('incomplete', entry, [`still RUNNING ${fmtMs(Date.now() - lastRestartAt)} after the last restart`, ...dup, tail]);
        return;
      }
      const bad = [];
      if (info.status !== WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_COMPLETED) {
        bad.push(`status ${WorkflowExecutionStatus[info.status] ?? info.status}, expected COMPLETED`);
      }
      let history;
      try {
        history = await fetchHistory(entry.workflowId, runId);
        bad.push(...checkHistory(history, runId, entry));
      } catch (err) {
        stats.errors++;
        fail('error', entry, [`GetWorkflowExecutionHistory failed: ${err.message}`]);
        return;
      }
      // The same request again must answer the same run; REJECT_DUPLICATE must be refused.
      try {
        const again = await rpc(() => svc.startWorkflowExecution(entry.request));
        if (again.runId !== runId) dup.push(`the same start request again answered a new run ${again.runId} (existing ${runId})`);
      } catch (err) {
        dup.push(`the same start request again (request id ${entry.requestId}) failed: ${codeName(err)} ${err.details ?? err.message}`);
      }
      try {
        const reject = {
          ...entry.request,
          requestId: crypto.randomUUID(),
          workflowIdReusePolicy: WorkflowIdReusePolicy.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
        };
        const r = await rpc(() => svc.startWorkflowExecution(reject));
        dup.push(`a REJECT_DUPLICATE start was accepted: new run ${r.runId}`);
      } catch (err) {
        if (err.code !== Status.ALREADY_EXISTS) {
          dup.push(`a REJECT_DUPLICATE start answered ${codeName(err)} (expected ALREADY_EXISTS): ${err.details ?? err.message}`);
        }
      }
      try {
        const d2 = await rpc(() => svc.describeWorkflowExecution({ namespace: NAMESPACE, execution: { workflowId: entry.workflowId } }));
        const now = d2.workflowExecutionInfo?.execution?.runId;
        if (now !== runId) dup.push(`after the duplicate starts the current run is ${now}, was ${runId}`);
      } catch (err) {
        stats.errors++;
        fail('error', entry, [`Describe after the duplicate starts failed: ${err.message}`]);
        return;
      }
      if (dup.length) {
        stats.duplicated++;
        fail('duplicated', entry, [...dup, ...bad, describeHistory(history)]);
      } else if (bad.length) {
        stats.malformed++;
        fail('malformed', entry, [...bad, describeHistory(history)]);
      } else {
        if (acked) stats.completed++;
        histories.push({ workflowId: entry.workflowId, history, entry });
      }
    };
    const fetchHistory = async (workflowId, runId) => {
      const events = [];
      let nextPageToken;
      for (let page = 0; page < 100; page++) {
        const resp = await rpc(() =>
          svc.getWorkflowExecutionHistory({ namespace: NAMESPACE, execution: { workflowId, runId }, nextPageToken, maximumPageSize: 1000 }),
        );
        events.push(...(resp.history?.events ?? []));
        nextPageToken = resp.nextPageToken;
        if (!nextPageToken?.length) return History.create({ events });
      }
      throw new Error('more than 100 history pages');
    };
    await bounded(pool(entries, 6, verifyOne), VERIFY_BUDGET_MS(entries.length), 'verification');
    say(`verified ${entries.length} ids in ${fmtMs(Date.now() - tv)}`);

    // ---- the checker must not be vacuous: damaged copies of a good history must be flagged ----
    if (histories.length) {
      const missed = selfCheck(histories[0].history, histories[0].entry);
      if (missed.length) {
        stats.errors++;
        failures.push({ category: 'error', id: 'history checker', details: missed });
      } else say(`history checker self-check: ${SELF_CHECK_CASES} damaged histories all flagged`);
    }

    // ---- replay every well-formed history with the SDK's replayer ----
    if (opts.replay && histories.length) {
      const tr = Date.now();
      const byId = new Map(histories.map((h) => [h.workflowId, h.entry]));
      const results = Worker.runReplayHistories(
        { workflowBundle: await getBundle() },
        histories.map(({ workflowId, history }) => ({ workflowId, history })),
      );
      await bounded(
        (async () => {
          for await (const r of results) {
            stats.replayed++;
            if (r.error) {
              stats.replayFailures++;
              const entry = byId.get(r.workflowId);
              if (entry.state === 'acked') stats.completed--;
              stats.malformed++;
              fail('malformed', entry, [`replay failed: ${r.error.name}: ${r.error.message}`]);
            }
          }
        })(),
        VERIFY_BUDGET_MS(histories.length),
        'replay',
      );
      say(`replayed ${stats.replayed} histories in ${fmtMs(Date.now() - tr)}: ${stats.replayFailures} failure(s)`);
    }
  } catch (err) {
    if (!interrupted) {
      stats.errors++;
      failures.push({ category: 'error', id: 'crashloop', details: [err.stack ?? String(err)] });
    }
  } finally {
    await cleanup();
    process.off('exit', killHostOnExit);
  }

  stats.unacknowledged = stats.startAttempts - stats.acknowledged;
  stats.totalMs = Date.now() - t0;
  const ok = failures.length === 0 && !interrupted;
  report(stats, failures, opts);
  if (ok && !opts.keep) fs.rmSync(tmp, { recursive: true, force: true });
  else {
    console.log(`temp dir kept: ${tmp}\n  db ${dbFile}\n  server output ${serverLog}\n  worker output ${workerLog}`);
    const script = path.relative(process.cwd(), fileURLToPath(import.meta.url));
    console.log(
      `repeat: SANDGLASS_BIN=${SANDGLASS_BIN} node ${script} --seed ${opts.seed} --cycles ${opts.cycles} --workers ${opts.workers}` +
        ` --rate ${opts.rate} --min-up ${opts.minUp} --max-up ${opts.maxUp} --start-deadline ${opts.startDeadlineMs}`,
    );
  }
  stats.ok = ok;
  stats.tempDir = ok && !opts.keep ? null : tmp;
  console.log(`CRASHLOOP_SUMMARY ${JSON.stringify(stats)}`);
  return stats;
}

function codeName(err) {
  return Status[err.code] ?? err.code;
}

function lastLines(text, n) {
  return text.split('\n').slice(-n).join('\n');
}

function report(s, failures, opts) {
  const rows = [
    ['seed', s.seed],
    ['cycles', `${s.cycles} of ${opts.cycles}`],
    ['kills', s.kills],
    ['start attempts', `${s.startAttempts} (${s.startsSkipped} skipped: ${MAX_INFLIGHT_STARTS} in flight)`],
    ['resent starts', `${s.startsResent} sent more than once by the SDK's retry (same request id); ${s.ackedAfterResend} of them acknowledged`],
    ['acknowledged', s.acknowledged],
    ['completed', `${s.completed} (exactly once, well-formed${opts.replay ? ', replayed' : ''})`],
    ['lost', s.lost],
    ['duplicated', s.duplicated],
    ['malformed', s.malformed],
    ['incomplete', s.incomplete],
    ['unacknowledged', `${s.startAttempts - s.acknowledged}: ${s.unackPresent} present (checked like the rest), ${s.unackAbsent} absent`],
    ['replayed', opts.replay ? `${s.replayed} (${s.replayFailures} failures)` : 'skipped'],
    [
      'server',
      `restart avg ${s.restartMsAvg} ms, max ${s.restartMsMax} ms; ${s.unexpectedExits} unexpected exits` +
        (s.restartFailed ? '; RESTART FAILED' : ''),
    ],
    ['workers', `${s.workerFailures} failures, ${s.workerRestarts} restarts; ${s.activityCalls ?? '?'} activity calls`],
    ['drain', fmtMs(s.drainMs)],
    ['errors', s.errors],
    ['total time', fmtMs(s.totalMs)],
  ];
  console.log('\ncrash loop summary');
  for (const [k, v] of rows) console.log(`  ${k.padEnd(16)} ${v}`);
  if (failures.length) {
    console.log(`\n${failures.length} FAILURE(S):`);
    for (const f of failures.slice(0, 20)) {
      const e = f.entry;
      const how = e?.state === 'acked' ? `acknowledged in cycle ${e.ackCycle}, run ${e.runId}` : `start failed: ${e?.error}`;
      const where = e ? ` (started in cycle ${e.cycle}, sent ${e.attempts}×, ${how})` : '';
      console.log(`- [${f.category}] ${f.id}${where}`);
      for (const d of f.details) console.log(`    ${String(d).replace(/\n/g, '\n    ')}`);
    }
    if (failures.length > 20) console.log(`  … and ${failures.length - 20} more`);
  } else {
    console.log('\nOK: every acknowledged start completed exactly once with a well-formed history');
  }
}

// ---------------------------------------------------------------------------------------------

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  let opts;
  try {
    opts = parseOptions(process.argv.slice(2));
  } catch (err) {
    console.error(`${err.message}\n${USAGE}`);
    process.exit(2);
  }
  const stats = await runCrashloop(opts);
  process.exit(stats.ok ? 0 : 1);
}
