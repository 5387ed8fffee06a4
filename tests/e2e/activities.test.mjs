// Activity end-to-end suite: retries with backoff, non-retryable failures, heartbeat timeout with
// heartbeat details carried to the next attempt, start-to-close and schedule-to-close timeouts,
// all observed through the official TS SDK 1.24.0 (client errors, Context.current().info, history).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WorkflowFailedError } from '@temporalio/client';
import { ActivityFailure, ApplicationFailure, TimeoutFailure } from '@temporalio/common';
import { assertBinary } from './lib/server.mjs';
import {
  assertContiguousIds,
  describeHistory,
  eventTypes,
  eventsOf,
  execute,
  fetchHistory,
  getBundle,
  rejection,
  replay,
  wfId,
  withEnv,
} from './lib/worker.mjs';
import { calls } from './activities.mjs';

test.before(async () => {
  assertBinary();
  await getBundle();
});

/** Asserts err = WorkflowFailedError ← ActivityFailure(activityType) ← returns the inner cause. */
function unwrapActivityFailure(err, activityType) {
  assert.ok(err instanceof WorkflowFailedError, `expected WorkflowFailedError, got ${err?.name}: ${err?.message}`);
  assert.ok(err.cause instanceof ActivityFailure, `expected cause ActivityFailure, got ${err.cause?.name}: ${err.cause?.message}`);
  assert.equal(err.cause.activityType, activityType);
  return err.cause;
}

// ---------------------------------------------------------------------------------------------
// 2. Retries.

test('an activity that fails twice is retried with backoff and succeeds on attempt 3', async (t) => {
  await withEnv(t, {}, async ({ client, taskQueue }) => {
    const workflowId = wfId('retry');
    const result = await execute(client, 'callActivity', {
      taskQueue,
      workflowId,
      args: [
        'flaky',
        [2],
        { startToCloseTimeout: '5 s', retry: { initialInterval: '100 ms', backoffCoefficient: 2, maximumAttempts: 5 } },
      ],
    });
    assert.deepEqual(result, { attempt: 3 }, 'Context.current().info.attempt must be 3 on the successful try');
    const journal = calls(workflowId, 'flaky');
    assert.deepEqual(journal.map((c) => c.attempt), [1, 2, 3]);
    // Backoff: ≥ 100 ms before attempt 2, ≥ 200 ms before attempt 3 (10 ms slack for clock rounding).
    const gap1 = journal[1].at - journal[0].at;
    const gap2 = journal[2].at - journal[1].at;
    assert.ok(gap1 >= 90, `attempt 2 started ${gap1} ms after attempt 1 (initialInterval 100 ms)`);
    assert.ok(gap2 >= 190, `attempt 3 started ${gap2} ms after attempt 2 (100 ms × 2)`);

    const history = await fetchHistory(client.workflow.getHandle(workflowId));
    assertContiguousIds(history);
    const types = eventTypes(history);
    // Retried attempts leave no events; one Started (attempt 3) is written when the activity closes.
    assert.equal(types.filter((x) => x === 'ActivityTaskScheduled').length, 1, describeHistory(history));
    assert.equal(types.filter((x) => x === 'ActivityTaskStarted').length, 1, describeHistory(history));
    assert.ok(!types.includes('ActivityTaskFailed'), describeHistory(history));
    assert.equal(eventsOf(history, 'ActivityTaskStarted')[0].activityTaskStartedEventAttributes.attempt, 3);
    assert.equal(types.at(-1), 'WorkflowExecutionCompleted');
    await replay(history, workflowId);
  });
});

// ---------------------------------------------------------------------------------------------
// 3. Non-retryable ApplicationFailure.

test('a non-retryable ApplicationFailure fails the workflow: WorkflowFailedError ← ActivityFailure ← ApplicationFailure', async (t) => {
  await withEnv(t, {}, async ({ client, taskQueue }) => {
    const workflowId = wfId('non-retryable');
    const err = await rejection(
      execute(client, 'callActivity', {
        taskQueue,
        workflowId,
        args: [
          'failNonRetryable',
          ['PermanentError', 'credentials revoked'],
          { startToCloseTimeout: '5 s', retry: { initialInterval: '100 ms', maximumAttempts: 5 } },
        ],
      }),
    );
    const af = unwrapActivityFailure(err, 'failNonRetryable');
    assert.equal(af.retryState, 'NON_RETRYABLE_FAILURE');
    const app = af.cause;
    assert.ok(app instanceof ApplicationFailure, `expected ApplicationFailure, got ${app?.name}`);
    assert.equal(app.type, 'PermanentError');
    assert.equal(app.message, 'credentials revoked');
    assert.equal(app.nonRetryable, true);
    assert.deepEqual(app.details, [{ why: 'permanent' }]);
    assert.equal(calls(workflowId, 'failNonRetryable').length, 1, 'a non-retryable failure is not retried');

    const history = await fetchHistory(client.workflow.getHandle(workflowId));
    assertContiguousIds(history);
    const types = eventTypes(history);
    assert.ok(types.includes('ActivityTaskFailed'), describeHistory(history));
    assert.equal(types.at(-1), 'WorkflowExecutionFailed', describeHistory(history));
    await replay(history, workflowId);
  });
});

// ---------------------------------------------------------------------------------------------
// 4. Heartbeat timeout.

test('heartbeat timeout is retried and the next attempt sees the last heartbeat details', async (t) => {
  await withEnv(t, {}, async ({ client, taskQueue }) => {
    const workflowId = wfId('heartbeat');
    const result = await execute(client, 'callActivity', {
      taskQueue,
      workflowId,
      args: [
        'heartbeatOnceThenStall',
        [{ progress: 'hb-1' }, 6_000],
        {
          startToCloseTimeout: '10 s',
          heartbeatTimeout: '1 s',
          retry: { initialInterval: '100 ms', maximumAttempts: 3 },
        },
      ],
    });
    assert.deepEqual(result, { attempt: 2, heartbeatDetails: { progress: 'hb-1' } });
    const journal = calls(workflowId, 'heartbeatOnceThenStall');
    assert.deepEqual(journal.map((c) => c.attempt), [1, 2]);
    assert.equal(journal[0].heartbeatDetails, undefined, 'attempt 1 starts without heartbeat details');
    const gap = journal[1].at - journal[0].at;
    assert.ok(gap >= 1000, `attempt 2 started ${gap} ms after attempt 1, before the 1 s heartbeat timeout`);
    assert.ok(gap < 6_000, `attempt 2 started ${gap} ms after attempt 1: the heartbeat timeout never fired`);

    const history = await fetchHistory(client.workflow.getHandle(workflowId));
    assertContiguousIds(history);
    const types = eventTypes(history);
    assert.ok(!types.includes('ActivityTaskTimedOut'), 'a retried timeout writes no event');
    assert.equal(eventsOf(history, 'ActivityTaskStarted')[0]?.activityTaskStartedEventAttributes.attempt, 2);
    assert.equal(types.at(-1), 'WorkflowExecutionCompleted');
    await replay(history, workflowId);
  });
});

// ---------------------------------------------------------------------------------------------
// 5. Start-to-close timeout.

test('start-to-close timeout with maximumAttempts 1 → ActivityFailure ← TimeoutFailure(START_TO_CLOSE)', async (t) => {
  await withEnv(t, {}, async ({ client, taskQueue }) => {
    const workflowId = wfId('start-to-close');
    const t0 = Date.now();
    const err = await rejection(
      execute(client, 'callActivity', {
        taskQueue,
        workflowId,
        args: ['sleepFor', [6_000], { startToCloseTimeout: '1 s', retry: { maximumAttempts: 1 } }],
      }),
    );
    const elapsed = Date.now() - t0;
    const af = unwrapActivityFailure(err, 'sleepFor');
    assert.equal(af.retryState, 'MAXIMUM_ATTEMPTS_REACHED');
    assert.ok(af.cause instanceof TimeoutFailure, `expected TimeoutFailure, got ${af.cause?.name}: ${af.cause?.message}`);
    assert.equal(af.cause.timeoutType, 'START_TO_CLOSE');
    assert.ok(elapsed >= 1000, `failed after ${elapsed} ms, before the 1 s start-to-close timeout`);
    assert.ok(elapsed < 5_000, `failed after ${elapsed} ms: the timeout was not enforced by the server`);
    assert.equal(calls(workflowId, 'sleepFor').length, 1);

    const history = await fetchHistory(client.workflow.getHandle(workflowId));
    assertContiguousIds(history);
    const types = eventTypes(history);
    assert.ok(types.includes('ActivityTaskStarted'), describeHistory(history));
    assert.ok(types.includes('ActivityTaskTimedOut'), describeHistory(history));
    assert.equal(types.at(-1), 'WorkflowExecutionFailed', describeHistory(history));
    await replay(history, workflowId);
  });
});

// ---------------------------------------------------------------------------------------------
// 6. Schedule-to-close timeout ends the retries.

test('schedule-to-close timeout stops retrying → TimeoutFailure(SCHEDULE_TO_CLOSE), retryState TIMEOUT', async (t) => {
  await withEnv(t, {}, async ({ client, taskQueue }) => {
    const workflowId = wfId('schedule-to-close');
    const t0 = Date.now();
    // Every attempt hangs past its 500 ms start-to-close timeout and is retried 100 ms later,
    // until the 2 s schedule-to-close budget is spent.
    const err = await rejection(
      execute(client, 'callActivity', {
        taskQueue,
        workflowId,
        args: [
          'sleepFor',
          [10_000],
          {
            startToCloseTimeout: '500 ms',
            scheduleToCloseTimeout: '2 s',
            retry: { initialInterval: '100 ms', backoffCoefficient: 1 }, // unlimited attempts
          },
        ],
      }),
    );
    const elapsed = Date.now() - t0;
    const af = unwrapActivityFailure(err, 'sleepFor');
    assert.equal(af.retryState, 'TIMEOUT');
    assert.ok(af.cause instanceof TimeoutFailure, `expected TimeoutFailure, got ${af.cause?.name}: ${af.cause?.message}`);
    assert.equal(af.cause.timeoutType, 'SCHEDULE_TO_CLOSE');
    const attempts = calls(workflowId, 'sleepFor').map((c) => c.attempt);
    assert.ok(attempts.length >= 2, `expected retries before giving up, saw attempts ${attempts}`);
    assert.deepEqual(attempts, attempts.map((_, i) => i + 1), 'attempts are numbered 1, 2, 3, …');
    assert.ok(elapsed >= 1_500, `gave up after ${elapsed} ms, well before the 2 s schedule-to-close timeout`);
    assert.ok(elapsed < 6_000, `gave up after ${elapsed} ms: schedule-to-close was not enforced`);

    const history = await fetchHistory(client.workflow.getHandle(workflowId));
    assertContiguousIds(history);
    const types = eventTypes(history);
    assert.equal(types.filter((x) => x === 'ActivityTaskTimedOut').length, 1, describeHistory(history));
    assert.equal(types.at(-1), 'WorkflowExecutionFailed', describeHistory(history));
    await replay(history, workflowId);
  });
});
