// Talking to running workflows (issue 9, first part) with the official TS SDK 1.24.0: signals
// in order and de-duplicated, signalWithStart to a missing and to a running workflow,
// condition() timing out, cancellation caught by the workflow with non-cancellable cleanup,
// termination, and the NOT_FOUND answers for runs that are gone. Every history replays.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WorkflowFailedError, WorkflowNotFoundError } from '@temporalio/client';
import { CancelledFailure, TerminatedFailure } from '@temporalio/common';
import path from 'node:path';
import { assertBinary, tempDir } from './lib/server.mjs';
import {
  assertContiguousIds,
  describe,
  describeHistory,
  eventTypes,
  eventsOf,
  fetchHistory,
  getBundle,
  execute,
  rejection,
  replay,
  result as resultOf,
  start,
  wfId,
  withEnv,
} from './lib/worker.mjs';
import { calls } from './activities.mjs';

test.before(async () => {
  assertBinary();
  await getBundle();
});

test('signals arrive in order, none lost or duplicated, while the worker is busy; the history replays', async (t) => {
  await withEnv(t, {}, async ({ client, taskQueue }) => {
    const workflowId = wfId('signals');
    const handle = await start(client, 'signalCollector', { taskQueue, workflowId, args: [30_000] });
    const n = 200;
    // Fire them all without waiting for each: many land while a workflow task is running.
    await Promise.all(Array.from({ length: n }, (_, i) => handle.signal('add', `item-${i}`)));
    await handle.signal('done');
    const out = await resultOf(handle);
    assert.equal(out.done, true);
    assert.equal(out.items.length, n, 'every signal arrived exactly once');
    // Concurrent sends may reach the server in any order; each exactly once.
    assert.deepEqual([...out.items].sort(), Array.from({ length: n }, (_, i) => `item-${i}`).sort());
    const history = await fetchHistory(handle);
    assertContiguousIds(history);
    assert.equal(eventsOf(history, 'WorkflowExecutionSignaled').length, n + 1);
    // Nothing between a WorkflowTaskStarted and its completion.
    const types = eventTypes(history);
    types.forEach((ty, i) => {
      if (ty === 'WorkflowTaskStarted' && i + 1 < types.length) {
        assert.ok(['WorkflowTaskCompleted', 'WorkflowTaskFailed', 'WorkflowTaskTimedOut'].includes(types[i + 1]),
          `event after WorkflowTaskStarted at ${i + 1}: ${types[i + 1]}\n${describeHistory(history)}`);
      }
    });
    await replay(history, workflowId);
  });
});

test('signals sent one after the other are delivered in that order', async (t) => {
  await withEnv(t, {}, async ({ client, taskQueue }) => {
    const handle = await start(client, 'signalCollector', { taskQueue, workflowId: wfId('order'), args: [30_000] });
    for (let i = 0; i < 20; i++) await handle.signal('add', `s${i}`);
    await handle.signal('done');
    const out = await resultOf(handle);
    assert.deepEqual(out.items, Array.from({ length: 20 }, (_, i) => `s${i}`));
  });
});

test('condition(fn, timeout) returns false when no signal comes', async (t) => {
  await withEnv(t, {}, async ({ client, taskQueue }) => {
    const handle = await start(client, 'signalCollector', { taskQueue, workflowId: wfId('cond'), args: [1000] });
    const out = await resultOf(handle);
    assert.deepEqual(out, { items: [], done: false });
  });
});

test('signalWithStart starts a missing workflow with the signal, then signals the running one', async (t) => {
  await withEnv(t, {}, async ({ client, taskQueue }) => {
    const workflowId = wfId('sws');
    const h1 = await client.workflow.signalWithStart('signalCollector', {
      taskQueue, workflowId, args: [30_000], signal: 'add', signalArgs: ['first'],
    });
    const h2 = await client.workflow.signalWithStart('signalCollector', {
      taskQueue, workflowId, args: [30_000], signal: 'add', signalArgs: ['second'],
    });
    assert.equal(h2.signaledRunId, h1.signaledRunId, 'the running workflow took the second signal');
    await h1.signal('done');
    const out = await resultOf(client.workflow.getHandle(workflowId));
    assert.deepEqual(out.items, ['first', 'second']);
    const history = await fetchHistory(client.workflow.getHandle(workflowId));
    assert.deepEqual(eventTypes(history).slice(0, 3),
      ['WorkflowExecutionStarted', 'WorkflowExecutionSignaled', 'WorkflowTaskScheduled']);
    await replay(history, workflowId);
  });
});

test('cancel: the workflow catches it, runs non-cancellable cleanup, and ends CANCELLED', async (t) => {
  await withEnv(t, {}, async ({ client, taskQueue }) => {
    const workflowId = wfId('cancel');
    const handle = await start(client, 'cancellable', {
      taskQueue, workflowId, args: [{ startToCloseTimeout: '5 s' }],
    });
    await handle.cancel();
    await handle.cancel(); // a second request is accepted and changes nothing
    const err = await rejection(resultOf(handle));
    assert.ok(err instanceof WorkflowFailedError, `got ${err}`);
    assert.ok(err.cause instanceof CancelledFailure, `cause: ${err.cause}`);
    assert.equal(calls(workflowId, 'echo').length, 1, 'the cleanup activity ran once');
    assert.equal((await describe(handle)).status.name, 'CANCELLED');
    const history = await fetchHistory(handle);
    assert.equal(eventsOf(history, 'WorkflowExecutionCancelRequested').length, 1, describeHistory(history));
    assert.equal(eventTypes(history).at(-1), 'WorkflowExecutionCanceled');
    await replay(history, workflowId);
    // Cancelling a closed run is a no-op success (as Temporal); signalling it is NOT_FOUND.
    await handle.cancel();
    assert.equal(eventsOf(await fetchHistory(handle), 'WorkflowExecutionCancelRequested').length, 1);
    const gone2 = await rejection(handle.signal('add', 'late'));
    assert.ok(gone2 instanceof WorkflowNotFoundError, `got ${gone2}`);
  });
});

test('terminate: describe says TERMINATED and result() rejects with TerminatedFailure', async (t) => {
  await withEnv(t, {}, async ({ client, taskQueue }) => {
    const workflowId = wfId('terminate');
    const handle = await start(client, 'signalCollector', { taskQueue, workflowId, args: [600_000] });
    await handle.signal('add', 'x');
    await handle.terminate('stuck in a loop');
    const err = await rejection(resultOf(handle));
    assert.ok(err instanceof WorkflowFailedError, `got ${err}`);
    assert.ok(err.cause instanceof TerminatedFailure, `cause: ${err.cause}`);
    assert.equal((await describe(handle)).status.name, 'TERMINATED');
    const history = await fetchHistory(handle);
    const term = eventsOf(history, 'WorkflowExecutionTerminated');
    assert.equal(term.length, 1);
    assert.equal(term[0].workflowExecutionTerminatedEventAttributes.reason, 'stuck in a loop');
    const again = await rejection(handle.terminate('twice'));
    assert.ok(again instanceof WorkflowNotFoundError, `got ${again}`);
    const missing = await rejection(client.workflow.getHandle(wfId('never-started')).signal('add', 'x'));
    assert.ok(missing instanceof WorkflowNotFoundError, `got ${missing}`);
  });
});

test('kill -9 after a signal is acknowledged and before the workflow saw it: delivered after the restart, once', async (t) => {
  const dir = tempDir('sandglass-e2e-talk-');
  t.after(() => dir.cleanup());
  await withEnv(t, { dbFile: path.join(dir.path, 'sandglass.db'), worker: false }, async (env) => {
    // No worker yet: the signal is acknowledged (durable) but cannot have been delivered.
    const workflowId = wfId('durable-signal');
    const handle = await start(env.client, 'signalCollector', { taskQueue: env.taskQueue, workflowId, args: [30_000] });
    await handle.signal('add', 'before-the-crash');
    await env.restartServer({ kill: true });
    const { startWorker } = await import('./lib/worker.mjs');
    env.worker = await startWorker(env.server.address, { taskQueue: env.taskQueue });
    const h = env.client.workflow.getHandle(workflowId);
    await h.signal('add', 'after');
    await h.signal('done');
    const out = await resultOf(h);
    assert.deepEqual(out.items, ['before-the-crash', 'after']);
    const history = await fetchHistory(h);
    assertContiguousIds(history);
    assert.equal(eventsOf(history, 'WorkflowExecutionSignaled').length, 3, describeHistory(history));
    await replay(history, workflowId);
  });
});

test('delete removes a running and a closed run; every read then answers NOT_FOUND', async (t) => {
  await withEnv(t, {}, async ({ client, connection, taskQueue }) => {
    const running = await start(client, 'signalCollector', { taskQueue, workflowId: wfId('del-running'), args: [600_000] });
    const closed = await start(client, 'signalCollector', { taskQueue, workflowId: wfId('del-closed'), args: [100] });
    await resultOf(closed);
    for (const h of [running, closed]) {
      await connection.workflowService.deleteWorkflowExecution({
        namespace: 'default',
        workflowExecution: { workflowId: h.workflowId },
      });
      const d = await rejection(describe(h));
      assert.ok(d instanceof WorkflowNotFoundError, `describe: ${d}`);
      const r = await rejection(fetchHistory(h));
      assert.ok(/not found/i.test(String(r?.message ?? r)), `history: ${r}`);
      const s = await rejection(h.signal('add', 'x'));
      assert.ok(s instanceof WorkflowNotFoundError, `signal: ${s}`);
    }
  });
});

test('queries: a parked run (query task), right after a signal (rides on the pending task), a closed run (replayed); failures and rejections', async (t) => {
  await withEnv(t, {}, async ({ client, connection, taskQueue }) => {
    const { Client, QueryNotRegisteredError, QueryRejectedError } = await import('@temporalio/client');
    const handle = await start(client, 'signalCollector', { taskQueue, workflowId: wfId('query'), args: [30_000] });
    const { eventually: soon } = await import('./lib/worker.mjs');
    // Parked at its condition: no workflow task pending, so a query task answers.
    await soon(async () => Array.isArray(await handle.query('items')), 10_000, 'first query');
    assert.deepEqual(await handle.query('items'), []);
    const before = eventTypes(await fetchHistory(handle)).length;
    // Signal then query at once: the query waits for the task that delivers the signal.
    await handle.signal('add', 'a');
    assert.deepEqual(await handle.query('items'), ['a']);
    for (let i = 0; i < 5; i++) assert.deepEqual(await handle.query('items'), ['a']);
    const history = await fetchHistory(handle);
    assert.equal(eventTypes(history).length, before + 4, `queries write nothing\n${describeHistory(history)}`);
    // A handler that throws, and a query the workflow does not know.
    const boom = await rejection(handle.query('boom'));
    assert.ok(boom instanceof QueryNotRegisteredError, `boom: ${boom}`);
    assert.match(boom.message, /always fails/);
    const unknown = await rejection(handle.query('nope'));
    assert.ok(unknown instanceof QueryNotRegisteredError, `unknown: ${unknown}`);
    // Closed: answered by replaying the history; rejected when asked to reject non-open runs.
    await handle.signal('done');
    await resultOf(handle);
    assert.deepEqual(await handle.query('items'), ['a']);
    const strict = new Client({ connection, namespace: 'default', workflow: { queryRejectCondition: 'NOT_OPEN' } });
    const h2 = strict.workflow.getHandle(handle.workflowId);
    const rej = await rejection(h2.query('items'));
    assert.ok(rej instanceof QueryRejectedError, `rejected: ${rej}`);
    await replay(await fetchHistory(handle), handle.workflowId);
  });
});

test('worker shutdown: polls complete gracefully (namespace capability) and no task is left with the gone worker', async (t) => {
  await withEnv(t, {}, async (env) => {
    const ns = await env.connection.workflowService.describeNamespace({ namespace: 'default' });
    assert.equal(ns.namespaceInfo.capabilities.workerPollCompleteOnShutdown, true);
    const t0 = Date.now();
    await env.worker.stop();
    env.worker = undefined;
    const stopMs = Date.now() - t0;
    assert.ok(stopMs < 10_000, `worker shutdown took ${stopMs} ms`);
    // Work that arrives right after the shutdown goes to the next worker at once, not after a
    // task timeout on the gone worker's polls.
    const workflowId = wfId('after-shutdown');
    const handle = await start(env.client, 'signalCollector', { taskQueue: env.taskQueue, workflowId, args: [100] });
    const { startWorker } = await import('./lib/worker.mjs');
    env.worker = await startWorker(env.server.address, { taskQueue: env.taskQueue });
    await resultOf(handle);
    const types = eventTypes(await fetchHistory(handle));
    assert.ok(!types.includes('WorkflowTaskTimedOut'), types.join(' '));
  });
});

test('seed 002 saga: a permanent failure at step 4 compensates 3, 2, 1; status query while paused and after; resume and cancel signals', async (t) => {
  await withEnv(t, {}, async ({ client, taskQueue }) => {
    const { eventually: soon } = await import('./lib/worker.mjs');
    // Fails at step 4 after a pause at step 2 that a `resume` ends.
    const id1 = wfId('saga-fail');
    const h1 = await start(client, 'tenantSaga', { taskQueue, workflowId: id1, args: [4, 2] });
    await soon(async () => (await h1.query('status')).phase === 'paused', 10_000, 'paused after step 2');
    assert.deepEqual(await h1.query('status'), { phase: 'paused', done: [1, 2], undone: [] });
    await h1.signal('resume');
    const out1 = await resultOf(h1);
    assert.deepEqual(out1, { phase: 'compensated', done: [1, 2, 3], undone: [3, 2, 1] });
    assert.deepEqual(calls(id1).map((c) => c.activity),
      ['do:1', 'do:2', 'do:3', 'do:4', 'undo:3', 'undo:2', 'undo:1']);
    assert.deepEqual(await h1.query('status'), out1, 'queried after it closed');
    await replay(await fetchHistory(h1), id1);
    // Cancelled by signal while paused at step 3: compensates 3, 2, 1.
    const id2 = wfId('saga-cancel');
    const h2 = await start(client, 'tenantSaga', { taskQueue, workflowId: id2, args: [0, 3] });
    await soon(async () => (await h2.query('status')).phase === 'paused', 10_000, 'paused after step 3');
    await h2.signal('cancel');
    const out2 = await resultOf(h2);
    assert.deepEqual(out2, { phase: 'compensated', done: [1, 2, 3], undone: [3, 2, 1] });
    await replay(await fetchHistory(h2), id2);
  });
});

test('updates: executeUpdate returns the value; a validator rejection writes no event; the same update id runs once; startUpdate + result()', async (t) => {
  await withEnv(t, {}, async ({ client, taskQueue }) => {
    const { WorkflowUpdateFailedError, WorkflowUpdateStage } = await import('@temporalio/client');
    const workflowId = wfId('updates');
    const handle = await start(client, 'counter', { taskQueue, workflowId });
    assert.equal(await handle.executeUpdate('increment', { args: [2] }), 2);
    assert.equal(await handle.executeUpdate('increment', { args: [3] }), 5);
    const rejected = await rejection(handle.executeUpdate('increment', { args: [-1] }));
    assert.ok(rejected instanceof WorkflowUpdateFailedError, `got ${rejected}`);
    assert.match(String(rejected.cause?.message), /negative increments/);
    // The same update id again joins the first: it runs once and both get its result.
    assert.equal(await handle.executeUpdate('increment', { args: [10], updateId: 'once' }), 15);
    assert.equal(await handle.executeUpdate('increment', { args: [10], updateId: 'once' }), 15);
    const started = await handle.startUpdate('increment', { args: [1], waitForStage: WorkflowUpdateStage.ACCEPTED });
    assert.equal(await started.result(), 16);
    await handle.signal('done');
    assert.equal(await resultOf(handle), 16);
    const history = await fetchHistory(handle);
    assertContiguousIds(history);
    assert.equal(eventsOf(history, 'WorkflowExecutionUpdateAccepted').length, 4, describeHistory(history));
    assert.equal(eventsOf(history, 'WorkflowExecutionUpdateCompleted').length, 4);
    await replay(history, workflowId);
  });
});

test('update-with-start: starts the workflow and runs the update; again, the running workflow takes it', async (t) => {
  await withEnv(t, {}, async ({ client, taskQueue }) => {
    const { WithStartWorkflowOperation } = await import('@temporalio/client');
    const workflowId = wfId('uws');
    const op1 = new WithStartWorkflowOperation('counter', { workflowId, taskQueue, workflowIdConflictPolicy: 'USE_EXISTING' });
    assert.equal(await client.workflow.executeUpdateWithStart('increment', { args: [5], startWorkflowOperation: op1 }), 5);
    const h1 = await op1.workflowHandle();
    const op2 = new WithStartWorkflowOperation('counter', { workflowId, taskQueue, workflowIdConflictPolicy: 'USE_EXISTING' });
    assert.equal(await client.workflow.executeUpdateWithStart('increment', { args: [2], startWorkflowOperation: op2 }), 7);
    const h2 = await op2.workflowHandle();
    assert.equal(h2.firstExecutionRunId ?? h2.runId, h1.firstExecutionRunId ?? h1.runId);
    // FAIL while it runs: the start's error, as the SDK's typed error.
    const { WorkflowExecutionAlreadyStartedError } = await import('@temporalio/client');
    const op3 = new WithStartWorkflowOperation('counter', { workflowId, taskQueue, workflowIdConflictPolicy: 'FAIL' });
    const dup = await rejection(client.workflow.executeUpdateWithStart('increment', { args: [1], startWorkflowOperation: op3 }));
    assert.ok(dup instanceof WorkflowExecutionAlreadyStartedError, `got ${dup}`);
    await client.workflow.getHandle(workflowId).signal('done');
    assert.equal(await resultOf(client.workflow.getHandle(workflowId)), 7);
    await replay(await fetchHistory(client.workflow.getHandle(workflowId)), workflowId);
  });
});

test('a query with no worker to answer it ends at the caller deadline with DEADLINE_EXCEEDED', async (t) => {
  await withEnv(t, { worker: false }, async ({ client, connection, taskQueue }) => {
    const handle = await start(client, 'signalCollector', { taskQueue, workflowId: wfId('query-nobody'), args: [30_000] });
    const t0 = Date.now();
    const err = await rejection(connection.withDeadline(Date.now() + 2_000, () =>
      connection.workflowService.queryWorkflow({
        namespace: 'default',
        execution: { workflowId: handle.workflowId },
        query: { queryType: 'items' },
      })));
    const took = Date.now() - t0;
    assert.equal(err.code, 4, `expected DEADLINE_EXCEEDED, got ${err}`);
    assert.ok(took < 5_000, `took ${took} ms`);
  });
});

test('continue-as-new: a chain of runs linked both ways, carrying state and memo; result() follows it; each run replays', async (t) => {
  await withEnv(t, {}, async ({ client, taskQueue }) => {
    const workflowId = wfId('can');
    const first = await start(client, 'countdown', { taskQueue, workflowId, args: [3, []], memo: { team: 'search' } });
    const out = await resultOf(client.workflow.getHandle(workflowId, first.firstExecutionRunId, { followRuns: true }));
    assert.deepEqual(out, [3, 2, 1, 0]);
    // Walk the chain from the first run.
    let runId = first.firstExecutionRunId;
    const runs = [];
    for (let i = 0; i < 10 && runId; i++) {
      const h = client.workflow.getHandle(workflowId, runId);
      const history = await fetchHistory(h);
      assertContiguousIds(history);
      const startedAttrs = history.events[0].workflowExecutionStartedEventAttributes;
      assert.equal(startedAttrs.firstExecutionRunId, first.firstExecutionRunId);
      if (runs.length) assert.equal(startedAttrs.continuedExecutionRunId, runs.at(-1));
      runs.push(runId);
      await replay(history, workflowId);
      const last = history.events.at(-1);
      runId = last.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId;
      const d = await describe(h);
      assert.equal(d.status.name, runId ? 'CONTINUED_AS_NEW' : 'COMPLETED');
      assert.deepEqual(d.memo, { team: 'search' }, 'the memo is carried to every run');
    }
    assert.equal(runs.length, 4);
  });
});

test('a workflow signals and cancels other workflows, running and missing; the outcome is seen inside it', async (t) => {
  await withEnv(t, {}, async ({ client, taskQueue }) => {
    const target = await start(client, 'signalCollector', { taskQueue, workflowId: wfId('ext-target'), args: [30_000] });
    assert.equal(await execute(client, 'signalOther', { taskQueue, workflowId: wfId('ext-signal'), args: [target.workflowId, 'from-a-workflow'] }), 'signalled');
    await target.signal('done');
    assert.deepEqual((await resultOf(target)).items, ['from-a-workflow']);
    const missing = await execute(client, 'signalOther', { taskQueue, workflowId: wfId('ext-signal-missing'), args: [wfId('nobody'), 'x'] });
    assert.match(missing, /^failed:/);

    const victim = await start(client, 'cancellable', { taskQueue, workflowId: wfId('ext-victim'), args: [{ startToCloseTimeout: '5 s' }] });
    const sourceId = wfId('ext-cancel');
    assert.equal(await execute(client, 'cancelOther', { taskQueue, workflowId: sourceId, args: [victim.workflowId] }), 'cancel requested');
    await rejection(resultOf(victim));
    assert.equal((await describe(victim)).status.name, 'CANCELLED');
    const vh = await fetchHistory(victim);
    const cr = eventsOf(vh, 'WorkflowExecutionCancelRequested')[0].workflowExecutionCancelRequestedEventAttributes;
    assert.equal(cr.externalWorkflowExecution.workflowId, sourceId);
    const missingCancel = await execute(client, 'cancelOther', { taskQueue, workflowId: wfId('ext-cancel-missing'), args: [wfId('nobody')] });
    assert.match(missingCancel, /^failed:/);
    for (const id of [sourceId]) await replay(await fetchHistory(client.workflow.getHandle(id)), id);
    await replay(vh, victim.workflowId);
  });
});
