// Protocol suite: the "likely mistakes that break the TS SDK" of ../../shared/PROTOCOL.md §8 that
// a worker run alone would not always catch — empty poll replies that must be the all-default
// message, sdk_metadata kept in history, SDK-generated markers and search attributes accepted,
// histories longer than one page, undecodable task tokens, a cancelled poll that must not
// swallow the next task, and pollers visible in DescribeTaskQueue.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Status, assertBinary, grpcError, sleep } from './lib/server.mjs';
import {
  assertContiguousIds,
  eventTypes,
  eventsOf,
  execute,
  fetchHistory,
  replay,
  uniqueTaskQueue,
  wfId,
  withEnv,
} from './lib/worker.mjs';

assertBinary();

/** Runs fn(connection) with a gRPC deadline ms from now. */
function withDeadline(connection, ms, fn) {
  return connection.withDeadline(Date.now() + ms, fn);
}

test('an empty poll reply is the all-default message and comes before the deadline (§8.2)', async (t) => {
  await withEnv(t, { worker: false }, async ({ connection }) => {
    const tq = uniqueTaskQueue('empty');
    for (const [name, poll] of [
      ['workflow', () => connection.workflowService.pollWorkflowTaskQueue({ namespace: 'default', taskQueue: { name: tq }, identity: 'probe' })],
      ['activity', () => connection.workflowService.pollActivityTaskQueue({ namespace: 'default', taskQueue: { name: tq }, identity: 'probe' })],
    ]) {
      const t0 = Date.now();
      const resp = await withDeadline(connection, 3_000, poll);
      const took = Date.now() - t0;
      // Answered at least about a second before the 3 s deadline, not failed with DEADLINE_EXCEEDED.
      assert.ok(took < 2_800, `${name} poll answered after ${took} ms`);
      assert.ok(took >= 1_000, `${name} poll answered too early (${took} ms) for a 3 s deadline`);
      assert.equal(resp.taskToken?.length ?? 0, 0, `${name}: no task token`);
      assert.equal(resp.workflowExecution ?? null, null, `${name}: no workflow execution`);
      if (name === 'workflow') {
        assert.equal(resp.history ?? null, null, 'no history sub-message on an empty reply');
        assert.equal(resp.workflowType ?? null, null);
      } else {
        assert.equal(resp.activityType ?? null, null);
      }
    }
  });
});

test('sdk_metadata sent with a completion is kept in WorkflowTaskCompleted (§8.6)', async (t) => {
  await withEnv(t, {}, async ({ client, taskQueue }) => {
    const workflowId = wfId('sdkmeta');
    await execute(client, 'callActivity', { taskQueue, workflowId, args: ['echo', ['x'], { startToCloseTimeout: '5s' }] });
    const history = await fetchHistory(client.workflow.getHandle(workflowId));
    const completed = eventsOf(history, 'WorkflowTaskCompleted');
    assert.ok(completed.length >= 1);
    const md = completed[0].workflowTaskCompletedEventAttributes.sdkMetadata;
    assert.ok(md, 'first WorkflowTaskCompleted carries sdkMetadata');
    const flags = [...(md.coreUsedFlags ?? []), ...(md.langUsedFlags ?? [])];
    assert.ok(flags.length > 0, `flags recorded: ${JSON.stringify(md)}`);
    await replay(history, workflowId);
  });
});

test('patched() writes core_patch and TemporalChangeVersion, and the run completes (§8.10)', async (t) => {
  await withEnv(t, {}, async ({ client, taskQueue }) => {
    const workflowId = wfId('patched');
    const result = await execute(client, 'patchedWorkflow', { taskQueue, workflowId });
    assert.equal(result, 'new-path');
    const history = await fetchHistory(client.workflow.getHandle(workflowId));
    assertContiguousIds(history);
    const markers = eventsOf(history, 'MarkerRecorded');
    assert.ok(markers.some((e) => e.markerRecordedEventAttributes.markerName === 'core_patch'), 'core_patch marker');
    const upserts = eventsOf(history, 'UpsertWorkflowSearchAttributes');
    assert.ok(
      upserts.some((e) => 'TemporalChangeVersion' in (e.upsertWorkflowSearchAttributesEventAttributes.searchAttributes?.indexedFields ?? {})),
      `TemporalChangeVersion upserted: ${eventTypes(history).join(',')}`,
    );
    const desc = await client.workflow.getHandle(workflowId).describe();
    assert.ok(desc.raw.workflowExecutionInfo.searchAttributes?.indexedFields?.TemporalChangeVersion, 'describe shows the upserted attribute');
    await replay(history, workflowId);
  });
});

test('a local activity is recorded as a core_local_activity marker and replays', async (t) => {
  await withEnv(t, {}, async ({ client, taskQueue }) => {
    const workflowId = wfId('local');
    assert.equal(await execute(client, 'localActivityWorkflow', { taskQueue, workflowId, args: ['la'] }), 'la');
    const history = await fetchHistory(client.workflow.getHandle(workflowId));
    const markers = eventsOf(history, 'MarkerRecorded').map((e) => e.markerRecordedEventAttributes.markerName);
    assert.deepEqual(markers, ['core_local_activity']);
    assert.equal(eventsOf(history, 'ActivityTaskScheduled').length, 0);
    await replay(history, workflowId);
  });
});

test('a history longer than one page reaches a worker without a cache, page by page (§3.1)', async (t) => {
  // No workflow cache: every task is dispatched on the normal queue with the full history, so
  // once it passes 256 events the poll reply is paged and core fetches the rest.
  await withEnv(t, { workerOptions: { maxCachedWorkflows: 0 } }, async ({ client, taskQueue }) => {
    const workflowId = wfId('paging');
    const n = 50;
    assert.equal(await execute(client, 'manyActivities', { taskQueue, workflowId, args: [n] }, 60_000), n);
    const history = await fetchHistory(client.workflow.getHandle(workflowId));
    assert.ok(history.events.length > 256, `history has ${history.events.length} events`);
    assertContiguousIds(history);
    assert.equal(eventsOf(history, 'ActivityTaskCompleted').length, n);
    assert.equal(eventsOf(history, 'WorkflowTaskFailed').length, 0, 'no task failed fetching pages');
    assert.equal(eventsOf(history, 'WorkflowTaskTimedOut').length, 0);
    await replay(history, workflowId);
  });
});

test('undecodable task tokens are INVALID_ARGUMENT, not INTERNAL (§8.9)', async (t) => {
  await withEnv(t, { worker: false }, async ({ connection }) => {
    const garbage = Buffer.from('not a token');
    for (const call of [
      () => connection.workflowService.respondWorkflowTaskCompleted({ namespace: 'default', taskToken: garbage }),
      () => connection.workflowService.respondActivityTaskCompleted({ namespace: 'default', taskToken: garbage }),
      () => connection.workflowService.recordActivityTaskHeartbeat({ namespace: 'default', taskToken: garbage }),
    ]) {
      const err = await grpcError(withDeadline(connection, 5_000, call));
      assert.equal(err.code, Status.INVALID_ARGUMENT, err.message);
    }
    const err = await grpcError(
      withDeadline(connection, 5_000, () =>
        connection.workflowService.respondActivityTaskCompletedById({ namespace: 'default', workflowId: 'nope', activityId: 'a' }),
      ),
    );
    assert.equal(err.code, Status.NOT_FOUND, err.message);
  });
});

test('a poll cancelled by its client releases its place: the next task goes to a live poller', async (t) => {
  await withEnv(t, { worker: false }, async ({ connection, client }) => {
    const tq = uniqueTaskQueue('cancel');
    const ac = new AbortController();
    const abandoned = connection
      .withAbortSignal(ac.signal, () =>
        connection.workflowService.pollWorkflowTaskQueue({ namespace: 'default', taskQueue: { name: tq }, identity: 'gone' }),
      )
      .catch((err) => err);
    await sleep(200);
    ac.abort();
    const err = await abandoned;
    assert.ok(err instanceof Error, 'the abandoned poll ends with an error on the client side');
    await client.workflow.start('sleeper', { taskQueue: tq, workflowId: wfId('cancelpoll'), args: [1] });
    const t0 = Date.now();
    const resp = await withDeadline(connection, 10_000, () =>
      connection.workflowService.pollWorkflowTaskQueue({ namespace: 'default', taskQueue: { name: tq }, identity: 'live' }),
    );
    assert.ok(resp.taskToken?.length > 0, 'the live poller got the task');
    assert.ok(Date.now() - t0 < 2_000, 'at once, not after a timeout');
    assert.ok(resp.history?.events?.length >= 3, 'full history with WorkflowTaskStarted');
    assert.equal(resp.workflowExecutionTaskQueue?.name, tq);
  });
});

test('DescribeTaskQueue lists recent pollers by identity', async (t) => {
  await withEnv(t, { worker: false }, async ({ connection }) => {
    const tq = uniqueTaskQueue('describe');
    await withDeadline(connection, 2_500, () =>
      connection.workflowService.pollActivityTaskQueue({ namespace: 'default', taskQueue: { name: tq }, identity: 'probe-identity' }),
    );
    const resp = await withDeadline(connection, 5_000, () =>
      connection.workflowService.describeTaskQueue({ namespace: 'default', taskQueue: { name: tq }, taskQueueType: 2 }),
    );
    assert.ok(resp.pollers.some((p) => p.identity === 'probe-identity'), JSON.stringify(resp.pollers));
  });
});

test('retries of a failing workflow task are transient: one WorkflowTaskFailed, then the attempt that succeeded (§3.3)', async (t) => {
  await withEnv(t, {}, async ({ client, taskQueue }) => {
    const workflowId = wfId('transient');
    // Attempt 1 fails and is reported; attempt 2 fails again and core stays silent, so it times
    // out after the 1 s task timeout; attempt 3 runs after the first second and succeeds.
    const result = await execute(client, 'failsFirstSecond', { taskQueue, workflowId, workflowTaskTimeout: '1s' }, 20_000);
    assert.equal(result, 'ready');
    const history = await fetchHistory(client.workflow.getHandle(workflowId));
    assertContiguousIds(history);
    assert.deepEqual(eventTypes(history), [
      'WorkflowExecutionStarted',
      'WorkflowTaskScheduled',
      'WorkflowTaskStarted',
      'WorkflowTaskFailed',
      'WorkflowTaskScheduled',
      'WorkflowTaskStarted',
      'WorkflowTaskCompleted',
      'WorkflowExecutionCompleted',
    ]);
    const scheduled = eventsOf(history, 'WorkflowTaskScheduled').map((e) => e.workflowTaskScheduledEventAttributes.attempt);
    assert.equal(scheduled[0], 1);
    assert.ok(scheduled[1] >= 3, `the successful attempt is recorded with its number, got ${scheduled[1]}`);
    await replay(history, workflowId);
  });
});
