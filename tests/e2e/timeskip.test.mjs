// Time skipping (issue 10) with the official TS SDK 1.24.0's test environment: Sandglass as the
// executable of TestWorkflowEnvironment.createTimeSkipping (launched as `sandglass PORT`), and
// `start-dev --time-skipping` used as an existing server. A workflow's 7-day sleep passes on the
// server's virtual clock while the test waits only as long as the workers need (its waits are
// bounded far below 7 days); env.sleep moves the clock; the histories replay.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import path from 'node:path';
import { SANDGLASS_BIN, assertBinary, bounded, startServer, tempDir } from './lib/server.mjs';
import { fetchHistory, getBundle, replay, uniqueTaskQueue, wfId } from './lib/worker.mjs';
import * as activities from './activities.mjs';

const DAY_MS = 24 * 3600 * 1000;

test.before(async () => {
  assertBinary();
  await getBundle();
});

/** Runs a worker on env while fn(taskQueue) runs; both bounded. */
async function withWorker(env, fn) {
  const taskQueue = uniqueTaskQueue('ts');
  const worker = await bounded(
    Worker.create({ connection: env.nativeConnection, namespace: 'default', taskQueue, workflowBundle: await getBundle(), activities }),
    20_000,
    'Worker.create',
  );
  return await bounded(worker.runUntil(fn(taskQueue)), 60_000, 'the test body with its worker');
}

async function sevenDaysAndEnvSleep(env) {
  await withWorker(env, async (taskQueue) => {
    const t0 = await env.currentTimeMs();
    const workflowId = wfId('week');
    const started = Date.now();
    const out = await env.client.workflow.execute('sleeper', { taskQueue, workflowId, args: [7 * DAY_MS] });
    const wallMs = Date.now() - started;
    assert.equal(out.slept, 7 * DAY_MS);
    // Workflow time (the WorkflowTaskStarted times) moved by the whole week.
    assert.ok(out.workflowClockMs >= 7 * DAY_MS, `workflow clock moved ${out.workflowClockMs} ms`);
    const t1 = await env.currentTimeMs();
    assert.ok(t1 - t0 >= 7 * DAY_MS, `server clock moved ${t1 - t0} ms`);
    console.log(`# 7-day sleep took ${wallMs} ms of wall time`);
    const history = await fetchHistory(env.client.workflow.getHandle(workflowId));
    const fired = history.events.find((e) => e.timerFiredEventAttributes);
    assert.ok(fired, 'TimerFired in the history');
    await replay(history, workflowId);

    // env.sleep moves the clock by (at least) the duration, and returns.
    const before = await env.currentTimeMs();
    await env.sleep(DAY_MS);
    const after = await env.currentTimeMs();
    assert.ok(after - before >= DAY_MS, `env.sleep(1 day) moved the clock ${after - before} ms`);
    assert.ok(after - before < DAY_MS + 60_000, `env.sleep(1 day) moved the clock ${after - before} ms`);

    // An activity retried after an hour: the clock skips the backoff, not the attempts.
    const flakyId = wfId('flaky-hourly');
    const a0 = await env.currentTimeMs();
    const res = await env.client.workflow.execute('callActivity', {
      taskQueue,
      workflowId: flakyId,
      args: ['flaky', [2], { startToCloseTimeout: '10 s', retry: { initialInterval: '1 hour', backoffCoefficient: 1 } }],
    });
    assert.equal(res.attempt, 3, 'the activity completed on its third attempt');
    const a1 = await env.currentTimeMs();
    assert.ok(a1 - a0 >= 2 * 3600 * 1000, `two hour-long backoffs skipped: ${a1 - a0} ms`);
  });
}

test('createTimeSkipping runs Sandglass as the test server: a 7-day sleep passes, env.sleep moves the clock', async (t) => {
  const env = await bounded(
    TestWorkflowEnvironment.createTimeSkipping({ server: { executable: { type: 'existing-path', path: SANDGLASS_BIN } } }),
    20_000,
    'TestWorkflowEnvironment.createTimeSkipping',
  );
  t.after(() => bounded(env.teardown(), 10_000, 'env.teardown'));
  assert.equal(env.supportsTimeSkipping, true);
  await sevenDaysAndEnvSleep(env);
});

/** A time-skipping test environment on a server the test started itself. */
async function existingEnv(t, server) {
  const env = await bounded(
    TestWorkflowEnvironment.create({
      supportsTimeSkipping: true,
      server: { type: 'existing' },
      address: server.address,
      namespace: 'default',
    }),
    20_000,
    'TestWorkflowEnvironment (existing server)',
  );
  t.after(() => bounded(env.teardown(), 10_000, 'env.teardown'));
  return env;
}

test('start-dev --time-skipping serves the same test service on a persistent store', async (t) => {
  const dir = tempDir('sandglass-e2e-timeskip-');
  t.after(() => dir.cleanup());
  const server = await startServer({ args: ['--time-skipping'], dbFile: path.join(dir.path, 'sg.db') });
  t.after(() => server.stop());
  const env = await existingEnv(t, server);
  await sevenDaysAndEnvSleep(env);
  // The lock counter starts at 1: one unlock is fine, a second one is unbalanced.
  const ts = env.connection.testService;
  await bounded(ts.unlockTimeSkipping({}), 5_000, 'unlock');
  // Unlocked and idle, Sleep and SleepUntil return as soon as the clock jumps there.
  const s0 = await env.currentTimeMs();
  await bounded(ts.sleep({ duration: { seconds: 3600 } }), 10_000, 'Sleep(1 h)');
  const s1 = await env.currentTimeMs();
  assert.ok(s1 - s0 >= 3600_000, `Sleep(1 h) moved the clock ${s1 - s0} ms`);
  await bounded(ts.sleepUntil({ timestamp: { seconds: Math.ceil((s1 + 7200_000) / 1000) } }), 10_000, 'SleepUntil(+2 h)');
  assert.ok((await env.currentTimeMs()) >= s1 + 7200_000, 'SleepUntil reached its time');
  const err = await bounded(ts.unlockTimeSkipping({}).then(() => null, (e) => e), 5_000, 'second unlock');
  assert.equal(err?.code, 9, `FAILED_PRECONDITION, got ${err?.code}: ${err?.message}`);
  await bounded(ts.lockTimeSkipping({}), 5_000, 'lock');
});

test('a dev server without --time-skipping has no test service', async (t) => {
  const server = await startServer({});
  t.after(() => server.stop());
  const env = await existingEnv(t, server);
  const err = await bounded(env.connection.testService.getCurrentTime({}).then(() => null, (e) => e), 5_000, 'getCurrentTime');
  assert.ok(err, 'getCurrentTime must fail');
  assert.equal(err.code, 12, `UNIMPLEMENTED, got ${err.code}: ${err.message}`);
});
