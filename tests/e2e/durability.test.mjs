// Durability end-to-end suite: Sandglass with --db-filename is killed with SIGKILL in the middle
// of a workflow (during a timer; while an activity runs) and restarted on the same port and
// database file. The same Worker (its NativeConnection reconnects by itself) must finish the
// workflow, and the history must be contiguous, free of duplicated events, and replay.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { execFile, spawn } from 'node:child_process';
import { assertBinary, bounded, SANDGLASS_BIN, sleep, tempDir } from './lib/server.mjs';
import {
  assertContiguousIds,
  describeHistory,
  eventTypes,
  eventually,
  fetchHistory,
  getBundle,
  replay,
  result as resultOf,
  start,
  wfId,
  withEnv,
} from './lib/worker.mjs';
import { calls, started } from './activities.mjs';

test.before(async () => {
  assertBinary();
  await getBundle();
});

function dbFor(t) {
  const dir = tempDir('sandglass-e2e-durability-');
  t.after(() => dir.cleanup());
  return path.join(dir.path, 'sandglass.db');
}

const count = (types, name) => types.filter((x) => x === name).length;

test('kill -9 during a 3 s timer: after restart on the same db the workflow completes and replays', async (t) => {
  await withEnv(t, { dbFile: dbFor(t) }, async (env) => {
    const workflowId = wfId('durable-timer');
    const t0 = Date.now();
    await start(env.client, 'sleeper', { taskQueue: env.taskQueue, workflowId, args: [3000] });
    // Wait until the timer is durably started, then pull the plug.
    await eventually(
      async () => eventTypes(await fetchHistory(env.client.workflow.getHandle(workflowId), 2_000)).includes('TimerStarted'),
      10_000,
      'TimerStarted in history',
    );
    assert.ok(Date.now() - t0 < 3000, 'the kill must land while the timer is pending');
    await env.restartServer({ kill: true });

    const handle = env.client.workflow.getHandle(workflowId);
    const result = await resultOf(handle);
    assert.equal(result.slept, 3000);
    assert.ok(Date.now() - t0 >= 3000, 'the timer must not fire early after a restart');

    const history = await fetchHistory(handle);
    assertContiguousIds(history);
    const types = eventTypes(history);
    assert.equal(count(types, 'WorkflowExecutionStarted'), 1, describeHistory(history));
    assert.equal(count(types, 'TimerStarted'), 1, describeHistory(history));
    assert.equal(count(types, 'TimerFired'), 1, describeHistory(history));
    assert.equal(types.at(-1), 'WorkflowExecutionCompleted', describeHistory(history));
    await replay(history, workflowId);
  });
});

test('kill -9 while an activity runs: after restart the workflow completes once, no duplicated events', async (t) => {
  await withEnv(t, { dbFile: dbFor(t) }, async (env) => {
    const workflowId = wfId('durable-activity');
    await start(env.client, 'callActivity', {
      taskQueue: env.taskQueue,
      workflowId,
      // The activity takes ~2 s; if the server lost track of the running attempt it is retried
      // after the 3 s start-to-close timeout.
      args: ['sleepFor', [2000], { startToCloseTimeout: '3 s', retry: { initialInterval: '100 ms' } }],
    });
    await bounded(started(workflowId, 'sleepFor'), 10_000, 'activity sleepFor to start');
    await sleep(300);
    await env.restartServer({ kill: true });

    const handle = env.client.workflow.getHandle(workflowId);
    const result = await resultOf(handle);
    assert.equal(result.slept, 2000);
    const attempts = calls(workflowId, 'sleepFor').map((c) => c.attempt);
    t.diagnostic(`activity attempts across the crash: ${attempts.join(', ')}`);
    assert.ok(attempts.length <= 2, `activity ran ${attempts.length} times (attempts ${attempts})`);

    const history = await fetchHistory(handle);
    assertContiguousIds(history);
    const types = eventTypes(history);
    assert.equal(count(types, 'WorkflowExecutionStarted'), 1, describeHistory(history));
    assert.equal(count(types, 'ActivityTaskScheduled'), 1, describeHistory(history));
    assert.equal(count(types, 'ActivityTaskStarted'), 1, describeHistory(history));
    assert.equal(count(types, 'ActivityTaskCompleted'), 1, describeHistory(history));
    assert.equal(count(types, 'WorkflowExecutionCompleted'), 1, describeHistory(history));
    assert.equal(types.at(-1), 'WorkflowExecutionCompleted', describeHistory(history));
    await replay(history, workflowId);
  });
});

test('kill -9 right after a child ends: the parent\'s record of it survives and the parent finishes', async (t) => {
  await withEnv(t, { dbFile: dbFor(t) }, async (env) => {
    const parentId = wfId('durable-parent');
    const childId = wfId('durable-child');
    const parent = await start(env.client, 'parentWaits', { taskQueue: env.taskQueue, workflowId: parentId, args: [childId] });
    await eventually(
      async () => eventTypes(await fetchHistory(parent, 2_000)).includes('ChildWorkflowExecutionStarted'),
      10_000,
      'ChildWorkflowExecutionStarted in the parent',
    );
    // The terminate is acknowledged only once the child's close and the parent's record of it
    // are committed: kill at once.
    await env.client.workflow.getHandle(childId).terminate('pulled');
    await env.restartServer({ kill: true });
    const handle = env.client.workflow.getHandle(parentId); // the client is new after a restart
    const err = await resultOf(handle).then(() => null, (e) => e);
    assert.ok(err, 'the parent fails with its terminated child');
    assert.equal(err.cause?.name, 'ChildWorkflowFailure', String(err.cause));
    const history = await fetchHistory(handle);
    assertContiguousIds(history);
    assert.equal(count(eventTypes(history), 'ChildWorkflowExecutionTerminated'), 1, describeHistory(history));
    await replay(history, parentId);
  });
});

test('kill -9 after starts, a close and an upsert: visibility lists exactly what was acknowledged', async (t) => {
  await withEnv(t, { dbFile: dbFor(t), args: ['--search-attribute', 'Stage=Keyword'] }, async (env) => {
    const ids = [];
    for (let i = 0; i < 5; i++) {
      const id = wfId(`vis-durable-${i}`);
      await start(env.client, 'sleeper', { taskQueue: env.taskQueue, workflowId: id, args: [60_000] });
      ids.push(id);
    }
    await env.client.workflow.getHandle(ids[0]).terminate('gone');
    const staged = await start(env.client, 'stages', { taskQueue: env.taskQueue, workflowId: wfId('vis-durable-stages'), args: [['one']] });
    await eventually(async () => {
      for await (const w of env.client.workflow.list({ query: "Stage = 'one'" })) if (w.workflowId === staged.workflowId) return true;
      return false;
    }, 10_000, 'the upsert is listed');
    await env.restartServer({ kill: true });
    const list = async (query) => {
      const out = [];
      for await (const w of env.client.workflow.list({ query })) out.push(w.workflowId);
      return out.sort();
    };
    assert.deepEqual(await list("WorkflowType = 'sleeper' AND ExecutionStatus = 'Running'"), ids.slice(1).sort());
    assert.deepEqual(await list("ExecutionStatus = 'Terminated'"), [ids[0]]);
    assert.deepEqual(await list("Stage = 'one'"), [staged.workflowId]);
    assert.equal((await env.client.workflow.count("WorkflowType = 'sleeper'")).count, 5);
  });
});

test('kill -9 right after a batch job is acknowledged: every run it terminated and its record survive', async (t) => {
  await withEnv(t, { dbFile: dbFor(t), args: ['--search-attribute', 'CorrelationKey=Keyword'] }, async (env) => {
    const ids = [];
    for (let i = 0; i < 20; i++) {
      const id = wfId(`batch-durable-${i}`);
      await start(env.client, 'sleeper', { taskQueue: env.taskQueue, workflowId: id, args: [60_000], searchAttributes: { CorrelationKey: [i < 12 ? 'bulk' : 'keep'] } });
      ids.push(id);
    }
    const svc = env.client.workflowService;
    await svc.startBatchOperation({ namespace: 'default', jobId: 'job-durable', reason: 'durability',
      visibilityQuery: "CorrelationKey = 'bulk'", terminationOperation: { identity: 'test' } });
    await env.restartServer({ kill: true });
    const job = await env.client.workflowService.describeBatchOperation({ namespace: 'default', jobId: 'job-durable' });
    assert.equal(Number(job.totalOperationCount), 12);
    assert.equal(Number(job.completeOperationCount), 12);
    for (const [i, id] of ids.entries()) {
      const d = await env.client.workflow.getHandle(id).describe();
      assert.equal(d.status.name, i < 12 ? 'TERMINATED' : 'RUNNING', id);
    }
  });
});

test('terminate by query of 2,000 runs in the background: kill -9 halfway, it resumes, each run terminated once, progress reported', async (t) => {
  await withEnv(t, { dbFile: dbFor(t), worker: false, args: ['--dynamic-config-value', 'worker.batcherRPS=500'] }, async (env) => {
    const N = 2000;
    const prefix = wfId('bulk');
    for (let i = 0; i < N; i += 200) {
      await Promise.all(Array.from({ length: 200 }, (_, k) =>
        env.client.workflow.start('sleeper', { taskQueue: env.taskQueue, workflowId: `${prefix}-${i + k}`, args: [60_000] })));
    }
    const others = [];
    for (let i = 0; i < 3; i++) {
      others.push(wfId('other'));
      await env.client.workflow.start('signalCollector', { taskQueue: env.taskQueue, workflowId: others[i], args: [60_000] });
    }
    const query = "WorkflowType = 'sleeper' AND ExecutionStatus = 'Running'";
    // The CLI starts the job and follows it; it dies with the server, the job does not.
    const child = spawn(SANDGLASS_BIN, ['workflow', 'terminate', '--query', query, '--reason', 'bulk cleanup', '--rps', '400',
      '--yes', '--address', env.server.address], { env: { ...process.env, TEMPORAL_ADDRESS: '' } });
    let out = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { out += d; });
    const exited = new Promise((resolve) => child.on('close', resolve));
    t.after(() => child.kill('SIGKILL'));
    const jobId = await eventually(async () => out.match(/Started batch for job ID: (\S+)/)?.[1], 10_000, 'the job id');
    const svc = () => env.client.workflowService;
    await eventually(async () => {
      const d = await svc().describeBatchOperation({ namespace: 'default', jobId });
      return Number(d.completeOperationCount) >= 600;
    }, 20_000, 'a third of the runs terminated');
    const before = await svc().describeBatchOperation({ namespace: 'default', jobId });
    assert.equal(before.state, 1); // BATCH_OPERATION_STATE_RUNNING
    assert.ok(Number(before.completeOperationCount) < N, 'the kill lands while the job runs');
    await env.restartServer({ kill: true });
    await bounded(exited, 10_000, 'the CLI exits once its server is gone');
    // Progress while it ran: at least two lines, counts growing.
    const lines = [...out.matchAll(/Batch job \S+: (\d+) of 2000 done, 0 failed \(running\)/g)].map((m) => Number(m[1]));
    assert.ok(lines.length >= 2 && lines.at(-1) > lines[0], out);

    const done = await eventually(async () => {
      const d = await svc().describeBatchOperation({ namespace: 'default', jobId });
      return d.state === 2 && d; // BATCH_OPERATION_STATE_COMPLETED
    }, 30_000, 'the job completes after the restart');
    assert.equal(Number(done.totalOperationCount), N);
    // A run acted on twice would fail its second terminate and show here.
    assert.equal(Number(done.completeOperationCount), N);
    assert.equal(Number(done.failureOperationCount), 0);
    assert.equal((await env.client.workflow.count("WorkflowType = 'sleeper' AND ExecutionStatus = 'Terminated'")).count, N);
    assert.equal((await env.client.workflow.count("ExecutionStatus = 'Running'")).count, 3);
    const sample = await fetchHistory(env.client.workflow.getHandle(`${prefix}-1234`));
    assert.equal(count(eventTypes(sample), 'WorkflowExecutionTerminated'), 1);
    for (const id of others) assert.equal((await env.client.workflow.getHandle(id).describe()).status.name, 'RUNNING');

    // The CLI reads the job as the server keeps it.
    const r = await new Promise((resolve) => execFile(SANDGLASS_BIN, ['batch', 'describe', '--job-id', jobId, '--address', env.server.address],
      { timeout: 20_000 }, (err, stdout, stderr) => resolve({ code: err ? err.code : 0, stdout, stderr })));
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /State\s+Completed/);
    assert.match(r.stdout, /CompletedCount\s+2000\/2000/);
    assert.match(r.stdout, /FailureCount\s+0\/2000/);
  });
});

test('kill -9 under a 1 s schedule: after the restart the ticks of the downtime run (catch-up), none lost, none twice', async (t) => {
  await withEnv(t, { dbFile: dbFor(t), worker: false }, async (env) => {
    const scheduleId = wfId('sched-durable');
    const base = wfId('sched-durable-run');
    await env.client.schedule.create({
      scheduleId,
      spec: { intervals: [{ every: '1s' }] },
      action: { type: 'startWorkflow', workflowType: 'sleeper', taskQueue: env.taskQueue, workflowId: base, args: [60_000] },
      policies: { overlap: 'ALLOW_ALL' },
    });
    const runs = async () => {
      const ids = [];
      for await (const w of env.client.workflow.list({ query: `TemporalScheduledById = '${scheduleId}'` })) ids.push(w.workflowId);
      return ids;
    };
    await eventually(async () => (await runs()).length >= 2, 10_000, 'two scheduled runs');
    await env.restartServer({ kill: true, downMs: 2_500 });
    const killedAt = Date.now();
    await eventually(async () => {
      const d = await env.client.schedule.getHandle(scheduleId).describe();
      return d.info.recentActions.length && d.info.recentActions.at(-1).takenAt.getTime() > killedAt + 1_000;
    }, 15_000, 'the schedule runs again after the restart');
    await env.client.schedule.getHandle(scheduleId).delete();
    const ids = await runs();
    const seconds = ids.map((id) => Date.parse(id.slice(base.length + 1)) / 1000).sort((a, b) => a - b);
    assert.equal(new Set(ids).size, ids.length, 'no run twice');
    for (let i = 1; i < seconds.length; i++) assert.equal(seconds[i] - seconds[i - 1], 1, `no tick lost: ${ids.sort().join(' ')}`);
    assert.ok(seconds.length >= 5, `the ticks of the downtime were caught up: ${seconds.length} runs`);
    const d = await env.client.schedule.getHandle(scheduleId).describe().catch((e) => e);
    assert.equal(d.name, 'ScheduleNotFoundError');
    for (const id of ids) await env.client.workflow.getHandle(id).terminate('test over').catch(() => {});
  });
});
