#!/usr/bin/env node
// sdk_bench.mjs: end-to-end throughput and latency of Sandglass driven by the official Temporal
// TypeScript SDK (1.24.0). A benchmark, never a test: it prints numbers and asserts no timings.
//
// It starts its own server (free port on 127.0.0.1, a temporary --db-filename so every write is
// durable through group commit), one SDK Worker in a child process (workflow benchWorkflow from
// workflows.ts, pre-bundled once and cached under os.tmpdir(); activity `echo` returns its
// input), then runs N workflows of K sequential activities with a pool of C in-flight
// `client.workflow.execute` calls and prints wall time, workflows/s, client-observed
// start-to-close latency percentiles, and the RSS / CPU of the server and the worker.
//
//   node sdk_bench.mjs [--n 2000] [--k 1] [--concurrency 100] [--server-bin PATH] [--keep]
//                      [--wft-slots N] [--act-slots N] [--wft-polls N] [--act-polls N]
//                      [--cache N] [--timeout-s 900]
//
// Every wait is bounded; the server and the worker are killed on the way out (the server is
// left running with --keep, and its address and database are printed).

import { spawn, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const here = path.dirname(fileURLToPath(import.meta.url));
const WORKFLOWS_PATH = path.join(here, 'workflows.ts');
const WORKFLOW_TYPE = 'benchWorkflow';

const { values: opt } = parseArgs({
  options: {
    n: { type: 'string', default: '2000' },
    k: { type: 'string', default: '1' },
    concurrency: { type: 'string', default: '100' },
    'server-bin': { type: 'string', default: path.join(here, '..', 'build', 'sandglass') },
    keep: { type: 'boolean', default: false },
    // Worker tuning (SDK defaults: wft slots 40, activity slots 100, polls min(10, slots)).
    'wft-slots': { type: 'string' },
    'act-slots': { type: 'string' },
    'wft-polls': { type: 'string' },
    'act-polls': { type: 'string' },
    cache: { type: 'string' },
    'timeout-s': { type: 'string', default: '900' },
    // Internal: the worker child.
    role: { type: 'string', default: 'driver' },
    address: { type: 'string' },
    'task-queue': { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  },
  strict: true,
});

if (opt.help) {
  console.log(fs.readFileSync(fileURLToPath(import.meta.url), 'utf8').split('\n').slice(1, 17).join('\n').replace(/^\/\/ ?/gm, ''));
  process.exit(0);
}

const int = (name, min = 0) => {
  const v = Number(opt[name]);
  if (!Number.isInteger(v) || v < min) {
    console.error(`--${name} must be an integer >= ${min}, got ${opt[name]}`);
    process.exit(2);
  }
  return v;
};
const intOpt = (name, min) => (opt[name] === undefined ? undefined : int(name, min));

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function bounded(promise, ms, label) {
  let timer;
  try {
    return await Promise.race([
      promise,
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${label}`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

// ---------------------------------------------------------------------------------------------
// /proc readings.

const CLK_TCK = (() => {
  const r = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8', timeout: 2_000 });
  const v = Number(r.stdout?.trim());
  return Number.isFinite(v) && v > 0 ? v : 100;
})();

/** {rssKb, hwmKb, cpuS} of `pid`, or null once it is gone. */
function procStats(pid) {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (key) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // f[0] is field 3 (state)
    const cpuS = (Number(f[11]) + Number(f[12])) / CLK_TCK; // fields 14 utime, 15 stime
    return { rssKb: kb('VmRSS'), hwmKb: kb('VmHWM'), cpuS };
  } catch {
    return null;
  }
}

const mib = (kb) => (kb / 1024).toFixed(1);

/** Busy CPU seconds of the whole machine (all cores, /proc/stat), to spot other load. */
function machineBusyS() {
  try {
    const f = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    const total = f.slice(0, 8).reduce((a, b) => a + b, 0); // user..steal
    return (total - f[3] - f[4]) / CLK_TCK; // minus idle and iowait
  } catch {
    return NaN;
  }
}

// ---------------------------------------------------------------------------------------------
// Worker child: `node sdk_bench.mjs --role worker --address A --task-queue Q ...`. Prints one
// line `READY {json}` on stdout once the worker runs; SIGTERM/SIGINT or stdin closing (the
// driver died) shut it down.

async function bundle() {
  const { bundleWorkflowCode, DefaultLogger } = await import('@temporalio/worker');
  const h = crypto.createHash('sha256');
  const wfPkg = JSON.parse(fs.readFileSync(path.join(path.dirname(fileURLToPath(import.meta.resolve('@temporalio/workflow'))), '..', 'package.json'), 'utf8'));
  h.update(`sdk ${wfPkg.version}\n`).update(fs.readFileSync(WORKFLOWS_PATH));
  const cacheFile = path.join(os.tmpdir(), `sandglass-bench-wf-bundle-${h.digest('hex').slice(0, 24)}.js`);
  try {
    return { code: fs.readFileSync(cacheFile, 'utf8') };
  } catch {
    /* not cached yet */
  }
  const { code } = await bounded(
    bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: new DefaultLogger('WARN') }),
    180_000,
    'bundleWorkflowCode',
  );
  const tmp = `${cacheFile}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, code);
  fs.renameSync(tmp, cacheFile);
  return { code };
}

async function workerMain() {
  const { DefaultLogger, NativeConnection, Runtime, Worker } = await import('@temporalio/worker');
  Runtime.install({
    logger: new DefaultLogger('WARN', ({ level, message, meta }) =>
      process.stderr.write(`[worker ${level}] ${message}${meta ? ` ${JSON.stringify(meta, (_, v) => (typeof v === 'bigint' ? String(v) : v))}` : ''}\n`),
    ),
    telemetryOptions: { logging: { filter: { core: 'WARN', other: 'WARN' }, forward: {} } },
  });
  const workflowBundle = await bundle();
  const connection = await bounded(NativeConnection.connect({ address: opt.address }), 15_000, 'NativeConnection.connect');
  const tuning = {};
  const set = (key, name) => {
    const v = intOpt(name, name === 'cache' ? 0 : 1);
    if (v !== undefined) tuning[key] = v;
  };
  set('maxConcurrentWorkflowTaskExecutions', 'wft-slots');
  set('maxConcurrentActivityTaskExecutions', 'act-slots');
  set('maxConcurrentWorkflowTaskPolls', 'wft-polls');
  set('maxConcurrentActivityTaskPolls', 'act-polls');
  set('maxCachedWorkflows', 'cache');
  const worker = await bounded(
    Worker.create({
      connection,
      namespace: 'default',
      taskQueue: opt['task-queue'],
      workflowBundle,
      activities: { echo: async (x) => x },
      shutdownGraceTime: '1 s',
      shutdownForceTime: '5 s',
      ...tuning,
    }),
    30_000,
    'Worker.create',
  );
  const o = worker.options;
  const used = {
    maxConcurrentWorkflowTaskExecutions: o.tuner?.workflowTaskSlotSupplier?.numSlots,
    maxConcurrentActivityTaskExecutions: o.tuner?.activityTaskSlotSupplier?.numSlots,
    maxConcurrentWorkflowTaskPolls: o.workflowTaskPollerBehavior?.maximum ?? o.maxConcurrentWorkflowTaskPolls,
    maxConcurrentActivityTaskPolls: o.activityTaskPollerBehavior?.maximum ?? o.maxConcurrentActivityTaskPolls,
    maxCachedWorkflows: o.maxCachedWorkflows,
    reuseV8Context: o.reuseV8Context,
    explicitlySet: tuning,
  };
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    if (worker.getState() === 'RUNNING') worker.shutdown();
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  process.stdin.on('end', stop).on('close', stop).resume();
  const running = worker.run();
  process.stdout.write(`READY ${JSON.stringify(used)}\n`);
  try {
    await running;
  } finally {
    await bounded(connection.close(), 5_000, 'NativeConnection.close').catch(() => {});
  }
  process.exit(0);
}

// ---------------------------------------------------------------------------------------------
// Driver.

async function freePort() {
  const srv = net.createServer();
  await new Promise((resolve, reject) => srv.once('error', reject).listen(0, '127.0.0.1', resolve));
  const { port } = srv.address();
  await new Promise((resolve) => srv.close(resolve));
  return port;
}

function tcpOpen(port, ms = 500) {
  return new Promise((resolve) => {
    const sock = net.connect({ host: '127.0.0.1', port });
    const done = (ok) => {
      clearTimeout(timer);
      sock.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), ms);
    sock.once('connect', () => done(true)).once('error', () => done(false));
  });
}

const children = new Set();
process.on('exit', () => {
  for (const c of children) if (!c.keep) try { c.proc.kill('SIGKILL'); } catch { /* gone */ }
});

function track(proc, name, { keep = false } = {}) {
  const c = { proc, name, keep, log: '', exited: null };
  c.exitPromise = new Promise((resolve) => proc.once('exit', (code, signal) => {
    c.exited = { code, signal };
    children.delete(c);
    resolve(c.exited);
  }));
  const append = (chunk) => {
    c.log += chunk.toString();
    if (c.log.length > 256 * 1024) c.log = c.log.slice(-256 * 1024);
  };
  proc.stdout?.on('data', append);
  proc.stderr?.on('data', append);
  children.add(c);
  return c;
}

/** SIGTERM, wait ≤ 5 s, then SIGKILL (bounded too). */
async function stopChild(c) {
  if (c.exited) return c.exited;
  c.proc.kill('SIGTERM');
  const t = await Promise.race([c.exitPromise, sleep(5_000).then(() => null)]);
  if (t) return t;
  c.proc.kill('SIGKILL');
  return Promise.race([c.exitPromise, sleep(5_000).then(() => ({ code: null, signal: 'unreaped' }))]);
}

function pct(sorted, p) {
  if (!sorted.length) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}

// After a failed run, executes that were given up on may still be retrying inside the client and
// throw from a timer once the connection is closed; that must not cut the cleanup short.
let abandoning = false;
process.on('uncaughtException', (err) => {
  if (abandoning) return;
  console.error(`uncaught: ${err.stack ?? err.message}`);
  process.exit(1); // the 'exit' handler kills the server and the worker
});

async function driverMain() {
  const N = int('n', 1);
  const K = int('k', 0);
  const C = int('concurrency', 1);
  const timeoutMs = int('timeout-s', 1) * 1000;
  const bin = path.resolve(opt['server-bin']);
  if (!fs.existsSync(bin)) throw new Error(`server binary ${bin} does not exist (make -C .. first, or --server-bin)`);
  const { Client, Connection } = await import('@temporalio/client');

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sandglass-bench-'));
  const dbFile = path.join(dir, 'bench.db');
  const port = await freePort();
  const address = `127.0.0.1:${port}`;
  const argv = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(port), '--headless', '--db-filename', dbFile, '--log-level', 'error'];
  // Server output goes to a file (not a pipe), so a --keep server outlives this process safely.
  const logFile = path.join(dir, 'server.log');
  const logFd = fs.openSync(logFile, 'a');
  const server = track(spawn(bin, argv, { stdio: ['ignore', logFd, logFd], detached: opt.keep }), 'server', { keep: opt.keep });
  fs.closeSync(logFd);
  Object.defineProperty(server, 'log', {
    get: () => {
      try {
        return fs.readFileSync(logFile, 'utf8').slice(-256 * 1024);
      } catch {
        return '';
      }
    },
  });
  let worker;
  let connection;
  let failed = false;
  try {
    // Server up: TCP first, then a real gRPC round trip.
    const deadline = Date.now() + 15_000;
    while (!(await tcpOpen(port, 250))) {
      if (server.exited) throw new Error(`server exited during start-up: ${JSON.stringify(server.exited)}\n${server.log}`);
      if (Date.now() > deadline) throw new Error(`server port ${port} not open after 15 s\n${server.log}`);
      await sleep(50);
    }
    connection = await bounded(Connection.connect({ address, connectTimeout: 10_000 }), 15_000, 'Connection.connect');
    const client = new Client({ connection, namespace: 'default' });

    // Worker child.
    const taskQueue = `bench-${process.pid}-${crypto.randomBytes(3).toString('hex')}`;
    const wargs = [fileURLToPath(import.meta.url), '--role', 'worker', '--address', address, '--task-queue', taskQueue];
    for (const name of ['wft-slots', 'act-slots', 'wft-polls', 'act-polls', 'cache']) {
      if (opt[name] !== undefined) wargs.push(`--${name}`, opt[name]);
    }
    worker = track(spawn(process.execPath, wargs, { stdio: ['pipe', 'pipe', 'pipe'] }), 'worker');
    const used = await bounded(
      new Promise((resolve, reject) => {
        const rl = readline.createInterface({ input: worker.proc.stdout });
        rl.on('line', (line) => {
          if (line.startsWith('READY ')) resolve(JSON.parse(line.slice(6)));
        });
        worker.exitPromise.then((e) => reject(new Error(`worker exited during start-up: ${JSON.stringify(e)}\n${worker.log}`)));
      }),
      240_000,
      'worker start (bundling may take a minute the first time)',
    );

    console.log(`sandglass ${bin}`);
    console.log(`server    ${address} pid ${server.proc.pid} db ${dbFile}`);
    console.log(`worker    pid ${worker.proc.pid} task queue ${taskQueue}`);
    console.log(`worker options ${JSON.stringify(used)}`);
    console.log(`run       N=${N} K=${K} concurrency=${C} (node ${process.version}, ${os.cpus().length} CPUs)`);

    const srv0 = procStats(server.proc.pid);
    const wrk0 = procStats(worker.proc.pid);
    const me0 = process.cpuUsage();
    const busy0 = machineBusyS();
    const load0 = fs.readFileSync('/proc/loadavg', 'utf8').split(' ')[0];
    const lat = new Array(N);
    const errors = [];
    let next = 0;
    let done = 0;
    const runDeadline = Date.now() + timeoutMs;
    // Fail fast (instead of waiting out every execute) if the server dies during the run.
    const serverGone = server.exitPromise.then((e) => {
      throw new Error(`the server exited during the run: ${JSON.stringify(e)}`);
    });
    serverGone.catch(() => {});
    let lastReport = Date.now();
    const t0 = performance.now();
    async function lane() {
      while (next < N) {
        const i = next++;
        const input = { i, pad: 'x' };
        const s = performance.now();
        try {
          const left = runDeadline - Date.now();
          if (left <= 0) throw new Error('overall --timeout-s passed');
          if (server.exited) throw new Error(`the server exited during the run: ${JSON.stringify(server.exited)}`);
          const res = await bounded(
            Promise.race([
              client.workflow.execute(WORKFLOW_TYPE, {
                taskQueue,
                workflowId: `bench-${process.pid}-${i}`,
                args: [K, input],
                workflowTaskTimeout: '10 s',
              }),
              serverGone,
            ]),
            Math.min(left, 120_000),
            `execute #${i}`,
          );
          if (res?.i !== i) throw new Error(`workflow #${i} returned ${JSON.stringify(res)}`);
          lat[i] = performance.now() - s;
        } catch (err) {
          errors.push({ i, what: `${err.message}${err.cause ? ` (cause: ${err.cause.message})` : ''}` });
        }
        done++;
        if (Date.now() - lastReport > 5_000) {
          lastReport = Date.now();
          process.stderr.write(`  … ${done}/${N} done, ${errors.length} failed, ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
        }
      }
    }
    await Promise.all(Array.from({ length: Math.min(C, N) }, lane));
    const wallMs = performance.now() - t0;
    const srv1 = procStats(server.proc.pid);
    const wrk1 = procStats(worker.proc.pid);
    const me1 = process.cpuUsage(me0);
    const busy1 = machineBusyS();
    const load1 = fs.readFileSync('/proc/loadavg', 'utf8').split(' ')[0];

    const ok = lat.filter((v) => v !== undefined).sort((a, b) => a - b);
    const f = (v) => v.toFixed(1);
    console.log('');
    console.log(`completed ${ok.length}/${N} workflows, ${errors.length} failed`);
    console.log(`wall      ${(wallMs / 1000).toFixed(2)} s`);
    console.log(`rate      ${f(ok.length / (wallMs / 1000))} workflows/s, ${f((ok.length * K) / (wallMs / 1000))} activities/s`);
    console.log(`latency   start-to-close (client-observed, ms): p50 ${f(pct(ok, 50))}  p95 ${f(pct(ok, 95))}  p99 ${f(pct(ok, 99))}  max ${f(ok[ok.length - 1] ?? NaN)}`);
    if (srv1) {
      console.log(`server    RSS ${mib(srv1.rssKb)} MiB (peak VmHWM ${mib(srv1.hwmKb)} MiB), CPU ${srv1.cpuS.toFixed(2)} s total, ${(srv1.cpuS - srv0.cpuS).toFixed(2)} s during the run (${(((srv1.cpuS - srv0.cpuS) / (wallMs / 1000)) * 100).toFixed(0)}% of one core)`);
    } else {
      console.log(`server    gone before the end: ${JSON.stringify(server.exited)}`);
    }
    if (wrk1) {
      console.log(`worker    RSS ${mib(wrk1.rssKb)} MiB (peak ${mib(wrk1.hwmKb)} MiB), CPU ${(wrk1.cpuS - wrk0.cpuS).toFixed(2)} s during the run (${(((wrk1.cpuS - wrk0.cpuS) / (wallMs / 1000)) * 100).toFixed(0)}% of one core)`);
    }
    const meS = (me1.user + me1.system) / 1e6;
    console.log(`client    CPU ${meS.toFixed(2)} s during the run (${((meS / (wallMs / 1000)) * 100).toFixed(0)}% of one core)`);
    if (srv1 && wrk1) {
      const ours = srv1.cpuS - srv0.cpuS + (wrk1.cpuS - wrk0.cpuS) + meS;
      const busy = busy1 - busy0;
      console.log(`machine   ${os.cpus().length} CPUs, ${busy.toFixed(2)} CPU-s busy during the run, ${Math.max(0, busy - ours).toFixed(2)} of them outside server+worker+client; loadavg ${load0} → ${load1}`);
    }
    if (errors.length) {
      failed = true;
      // Executes abandoned above may still be retrying inside the client; see uncaughtException.
      abandoning = true;
      const kinds = new Map();
      for (const e of errors) {
        const k = kinds.get(e.what) ?? { n: 0, first: e.i };
        k.n++;
        kinds.set(e.what, k);
      }
      console.log('errors:');
      for (const [what, k] of [...kinds].slice(0, 16)) console.log(`  ${String(k.n).padStart(6)} x ${what} (first: workflow #${k.first})`);
      if (kinds.size > 16) console.log(`  … ${kinds.size - 16} more kinds`);
    }
  } catch (err) {
    failed = true;
    abandoning = true;
    console.error(`bench failed: ${err.stack ?? err.message}`);
    if (server.log) console.error(`--- server output ---\n${server.log}`);
    if (worker?.log) console.error(`--- worker output ---\n${worker.log}`);
  } finally {
    if (connection) await bounded(connection.close(), 5_000, 'Connection.close').catch(() => {});
    if (worker) {
      worker.proc.stdin.end();
      const e = await stopChild(worker);
      if (e?.code !== 0) console.error(`worker exit ${JSON.stringify(e)}${failed ? '' : `\n${worker.log}`}`);
    }
    if (opt.keep && !server.exited) {
      server.proc.unref();
      console.log(`--keep: server still running at ${address} (pid ${server.proc.pid}, db ${dbFile}, log ${logFile}); kill ${server.proc.pid} when done`);
    } else {
      const e = await stopChild(server);
      if (e?.signal === 'SIGKILL' || (e?.code !== 0 && e?.code !== null)) console.error(`server exit ${JSON.stringify(e)}\n${server.log}`);
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
  process.exit(failed ? 1 : 0);
}

if (opt.role === 'worker') {
  workerMain().catch((err) => {
    console.error(`worker failed: ${err.stack ?? err.message}`);
    process.exit(1);
  });
} else {
  driverMain().catch((err) => {
    console.error(err.stack ?? err.message);
    process.exit(1);
  });
}
