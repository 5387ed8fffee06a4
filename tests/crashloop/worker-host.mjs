// Worker host for tests/crashloop/crashloop.mjs: a child process (forked with an IPC channel)
// that runs K official-SDK Workers, each with its own NativeConnection, on one task queue. It
// lives in its own process so its stdout/stderr (sdk-core writes its WARN lines about the
// server's deaths straight to fd 2) go to a log file, and so that the server's kill -9 is seen
// exactly as a real worker fleet sees it: the connections break and reconnect by themselves.
//
// argv: <address> <taskQueue> <workers>
// Messages to the parent: {type: 'ready'}, {type: 'worker-failed', index, error},
//   {type: 'worker-restarted', index}, {type: 'stopped', activities}.
// Messages from the parent: {type: 'stop'} (shut the workers down, bounded, then exit).
// If the parent goes away (IPC disconnect) the host exits at once.

import { createRequire } from 'node:module';
import { sleep } from '../e2e/lib/server.mjs';
import { startWorker } from '../e2e/lib/worker.mjs';

// The SDK lives in tests/e2e/node_modules: resolve it from there (the same module instances
// the e2e helpers use).
const { Context } = createRequire(new URL('../e2e/package.json', import.meta.url))('@temporalio/activity');

const [address, taskQueue, workersArg] = process.argv.slice(2);
const K = Number(workersArg);
if (!address || !taskQueue || !(K >= 1)) {
  console.error('usage: worker-host.mjs <address> <taskQueue> <workers>');
  process.exit(2);
}

process.on('disconnect', () => process.exit(stopping ? 0 : 1));
const send = (msg) => {
  if (process.connected) process.send(msg);
};
const log = (msg) => console.log(`${new Date().toISOString()} [host] ${msg}`);

let activityCalls = 0;
const activities = {
  /** Sleeps `ms` (cancellable: a worker shutdown cuts it short), then returns `value`. */
  async crashloopStep(value, ms) {
    activityCalls++;
    if (ms > 0) await Context.current().sleep(ms);
    return value;
  },
};

let stopping = false;
const slots = [];

/** Starts worker `index`, retrying (the server may be down right now) until it runs or we stop. */
async function launch(index) {
  for (let attempt = 1; !stopping; attempt++) {
    try {
      const handle = await startWorker(address, {
        taskQueue,
        activities,
        identity: `crashloop-host-${process.pid}-w${index}`,
        shutdownGraceTime: '500 ms',
        shutdownForceTime: '3 s',
      });
      slots[index] = handle;
      watch(index, handle);
      return handle;
    } catch (err) {
      log(`worker ${index}: start attempt ${attempt} failed: ${err.message}`);
      await sleep(Math.min(2_000, 200 * attempt));
    }
  }
  return undefined;
}

/** Restarts worker `index` if its run() ever rejects (e.g. core gave up on a dead server). */
function watch(index, handle) {
  const timer = setInterval(async () => {
    const err = handle.runError();
    if (stopping) {
      clearInterval(timer);
      return;
    }
    if (!err && handle.worker.getState() !== 'FAILED' && handle.worker.getState() !== 'STOPPED') return;
    clearInterval(timer);
    const text = err ? `${err.name}: ${err.message}` : `state ${handle.worker.getState()}`;
    log(`worker ${index} failed: ${text}; restarting it`);
    send({ type: 'worker-failed', index, error: text });
    await handle.stop();
    if (await launch(index)) send({ type: 'worker-restarted', index });
  }, 250);
  timer.unref();
}

process.on('message', async (msg) => {
  if (msg?.type !== 'stop' || stopping) return;
  stopping = true;
  log('stopping');
  await Promise.allSettled(slots.map((h) => h?.stop()));
  send({ type: 'stopped', activities: activityCalls });
  log(`stopped (${activityCalls} activity calls)`);
  process.disconnect?.();
  // Native handles of the SDK may outlive the workers by a moment; do not wait for them.
  setTimeout(() => process.exit(0), 100);
});

for (let i = 0; i < K; i++) await launch(i);
log(`${K} worker(s) running on ${address}, task queue ${taskQueue}`);
send({ type: 'ready' });
// Keep the process alive until told to stop (the workers' own handles may be unref'd).
setInterval(() => {}, 60_000);
