// Workflows that act on other workflows (issue 10) with the official TS SDK 1.24.0: child
// workflows — the result, the child's view of its parent and root, a failing child, a child id
// already in use, the parent close policies — and Describe's pending children. Every history
// replays.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WorkflowFailedError } from '@temporalio/client';
import { ChildWorkflowFailure, ApplicationFailure } from '@temporalio/common';
import { assertBinary } from './lib/server.mjs';
import {
  assertContiguousIds,
  describe,
  eventTypes,
  eventsOf,
  eventually,
  execute,
  fetchHistory,
  getBundle,
  rejection,
  replay,
  result as resultOf,
  start,
  wfId,
  withEnv,
} from './lib/worker.mjs';
import { armGate, openGate, setBroken, started } from './activities.mjs';

test.before(async () => {
  assertBinary();
  await getBundle();
});

test('executeChild returns the child result; the child sees its parent and root; both histories replay', async (t) => {
  await withEnv(t, {}, async ({ client, taskQueue }) => {
    const parentId = wfId('parent');
    const childId = wfId('child');
    const parent = await start(client, 'parentEcho', { taskQueue, workflowId: parentId, args: [childId, 'hello'] });
    const out = await resultOf(parent);
    assert.deepEqual(out, { x: 'hello', parent: parentId, parentRun: parent.firstExecutionRunId, root: parentId });

    const ph = await fetchHistory(parent);
    assertContiguousIds(ph);
    const types = eventTypes(ph);
    for (const ty of ['StartChildWorkflowExecutionInitiated', 'ChildWorkflowExecutionStarted', 'ChildWorkflowExecutionCompleted'])
      assert.ok(types.includes(ty), `${ty} in ${types.join(', ')}`);
    const init = eventsOf(ph, 'StartChildWorkflowExecutionInitiated')[0];
    const done = eventsOf(ph, 'ChildWorkflowExecutionCompleted')[0].childWorkflowExecutionCompletedEventAttributes;
    assert.equal(Number(done.initiatedEventId), Number(init.eventId));
    assert.equal(done.workflowExecution.workflowId, childId);

    const child = client.workflow.getHandle(childId);
    const ch = await fetchHistory(child);
    const started = ch.events[0].workflowExecutionStartedEventAttributes;
    assert.equal(started.parentWorkflowExecution.workflowId, parentId);
    assert.equal(Number(started.parentInitiatedEventId), Number(init.eventId));
    assert.equal(started.rootWorkflowExecution.workflowId, parentId);
    const cd = await describe(child);
    assert.equal(cd.parentExecution?.workflowId, parentId);
    // Visibility knows the tree: the root names both runs, the parent names the child.
    const listed = async (query) => {
      const out = [];
      for await (const w of client.workflow.list({ query })) out.push(w.workflowId);
      return out.sort();
    };
    assert.deepEqual(await listed(`RootWorkflowId = '${parentId}'`), [childId, parentId].sort());
    assert.deepEqual(await listed(`ParentWorkflowId = '${parentId}'`), [childId]);
    await replay(ph, parentId);
    await replay(ch, childId);
  });
});

test('a failing child fails its parent with ChildWorkflowFailure carrying the cause', async (t) => {
  await withEnv(t, {}, async ({ client, taskQueue }) => {
    const parentId = wfId('parent-fail');
    const childId = wfId('child-fail');
    const parent = await start(client, 'parentOfFailing', { taskQueue, workflowId: parentId, args: [childId] });
    const err = await rejection(resultOf(parent));
    assert.ok(err instanceof WorkflowFailedError, `got ${err}`);
    assert.ok(err.cause instanceof ChildWorkflowFailure, `cause ${err.cause}`);
    assert.equal(err.cause.execution.workflowId, childId);
    assert.ok(err.cause.cause instanceof ApplicationFailure);
    assert.equal(err.cause.cause.message, 'the child broke');
    const ph = await fetchHistory(parent);
    assert.equal(eventsOf(ph, 'ChildWorkflowExecutionFailed').length, 1);
    await replay(ph, parentId);
  });
});

test('a child id already running: the start fails inside the workflow with WorkflowExecutionAlreadyStartedError', async (t) => {
  await withEnv(t, {}, async ({ client, taskQueue }) => {
    const busy = await start(client, 'signalCollector', { taskQueue, workflowId: wfId('busy'), args: [60_000] });
    const parentId = wfId('parent-dup');
    const out = await execute(client, 'parentDuplicateChild', { taskQueue, workflowId: parentId, args: [busy.workflowId] });
    assert.match(out, /^WorkflowExecutionAlreadyStartedError/);
    const ph = await fetchHistory(client.workflow.getHandle(parentId));
    const failed = eventsOf(ph, 'StartChildWorkflowExecutionFailed')[0].startChildWorkflowExecutionFailedEventAttributes;
    assert.match(String(failed.cause), /WORKFLOW_ALREADY_EXISTS|^1$/);
    await replay(ph, parentId);
    // The running workflow was not touched.
    assert.equal((await describe(busy)).status.name, 'RUNNING');
    await busy.terminate('test over');
  });
});

test('parent close policies: TERMINATE ends the child, REQUEST_CANCEL cancels it, ABANDON leaves it running', async (t) => {
  await withEnv(t, {}, async ({ client, taskQueue }) => {
    const ids = {};
    for (const policy of ['TERMINATE', 'REQUEST_CANCEL', 'ABANDON']) {
      const childId = wfId(`child-${policy.toLowerCase()}`);
      ids[policy] = childId;
      await execute(client, 'parentLeaves', { taskQueue, workflowId: wfId(`parent-${policy.toLowerCase()}`), args: [childId, policy] });
    }
    const status = async (id) => (await describe(client.workflow.getHandle(id))).status.name;
    assert.equal(await status(ids.TERMINATE), 'TERMINATED');
    // signalCollector does not catch cancellation: the request cancels it.
    await eventually(async () => (await status(ids.REQUEST_CANCEL)) === 'CANCELLED', 10_000, 'REQUEST_CANCEL child cancelled');
    assert.equal(await status(ids.ABANDON), 'RUNNING');
    const th = await fetchHistory(client.workflow.getHandle(ids.TERMINATE));
    assert.equal(th.events.at(-1).workflowExecutionTerminatedEventAttributes.reason, 'by parent close policy');
    const abandoned = client.workflow.getHandle(ids.ABANDON);
    await abandoned.signal('done');
    assert.equal((await resultOf(abandoned)).done, true);
  });
});

test('describe shows a running parent\'s pending children', async (t) => {
  await withEnv(t, {}, async ({ client, taskQueue }) => {
    const parentId = wfId('parent-pending');
    const childId = wfId('child-pending');
    const parent = await start(client, 'parentWaits', { taskQueue, workflowId: parentId, args: [childId] });
    const d = await eventually(async () => {
      const x = await describe(parent);
      return x.raw.pendingChildren?.length ? x : null;
    }, 10_000, 'a pending child');
    const pc = d.raw.pendingChildren[0];
    assert.equal(pc.workflowId, childId);
    assert.equal(pc.workflowTypeName, 'signalCollector');
    await client.workflow.getHandle(childId).signal('done');
    const out = await resultOf(parent);
    assert.deepEqual(out, { items: [], done: true });
    assert.equal((await describe(parent)).raw.pendingChildren?.length ?? 0, 0);
  });
});

test('a parent cancels its child: the child is cancelled and the parent sees ChildWorkflowExecutionCanceled', async (t) => {
  await withEnv(t, {}, async ({ client, taskQueue }) => {
    const parentId = wfId('parent-cancels');
    const childId = wfId('child-cancelled');
    const out = await execute(client, 'parentCancelsChild', { taskQueue, workflowId: parentId, args: [childId] });
    assert.match(out, /CancelledFailure/);
    assert.equal((await describe(client.workflow.getHandle(childId))).status.name, 'CANCELLED');
    const ph = await fetchHistory(client.workflow.getHandle(parentId));
    const types = eventTypes(ph);
    for (const ty of ['RequestCancelExternalWorkflowExecutionInitiated', 'ExternalWorkflowExecutionCancelRequested', 'ChildWorkflowExecutionCanceled'])
      assert.ok(types.includes(ty), `${ty} in ${types.join(', ')}`);
    await replay(ph, parentId);
  });
});

test('cron: runs at each activation, each run carrying the last result; terminate ends the chain', async (t) => {
  await withEnv(t, {}, async ({ client, taskQueue }) => {
    const workflowId = wfId('cron');
    const first = await start(client, 'cronTick', { taskQueue, workflowId, cronSchedule: '@every 2s' });
    // Walk the chain from the first run until two runs have completed.
    const chain = await eventually(async () => {
      const runs = [];
      let runId = first.firstExecutionRunId;
      while (runId && runs.length < 5) {
        const history = await fetchHistory(client.workflow.getHandle(workflowId, runId));
        const last = history.events.at(-1);
        const done = last.workflowExecutionCompletedEventAttributes;
        runs.push({ runId, history, done });
        runId = done?.newExecutionRunId;
      }
      return runs.filter((r) => r.done).length >= 2 ? runs : null;
    }, 20_000, 'two cron runs completed');
    const started = chain.map((r) => r.history.events[0].workflowExecutionStartedEventAttributes);
    assert.equal(started[0].cronSchedule, '@every 2s');
    assert.ok(Number(started[0].firstWorkflowTaskBackoff?.seconds ?? 0) >= 1, 'the first run waits for the first activation');
    assert.equal(started[1].initiator, 3); // CONTINUE_AS_NEW_INITIATOR_CRON_SCHEDULE
    assert.equal(started[1].continuedExecutionRunId, chain[0].runId);
    assert.equal(started[1].firstExecutionRunId, chain[0].runId);
    assert.ok(Number(started[1].firstWorkflowTaskBackoff?.seconds ?? 0) >= 1, 'the next run waits for the next activation');
    const payload = (r) => JSON.parse(Buffer.from(r.done.result.payloads[0].data).toString());
    assert.deepEqual(payload(chain[0]), { n: 1 });
    assert.deepEqual(payload(chain[1]), { n: 2 });
    for (const r of chain.filter((x) => x.done)) await replay(r.history, workflowId);
    // Terminate the current run: the chain ends there.
    const handle = client.workflow.getHandle(workflowId);
    await handle.terminate('cron over');
    const d = await describe(handle);
    assert.equal(d.status.name, 'TERMINATED');
    const th = await fetchHistory(client.workflow.getHandle(workflowId, d.runId));
    assert.ok(!th.events.at(-1).workflowExecutionTerminatedEventAttributes.newExecutionRunId);
  });
});

test('reset: a run failed by a broken activity is reset to the task that called it and completes once fixed; signals before and after the point are kept', async (t) => {
  await withEnv(t, {}, async ({ client, taskQueue }) => {
    const workflowId = wfId('reset');
    const key = workflowId;
    setBroken(key, true);
    armGate(key);
    const handle = await start(client, 'resettable', { taskQueue, workflowId, args: [key] });
    await handle.signal('add', 'before');
    await started(workflowId, 'fixable');
    await handle.signal('add', 'after'); // lands after the reset point, while the activity runs
    openGate(key);
    const err = await rejection(resultOf(handle));
    assert.ok(err instanceof WorkflowFailedError, `got ${err}`);
    const failed = await fetchHistory(handle);
    const scheduled = eventsOf(failed, 'ActivityTaskScheduled')[0].activityTaskScheduledEventAttributes;
    const point = Number(scheduled.workflowTaskCompletedEventId);
    // Describe shows the run's auto-reset point: its first completed workflow task.
    const d = await describe(handle);
    const points = d.raw.workflowExecutionInfo.autoResetPoints?.points ?? [];
    assert.equal(points.length, 1);
    assert.equal(points[0].runId, handle.firstExecutionRunId);
    const firstCompleted = eventsOf(failed, 'WorkflowTaskCompleted')[0];
    assert.equal(Number(points[0].firstWorkflowTaskCompletedId), Number(firstCompleted.eventId));

    setBroken(key, false); // the fix is deployed
    const { runId } = await client.workflowService.resetWorkflowExecution({
      namespace: 'default',
      workflowExecution: { workflowId, runId: handle.firstExecutionRunId },
      reason: 'activity fixed',
      workflowTaskFinishEventId: point,
      requestId: `reset-${workflowId}`,
      identity: 'e2e',
    });
    assert.ok(runId && runId !== handle.firstExecutionRunId);
    const current = client.workflow.getHandle(workflowId);
    const out = await resultOf(current);
    assert.deepEqual(out, { signals: ['before', 'after'], result: `${key} works` });
    assert.equal((await describe(current)).runId, runId);
    const nh = await fetchHistory(client.workflow.getHandle(workflowId, runId));
    assertContiguousIds(nh);
    const wtf = eventsOf(nh, 'WorkflowTaskFailed')[0];
    assert.equal(Number(wtf.eventId), point);
    assert.equal(wtf.workflowTaskFailedEventAttributes.baseRunId, handle.firstExecutionRunId);
    assert.equal(wtf.workflowTaskFailedEventAttributes.newRunId, runId);
    assert.equal(eventsOf(nh, 'WorkflowExecutionSignaled').length, 2);
    await replay(nh, workflowId);
  });
});
