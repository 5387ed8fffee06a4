// Workflow end-to-end suite: a real Worker (official TS SDK 1.24.0, shared pre-built bundle of
// workflows/index.ts) runs workflows on Sandglass. Covers the canonical one-activity history and
// its replay, durable timers, workflow execution timeout, duplicate starts and request-id
// de-duplication, try/finally cleanup, DescribeWorkflowExecution while an activity runs, sticky
// and non-sticky workers, and the repository-indexing pipeline of seed 001.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { WorkflowExecutionAlreadyStartedError, WorkflowFailedError } from '@temporalio/client';
import { ActivityFailure, ApplicationFailure, TimeoutFailure } from '@temporalio/common';
import { Status, assertBinary, bounded, grpcError, proto, rpc, statusDetails } from './lib/server.mjs';
import {
  assertContiguousIds,
  describe,
  describeHistory,
  eventTypes,
  eventsOf,
  eventually,
  execute,
  fetchHistory,
  getBundle,
  num,
  rejection,
  replay,
  result as resultOf,
  start,
  startWorker,
  wfId,
  withEnv,
} from './lib/worker.mjs';
import { calls, started } from './activities.mjs';

const { PendingActivityState } = proto.temporal.api.enums.v1;
const { WorkflowExecutionAlreadyStartedFailure } = proto.temporal.api.errordetails.v1;

/** google.protobuf.Duration → ms. */
const durMs = (d) => (d ? num(d.seconds ?? 0) * 1000 + Math.round((d.nanos ?? 0) / 1e6) : 0);
/** google.protobuf.Timestamp → ms since the epoch. */
const tsMs = (ts) => num(ts?.seconds ?? 0) * 1000 + (ts?.nanos ?? 0) / 1e6;

const ONE_ACTIVITY_HISTORY = [
  'WorkflowExecutionStarted',
  'WorkflowTaskScheduled',
  'WorkflowTaskStarted',
  'WorkflowTaskCompleted',
  'ActivityTaskScheduled',
  'ActivityTaskStarted',
  'ActivityTaskCompleted',
  'WorkflowTaskScheduled',
  'WorkflowTaskStarted',
  'WorkflowTaskCompleted',
  'WorkflowExecutionCompleted',
];

test.before(async () => {
  assertBinary();
  await getBundle(); // build (or load) the workflow bundle once, outside every test's clock
});

// ---------------------------------------------------------------------------------------------
// 1. One activity: execute, canonical history, replay.

test('a workflow with one activity completes; its history is canonical and replays', async (t) => {
  await withEnv(t, {}, async ({ client, taskQueue }) => {
    const workflowId = wfId('one-activity');
    const result = await execute(client, 'callActivity', {
      taskQueue,
      workflowId,
      args: ['echo', [{ hello: 'world', n: 42 }], { startToCloseTimeout: '5 s' }],
    });
    assert.deepEqual(result, { hello: 'world', n: 42 });
    assert.equal(calls(workflowId, 'echo').length, 1, 'the activity ran exactly once');

    const history = await fetchHistory(client.workflow.getHandle(workflowId));
    assert.deepEqual(eventTypes(history), ONE_ACTIVITY_HISTORY, describeHistory(history));
    assertContiguousIds(history);
    const ev = history.events;
    const started = ev[0].workflowExecutionStartedEventAttributes;
    assert.equal(started.workflowType?.name, 'callActivity');
    assert.equal(started.taskQueue?.name, taskQueue);
    assert.ok(durMs(started.workflowTaskTimeout) > 0, 'WorkflowExecutionStarted.workflow_task_timeout must be set');
    assert.ok(ev[2].eventTime, 'WorkflowTaskStarted.event_time must be set');
    const wtc = ev[3].workflowTaskCompletedEventAttributes;
    assert.deepEqual([num(wtc.scheduledEventId), num(wtc.startedEventId)], [2, 3]);
    const sched = ev[4].activityTaskScheduledEventAttributes;
    assert.equal(sched.activityType?.name, 'echo');
    assert.equal(num(sched.workflowTaskCompletedEventId), 4);
    assert.equal(num(ev[5].activityTaskStartedEventAttributes.scheduledEventId), 5);
    assert.equal(ev[5].activityTaskStartedEventAttributes.attempt, 1);
    const done = ev[6].activityTaskCompletedEventAttributes;
    assert.deepEqual([num(done.scheduledEventId), num(done.startedEventId)], [5, 6]);
    assert.equal(num(ev[10].workflowExecutionCompletedEventAttributes.workflowTaskCompletedEventId), 10);

    await replay(history, workflowId);
  });
});

// ---------------------------------------------------------------------------------------------
// 7. Durable timers.

test('sleep() is a durable timer: TimerStarted then TimerFired, ≥ 1 s elapsed, replays', async (t) => {
  await withEnv(t, {}, async ({ client, taskQueue }) => {
    const workflowId = wfId('timer');
    const t0 = Date.now();
    const result = await execute(client, 'sleeper', { taskQueue, workflowId, args: [1000] });
    const elapsed = Date.now() - t0;
    assert.equal(result.slept, 1000);
    assert.ok(elapsed >= 1000, `workflow finished after ${elapsed} ms, before its 1 s timer`);
    assert.ok(result.workflowClockMs >= 1000, `workflow clock advanced ${result.workflowClockMs} ms across a 1 s sleep`);

    const history = await fetchHistory(client.workflow.getHandle(workflowId));
    assert.deepEqual(
      eventTypes(history),
      [
        'WorkflowExecutionStarted',
        'WorkflowTaskScheduled',
        'WorkflowTaskStarted',
        'WorkflowTaskCompleted',
        'TimerStarted',
        'TimerFired',
        'WorkflowTaskScheduled',
        'WorkflowTaskStarted',
        'WorkflowTaskCompleted',
        'WorkflowExecutionCompleted',
      ],
      describeHistory(history),
    );
    assertContiguousIds(history);
    const [ts] = eventsOf(history, 'TimerStarted');
    const [tf] = eventsOf(history, 'TimerFired');
    assert.equal(durMs(ts.timerStartedEventAttributes.startToFireTimeout), 1000);
    assert.equal(tf.timerFiredEventAttributes.timerId, ts.timerStartedEventAttributes.timerId);
    assert.equal(num(tf.timerFiredEventAttributes.startedEventId), num(ts.eventId));
    const firedAfter = tsMs(tf.eventTime) - tsMs(ts.eventTime);
    assert.ok(firedAfter >= 1000 - 1, `TimerFired.event_time is ${firedAfter} ms after TimerStarted`);

    await replay(history, workflowId);
  });
});

// ---------------------------------------------------------------------------------------------
// 8. Workflow execution timeout.

test('workflowExecutionTimeout: the client sees WorkflowFailedError(TimeoutFailure), describe says TIMED_OUT', async (t) => {
  await withEnv(t, {}, async ({ client, taskQueue }) => {
    const workflowId = wfId('wf-timeout');
    const t0 = Date.now();
    const err = await rejection(
      execute(client, 'sleeper', { taskQueue, workflowId, args: [30_000], workflowExecutionTimeout: '2 s' }, 15_000),
    );
    const elapsed = Date.now() - t0;
    assert.ok(err instanceof WorkflowFailedError, `expected WorkflowFailedError, got ${err?.name}: ${err?.message}`);
    assert.ok(err.cause instanceof TimeoutFailure, `expected cause TimeoutFailure, got ${err.cause?.name}`);
    assert.ok(elapsed >= 2000, `timed out after ${elapsed} ms, before the 2 s execution timeout`);

    const handle = client.workflow.getHandle(workflowId);
    const desc = await describe(handle);
    assert.equal(desc.status.name, 'TIMED_OUT');
    assert.ok(desc.closeTime, 'closeTime must be set on a timed-out run');

    const history = await fetchHistory(handle);
    assertContiguousIds(history);
    const types = eventTypes(history);
    assert.equal(types.at(-1), 'WorkflowExecutionTimedOut', describeHistory(history));
    assert.ok(types.includes('TimerStarted'), describeHistory(history));
    assert.ok(!types.includes('TimerFired'), 'the 30 s timer must not fire');
  });
});

// ---------------------------------------------------------------------------------------------
// 9. Duplicate starts and request-id de-duplication (no worker needed: the run just stays open).

test('same workflow id while running → AlreadyStarted; same requestId → same run id', async (t) => {
  await withEnv(t, { worker: false }, async ({ client, connection, taskQueue }) => {
    const workflowId = wfId('dup-start');
    const base = {
      namespace: 'default',
      workflowId,
      workflowType: { name: 'sleeper' },
      taskQueue: { name: taskQueue },
      workflowExecutionTimeout: { seconds: 60 },
      identity: 'e2e-dup-start',
    };
    const requestId = crypto.randomUUID();
    const first = await rpc(connection, () => connection.workflowService.startWorkflowExecution({ ...base, requestId }));
    assert.ok(first.runId, 'StartWorkflowExecution must return a run id');
    const again = await rpc(connection, () => connection.workflowService.startWorkflowExecution({ ...base, requestId }));
    assert.equal(again.runId, first.runId, 'a retried start (same request id) must return the same run');

    const err = await grpcError(
      rpc(connection, () =>
        connection.workflowService.startWorkflowExecution({ ...base, requestId: crypto.randomUUID() }),
      ),
    );
    assert.equal(err.code, Status.ALREADY_EXISTS, `expected ALREADY_EXISTS, got ${err.code}: ${err.message}`);
    const st = statusDetails(err);
    const detail = st?.details.find((d) => d.type === 'temporal.api.errordetails.v1.WorkflowExecutionAlreadyStartedFailure');
    assert.ok(detail, `expected a WorkflowExecutionAlreadyStartedFailure detail, got ${JSON.stringify(st)}`);
    assert.equal(WorkflowExecutionAlreadyStartedFailure.decode(detail.value).runId, first.runId);

    // Through the SDK client: a fresh start with the same id is rejected with the typed error.
    const sdkErr = await rejection(
      start(client, 'sleeper', { taskQueue, workflowId, args: [1000] }),
    );
    assert.ok(
      sdkErr instanceof WorkflowExecutionAlreadyStartedError,
      `expected WorkflowExecutionAlreadyStartedError, got ${sdkErr?.name}: ${sdkErr?.message}`,
    );

    // Still exactly one run, still running.
    const desc = await describe(client.workflow.getHandle(workflowId));
    assert.equal(desc.runId, first.runId);
    assert.equal(desc.status.name, 'RUNNING');
  });
});

// ---------------------------------------------------------------------------------------------
// 10. try/finally cleanup on failure.

test('try/finally: cleanup activity runs after a non-retryable failure and the workflow still fails', async (t) => {
  await withEnv(t, {}, async ({ client, taskQueue }) => {
    const workflowId = wfId('finally');
    const err = await rejection(
      execute(client, 'tryFinally', {
        taskQueue,
        workflowId,
        args: [
          { name: 'failNonRetryable', args: ['PermanentError', 'repository gone'] },
          { name: 'cleanup', args: ['workdir'] },
          { startToCloseTimeout: '5 s', retry: { initialInterval: '100 ms', maximumAttempts: 3 } },
        ],
      }),
    );
    assert.ok(err instanceof WorkflowFailedError, `expected WorkflowFailedError, got ${err?.name}: ${err?.message}`);
    assert.ok(err.cause instanceof ActivityFailure, `expected ActivityFailure, got ${err.cause?.name}`);
    assert.ok(err.cause.cause instanceof ApplicationFailure);
    assert.equal(err.cause.cause.type, 'PermanentError');

    const journal = calls(workflowId);
    assert.deepEqual(
      journal.map((c) => c.activity),
      ['failNonRetryable', 'cleanup'],
      'main ran once (non-retryable), then cleanup ran once',
    );

    const history = await fetchHistory(client.workflow.getHandle(workflowId));
    assertContiguousIds(history);
    const types = eventTypes(history);
    assert.equal(types.at(-1), 'WorkflowExecutionFailed', describeHistory(history));
    assert.equal(eventsOf(history, 'ActivityTaskScheduled').length, 2, describeHistory(history));
    assert.ok(
      types.indexOf('ActivityTaskFailed') < types.lastIndexOf('ActivityTaskScheduled') &&
        types.lastIndexOf('ActivityTaskScheduled') < types.indexOf('ActivityTaskCompleted'),
      `expected A failed, then B scheduled and completed:\n${describeHistory(history)}`,
    );
    await replay(history, workflowId);
  });
});

// ---------------------------------------------------------------------------------------------
// 12. DescribeWorkflowExecution with a running activity, then after completion.

test('describe: RUNNING with a pending started activity (attempt 1), then COMPLETED with none', async (t) => {
  await withEnv(t, {}, async ({ client, taskQueue }) => {
    const workflowId = wfId('describe');
    const handle = await start(client, 'callActivity', {
      taskQueue,
      workflowId,
      args: ['sleepFor', [2000], { startToCloseTimeout: '10 s', retry: { initialInterval: '100 ms' } }],
    });
    await bounded(started(workflowId, 'sleepFor'), 10_000, 'activity sleepFor to start on the worker');

    const running = await describe(handle);
    assert.equal(running.status.name, 'RUNNING');
    assert.equal(running.type, 'callActivity');
    assert.equal(running.taskQueue, taskQueue);
    assert.equal(running.runId, handle.firstExecutionRunId);
    const pending = running.raw.pendingActivities ?? [];
    assert.equal(pending.length, 1, `expected one pending activity, got ${JSON.stringify(pending)}`);
    assert.equal(pending[0].activityType?.name, 'sleepFor');
    assert.equal(pending[0].attempt, 1);
    assert.equal(pending[0].state, PendingActivityState.PENDING_ACTIVITY_STATE_STARTED);
    assert.ok(pending[0].lastStartedTime, 'a started pending activity has last_started_time');

    const result = await resultOf(handle);
    assert.equal(result.attempt, 1);
    const done = await describe(handle);
    assert.equal(done.status.name, 'COMPLETED');
    assert.ok(done.closeTime, 'closeTime must be set once completed');
    assert.equal(done.historyLength, ONE_ACTIVITY_HISTORY.length);
    assert.deepEqual(done.raw.pendingActivities ?? [], []);
  });
});

// ---------------------------------------------------------------------------------------------
// 13. Sticky (cached) and non-sticky workers.

const THREE_STEPS = [
  { name: 'echo', args: ['one'] },
  { name: 'echo', args: ['two'] },
  { name: 'echo', args: ['three'] },
];

for (const [label, workerOptions] of [
  ['sticky (default cache)', {}],
  ['non-sticky (maxCachedWorkflows: 0)', { maxCachedWorkflows: 0 }],
]) {
  test(`three sequential activities complete with a ${label} worker`, async (t) => {
    await withEnv(t, { workerOptions }, async ({ client, taskQueue }) => {
      const workflowId = wfId('three-steps');
      const t0 = Date.now();
      const result = await execute(client, 'sequence', {
        taskQueue,
        workflowId,
        args: [THREE_STEPS, { startToCloseTimeout: '5 s' }],
      });
      const elapsed = Date.now() - t0;
      assert.deepEqual(result, ['one', 'two', 'three']);
      assert.equal(calls(workflowId, 'echo').length, 3);
      // Sticky tasks that nobody picks up fall back to the normal queue only after the 10 s
      // sticky schedule-to-start timeout; a working server hands them to the sticky poller.
      assert.ok(elapsed < 8_000, `took ${elapsed} ms for three trivial activities`);

      const history = await fetchHistory(client.workflow.getHandle(workflowId));
      assertContiguousIds(history);
      const types = eventTypes(history);
      assert.equal(types.filter((x) => x === 'ActivityTaskCompleted').length, 3, describeHistory(history));
      assert.equal(types.filter((x) => x === 'WorkflowTaskCompleted').length, 4, describeHistory(history));
      for (const bad of ['WorkflowTaskFailed', 'WorkflowTaskTimedOut']) {
        assert.ok(!types.includes(bad), `unexpected ${bad}:\n${describeHistory(history)}`);
      }
      assert.equal(types.at(-1), 'WorkflowExecutionCompleted');
      await replay(history, workflowId);
    });
  });
}

test('a cached (sticky) worker shuts down mid-workflow; a new worker on the same task queue finishes the run', async (t) => {
  await withEnv(t, {}, async (env) => {
    const workflowId = wfId('sticky-handover');
    const handle = await start(env.client, 'sleeper', { taskQueue: env.taskQueue, workflowId, args: [1500] });
    await eventually(
      async () => eventTypes(await fetchHistory(handle, 2_000)).includes('TimerStarted'),
      10_000,
      'TimerStarted in history',
    );
    // Graceful shutdown: core sends ShutdownWorker naming its sticky queue. The timer's task must
    // reach the new worker (normal queue), whether or not the server honours ShutdownWorker.
    await env.worker.stop();
    const t1 = Date.now();
    env.worker = await startWorker(env.server.address, { taskQueue: env.taskQueue });
    const res = await resultOf(handle);
    assert.equal(res.slept, 1500);
    const history = await fetchHistory(handle);
    t.diagnostic(`new worker finished the run ${Date.now() - t1} ms after it started:\n${describeHistory(history)}`);
    assertContiguousIds(history);
    assert.equal(eventTypes(history).at(-1), 'WorkflowExecutionCompleted', describeHistory(history));
    await replay(history, workflowId);
  });
});

// ---------------------------------------------------------------------------------------------
// 14. Seed 001: the repository-indexing pipeline.

function repoRequest(suffix) {
  const repo_id = `repo-${crypto.randomBytes(4).toString('hex')}${suffix}`;
  return {
    installation_id: 123,
    github_repo_name: 'test/repo',
    repo_id,
    default_branch: 'main',
    repo_url: 'https://github.com/test/repo.git',
  };
}
const repoWorkflowId = (req) => `repo-index-${req.repo_id}-${req.default_branch}`;

const PIPELINE = ['cloneRepo', 'parseRepo', 'persistMetadata', 'persistKg', 'cleanupStaleKgNodes', 'cleanupRepo'];

test('seed 001 pipeline: six sequential activities, per-activity policies/timeouts, cleanup in finally', async (t) => {
  await withEnv(t, {}, async ({ client, taskQueue }) => {
    const req = repoRequest('-flaky-clone'); // clone fails once with a retryable network error
    const workflowId = repoWorkflowId(req);
    const result = await execute(client, 'repoIndexingWorkflow', { taskQueue, workflowId, args: [req] });
    assert.deepEqual(result, {
      status: 'success',
      repo: 'test/repo',
      commit_sha: 'abc123def4567890abc123def4567890abc123de',
      stats: { total_symbols: 1500, indexed_files: 200 },
      stale_nodes_deleted: 50,
    });
    assert.deepEqual(
      calls(workflowId).map((c) => `${c.activity}#${c.attempt}`),
      ['cloneRepo#1', 'cloneRepo#2', 'parseRepo#1', 'persistMetadata#1', 'persistKg#1', 'cleanupStaleKgNodes#1', 'cleanupRepo#1'],
    );

    const history = await fetchHistory(client.workflow.getHandle(workflowId));
    assertContiguousIds(history);
    const scheduled = eventsOf(history, 'ActivityTaskScheduled').map((e) => e.activityTaskScheduledEventAttributes);
    assert.deepEqual(scheduled.map((a) => a.activityType?.name), PIPELINE, describeHistory(history));
    // Per-activity start-to-close timeouts (seed's minutes scaled to seconds) and retry policies.
    assert.deepEqual(
      scheduled.map((a) => durMs(a.startToCloseTimeout)),
      [5000, 5000, 5000, 10000, 5000, 2000],
    );
    assert.deepEqual(
      scheduled.map((a) => a.retryPolicy?.maximumAttempts),
      [3, 1, 3, 3, 3, 3],
    );
    assert.equal(durMs(scheduled[0].retryPolicy?.initialInterval), 100);
    assert.equal(durMs(scheduled[0].retryPolicy?.maximumInterval), 300);
    assert.equal(scheduled[0].retryPolicy?.backoffCoefficient, 2);
    const cloneStarted = eventsOf(history, 'ActivityTaskStarted')[0].activityTaskStartedEventAttributes;
    assert.equal(cloneStarted.attempt, 2, 'clone succeeded on its second attempt');
    assert.equal(eventTypes(history).at(-1), 'WorkflowExecutionCompleted');
    await replay(history, workflowId);
  });
});

test('seed 001 pipeline: a permanent (auth/404) parse failure is not retried, cleanup still runs, the run fails', async (t) => {
  await withEnv(t, {}, async ({ client, taskQueue }) => {
    const req = repoRequest('-auth-404');
    const workflowId = repoWorkflowId(req);
    const err = await rejection(execute(client, 'repoIndexingWorkflow', { taskQueue, workflowId, args: [req] }));
    assert.ok(err instanceof WorkflowFailedError, `expected WorkflowFailedError, got ${err?.name}: ${err?.message}`);
    assert.ok(err.cause instanceof ActivityFailure, `expected ActivityFailure, got ${err.cause?.name}`);
    assert.equal(err.cause.activityType, 'parseRepo');
    assert.ok(err.cause.cause instanceof ApplicationFailure);
    assert.equal(err.cause.cause.type, 'RepoNotFound');
    assert.equal(err.cause.cause.message, 'repository test/repo not found (404)');
    assert.deepEqual(
      calls(workflowId).map((c) => `${c.activity}#${c.attempt}`),
      ['cloneRepo#1', 'parseRepo#1', 'cleanupRepo#1'],
    );
    const history = await fetchHistory(client.workflow.getHandle(workflowId));
    assertContiguousIds(history);
    assert.equal(eventTypes(history).at(-1), 'WorkflowExecutionFailed');
    await replay(history, workflowId);
  });
});

test('seed 001 pipeline: the deterministic workflow id rejects a duplicate run of the same repo+branch', async (t) => {
  await withEnv(t, {}, async ({ client, taskQueue }) => {
    const req = repoRequest('-slow-parse'); // parse takes 1.5 s: the run is open meanwhile
    const workflowId = repoWorkflowId(req);
    const handle = await start(client, 'repoIndexingWorkflow', { taskQueue, workflowId, args: [req] });
    await bounded(started(workflowId, 'parseRepo'), 10_000, 'parseRepo to start');
    const dup = await rejection(
      start(client, 'repoIndexingWorkflow', { taskQueue, workflowId, args: [req] }),
    );
    assert.ok(dup instanceof WorkflowExecutionAlreadyStartedError, `expected AlreadyStarted, got ${dup?.name}: ${dup?.message}`);
    const result = await resultOf(handle);
    assert.equal(result.status, 'success');
    assert.equal(calls(workflowId, 'cloneRepo').length, 1, 'exactly one run indexed the repository');
  });
});
