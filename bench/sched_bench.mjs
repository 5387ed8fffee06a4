#!/usr/bin/env node
// sched_bench.mjs: schedules at scale. A benchmark, never a test: it prints numbers and asserts
// no timings.
//
// It starts its own server (free port on 127.0.0.1, a temporary --db-filename), creates S
// schedules through the official SDK's client.schedule, each firing every second and starting a
// workflow that completes at once (raw_worker --serve-s ... --k 0 answers them), lets them run
// D seconds, then deletes them and reads every run they started from visibility:
//   - on time: each run's StartTime minus its nominal time (the time in its id), p50/p99/max;
//   - kept up: runs started against S × D ticks due;
//   - server CPU per fired action, and its RSS;
//   - idle cost: S schedules with a one-hour interval, server CPU over 5 s between ticks.
//
//   node sched_bench.mjs [--schedules 1000] [--seconds 10] [--server-bin PATH] [--keep]
//
// Every wait is bounded; the server and raw_worker are killed on the way out.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';

const here = path.dirname(fileURLToPath(import.meta.url));
const { values: opt } = parseArgs({
  options: {
    schedules: { type: 'string', default: '1000' },
    seconds: { type: 'string', default: '10' },
    'server-bin': { type: 'string', default: path.join(here, '..', 'build', 'sandglass') },
    keep: { type: 'boolean', default: false },
  },
  strict: true,
});
const S = Number(opt.schedules), D = Number(opt.seconds);
const TQ = 'sched-bench';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const freePort = () => new Promise((resolve) => {
  const srv = net.createServer().listen(0, '127.0.0.1', () => { const { port } = srv.address(); srv.close(() => resolve(port)); });
});
function proc(pid) {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  const tick = 100; // sysconf(_SC_CLK_TCK) on Linux
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (k) => Number((status.match(new RegExp(`${k}:\\s+(\\d+)`)) ?? [0, 0])[1]);
  return { cpuMs: ((Number(stat[11]) + Number(stat[12])) * 1000) / tick, rssMiB: kb('VmRSS') / 1024, hwmMiB: kb('VmHWM') / 1024 };
}
const pct = (xs, p) => (xs.length ? xs[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))] : NaN);

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sg-schedbench-'));
const port = await freePort();
const server = spawn(opt['server-bin'], ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(port), '--headless',
  '--db-filename', path.join(dir, 'db.sqlite'), '--log-level', 'error'], { stdio: ['ignore', 'ignore', 'inherit'] });
let worker;
const cleanup = () => {
  worker?.kill('SIGKILL');
  if (!opt.keep) {
    server.kill('SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
  }
};
process.on('exit', cleanup);
const address = `127.0.0.1:${port}`;
let connection;
for (let i = 0; i < 100 && !connection; i++) {
  connection = await Connection.connect({ address }).catch(() => undefined);
  if (!connection) await sleep(100);
}
if (!connection) throw new Error(`the server at ${address} did not come up`);
const client = new Client({ connection });

async function createAll(prefix, every) {
  const ids = Array.from({ length: S }, (_, i) => `${prefix}-${i}`);
  for (let i = 0; i < S; i += 200) {
    await Promise.all(ids.slice(i, i + 200).map((id) => client.schedule.create({
      scheduleId: id,
      spec: { intervals: [{ every }] },
      action: { type: 'startWorkflow', workflowType: 'rawBench', taskQueue: TQ, workflowId: id },
      policies: { overlap: 'ALLOW_ALL' },
    })));
  }
  return ids;
}
const deleteAll = async (ids) => {
  for (let i = 0; i < ids.length; i += 200) await Promise.all(ids.slice(i, i + 200).map((id) => client.schedule.getHandle(id).delete()));
};

console.log(`sched_bench: ${S} schedules every 1 s for ${D} s, server ${address} (db ${dir})`);
worker = spawn(path.join(here, 'raw_worker'), ['--address', address, '--serve-s', String(D + 30), '--task-queue', TQ, '--k', '0',
  '--threads', '8'], { stdio: 'ignore' });
let t = Date.now();
const ids = await createAll('tick', '1s');
console.log(`created   ${S} schedules in ${((Date.now() - t) / 1000).toFixed(1)} s`);
const p0 = proc(server.pid);
const start = Date.now();
await sleep(D * 1000);
const p1 = proc(server.pid);
await deleteAll(ids);
const end = Date.now();
await sleep(2000);

// Every run they started, from visibility: nominal time in the id, actual start in StartTime.
t = Date.now();
const late = [];
let runs = 0, completed = 0;
for await (const w of client.workflow.list({ query: `WorkflowType = 'rawBench'` })) {
  const m = /-(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)$/.exec(w.workflowId);
  if (!m) continue;
  const nominal = Date.parse(m[1]);
  if (nominal < start || nominal >= start + D * 1000) continue;
  runs++;
  if (w.status.name === 'COMPLETED') completed++;
  late.push(w.startTime.getTime() - nominal);
}
late.sort((a, b) => a - b);
const due = S * D;
console.log(`read      ${runs} runs from visibility in ${((Date.now() - t) / 1000).toFixed(1)} s`);
console.log(`kept up   ${runs} of ${due} ticks due in the ${D} s window started (${((100 * runs) / due).toFixed(1)} %), ${completed} completed`);
console.log(`on time   start minus nominal (ms): p50 ${pct(late, 50)}  p99 ${pct(late, 99)}  max ${late.at(-1)}`);
const cpu = p1.cpuMs - p0.cpuMs;
console.log(`server    CPU ${(cpu / 1000).toFixed(2)} s over ${D} s (${((100 * cpu) / (D * 1000)).toFixed(0)} % of one core), ` +
  `${runs ? ((cpu * 1000) / runs).toFixed(0) : '-'} us per fired action (start, task, completion); RSS ${p1.rssMiB.toFixed(1)} MiB (peak ${p1.hwmMiB.toFixed(1)} MiB)`);

// Idle: schedules whose next tick is up to an hour away cost nothing in between.
const idle = await createAll('idle', '1h');
await sleep(1000);
const i0 = proc(server.pid);
await sleep(5000);
const i1 = proc(server.pid);
console.log(`idle      ${S} schedules with a 1 h interval: server CPU ${(i1.cpuMs - i0.cpuMs).toFixed(0)} ms over 5 s; RSS ${i1.rssMiB.toFixed(1)} MiB`);
await deleteAll(idle);
await connection.close();
if (opt.keep) console.log(`--keep: server still running at ${address} (pid ${server.pid}), db in ${dir}`);
process.exit(0);
