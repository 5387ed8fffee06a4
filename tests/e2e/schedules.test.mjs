// Schedules with the official TS SDK 1.24.0 (client.schedule): seed 000's self-destructing
// orphaned sync — a scheduled run that finds its sync deleted deletes its own schedule through
// the worker's Client, idempotently, and no run starts after; create and describe (spec,
// action, policies, state, recent and next action times on the interval's grid), runs named
// <workflowId>-<RFC 3339 second, UTC> and tagged TemporalScheduledById and
// TemporalScheduledStartTime, ScheduleAlreadyRunning and ScheduleNotFoundError; pause and
// unpause with notes, trigger, list, update, remaining actions; the six overlap policies; and
// backfill of a past range. Every wait is bounded; each test deletes its schedules and
// terminates the runs they left open before the server stops.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ScheduleAlreadyRunning, ScheduleNotFoundError, ScheduleOverlapPolicy } from '@temporalio/client';
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { registerSync } from './activities.mjs';
import { assertBinary, sleep } from './lib/server.mjs';
import {
  eventually,
  eventTypes,
  execute,
  fetchHistory,
  getBundle,
  rejection,
  result as resultOf,
  wfId,
  withEnv,
  within,
} from './lib/worker.mjs';

test.before(async () => {
  assertBinary();
  await getBundle();
});

const SCHEDULED_BY = defineSearchAttributeKey('TemporalScheduledById', SearchAttributeType.KEYWORD);
const SCHEDULED_START = defineSearchAttributeKey('TemporalScheduledStartTime', SearchAttributeType.DATETIME);

/**
 * One client call (schedule or workflow), aborted after 5 s. The SDK's ServiceError ("Failed to
 * create schedule") keeps the gRPC status in `cause`, which test reports do not print: it is
 * appended to the message (the error's class, for instanceof checks, is unchanged).
 */
async function call(client, label, fn) {
  try {
    return await within(client, 5_000, label, fn);
  } catch (err) {
    if (err?.name === 'ServiceError' && err.cause?.message && !err.message.includes(err.cause.message)) {
      err.message += ` (${label}: ${err.cause.message})`;
    }
    throw err;
  }
}

/** 1700000000000 → '2023-11-14T22:13:20Z' (RFC 3339, seconds, UTC), as a scheduled run's id ends. */
const isoSecond = (ms) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

/** The nominal time (ms) in a scheduled run's id `<base>-<YYYY-MM-DDTHH:MM:SSZ>`; fails on any other shape. */
function nominalOf(workflowId, base) {
  const m = /^(.*)-(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)$/.exec(workflowId);
  assert.ok(m && m[1] === base, `scheduled run id ${workflowId} is not ${base}-<RFC 3339 time, seconds, UTC, Z>`);
  return Date.parse(m[2]);
}

/** A spec's intervals as {every, offset} in ms; an absent offset (phase) is 0. */
const intervalsOf = (spec) => (spec?.intervals ?? []).map(({ every, offset }) => ({ every, offset: offset ?? 0 }));

/** A startWorkflow action. */
const startAction = (taskQueue, workflowId, workflowType, args = []) => ({ type: 'startWorkflow', workflowType, taskQueue, workflowId, args });

/** The runs a schedule started, found by TemporalScheduledById, in nominal-time order. */
async function runsOf(client, scheduleId) {
  const runs = await call(client, `list runs of ${scheduleId}`, async () => {
    const out = [];
    for await (const w of client.workflow.list({ query: `TemporalScheduledById = '${scheduleId}'` })) out.push(w);
    return out;
  });
  // Same base id, then an RFC 3339 time: string order is time order.
  return runs.sort((a, b) => (a.workflowId < b.workflowId ? -1 : a.workflowId > b.workflowId ? 1 : 0));
}

const describeSchedule = (client, handle) => call(client, `describe schedule ${handle.scheduleId}`, () => handle.describe());

/** The schedule as client.schedule.list() shows it, or undefined. */
const listedSchedule = (client, scheduleId) =>
  call(client, 'list schedules', async () => {
    for await (const s of client.schedule.list()) if (s.scheduleId === scheduleId) return s;
    return undefined;
  });

/** Polls describe until `pred(description)` holds; returns that description. */
const describeUntil = (client, handle, pred, ms, label) =>
  eventually(async () => {
    const d = await describeSchedule(client, handle);
    return pred(d) && d;
  }, ms, label);

/** True once describe fails with ScheduleNotFoundError (other errors propagate). */
async function scheduleGone(client, handle) {
  try {
    await describeSchedule(client, handle);
    return false;
  } catch (err) {
    if (err instanceof ScheduleNotFoundError) return true;
    throw err;
  }
}

const signalDone = (client, workflowId) => call(client, `signal done to ${workflowId}`, () => client.workflow.getHandle(workflowId).signal('done'));

/** Asserts `times` (Dates) are several consecutive points of the grid offset + k·every. */
function assertOnGrid(times, every, offset, label) {
  assert.ok(times.length >= 3, `${label}: expected several next action times, got ${times.length}`);
  const shown = times.map((d) => d.toISOString()).join(', ');
  for (const d of times) {
    assert.equal((((d.getTime() - offset) % every) + every) % every, 0, `${label}: ${d.toISOString()} is not on the ${every} ms grid (offset ${offset} ms): ${shown}`);
  }
  for (let i = 1; i < times.length; i++) {
    assert.equal(times[i] - times[i - 1], every, `${label}: not consecutive ticks, increasing: ${shown}`);
  }
}

/**
 * withEnv (server, client, worker) plus env.create(options): creates a schedule (bounded) and
 * remembers it. Afterwards, pass or fail, each schedule is deleted and every run it started
 * that is still open is terminated, before withEnv stops the worker and the server.
 */
async function withSchedules(t, fn, envOptions = {}) {
  return withEnv(t, envOptions, async (env) => {
    const { client } = env;
    const ids = new Set();
    const create = (options) => {
      ids.add(options.scheduleId);
      return call(client, `create schedule ${options.scheduleId}`, () => client.schedule.create(options));
    };
    try {
      return await fn({ ...env, create });
    } finally {
      for (const id of ids) {
        await call(client, `delete schedule ${id}`, () => client.schedule.getHandle(id).delete()).catch(() => {});
        const open = (await runsOf(client, id).catch(() => [])).filter((w) => w.status.name === 'RUNNING');
        for (const w of open) {
          await call(client, `terminate ${w.workflowId}`, () => client.workflow.getHandle(w.workflowId).terminate('schedules.test cleanup')).catch(() => {});
        }
      }
    }
  });
}

// ---------------------------------------------------------------------------------------------
// Seed 000: a sync's schedule outlives the sync (deleted with its source connection, the
// schedule's cleanup still queued); the next scheduled run detects it and cleans up after itself.

test('seed 000: a scheduled run whose sync was deleted deletes its own schedule, idempotently; no run starts after', async (t) => {
  await withSchedules(t, async ({ client, taskQueue, create }) => {
    const syncId = wfId('sync');
    const scheduleId = wfId('sync-schedule');
    const base = `sync-run-${syncId}`;
    registerSync(syncId);
    const handle = await create({
      scheduleId,
      spec: { intervals: [{ every: '1s' }] },
      action: startAction(taskQueue, base, 'orphanedSync', [syncId, scheduleId]),
    });

    // While the sync exists, the scheduled runs sync normally.
    const normal = await eventually(
      async () => (await runsOf(client, scheduleId)).find((w) => w.status.name === 'COMPLETED'),
      10_000,
      'a first scheduled sync run completed',
    );
    nominalOf(normal.workflowId, base);
    const normalResult = await resultOf(client.workflow.getHandle(normal.workflowId));
    assert.equal(normalResult.orphaned, false, `a run with its sync present: ${JSON.stringify(normalResult)}`);

    // The source connection is deleted, cascading to the sync; the schedule is left behind.
    registerSync(syncId, false);
    await eventually(() => scheduleGone(client, handle), 10_000, 'the schedule deleted by its own orphaned run (describe → ScheduleNotFoundError)');

    // Every run ends COMPLETED (a graceful exit, not a failure); the orphaned ones report their
    // cleanup, and exactly one of them is the one that deleted the schedule.
    const closed = await eventually(async () => {
      const runs = await runsOf(client, scheduleId);
      return runs.every((w) => w.status.name !== 'RUNNING') && runs;
    }, 10_000, 'every scheduled run closed');
    for (const w of closed) assert.equal(w.status.name, 'COMPLETED', `${w.workflowId} ended ${w.status.name}, not COMPLETED`);
    const results = await Promise.all(closed.map((w) => resultOf(client.workflow.getHandle(w.workflowId))));
    const cleanups = results.filter((r) => r.orphaned).map((r) => r.cleanup);
    assert.equal(cleanups.filter((c) => c === 'deleted').length, 1, `exactly one run deleted the schedule: ${JSON.stringify(results)}`);
    assert.ok(cleanups.every((c) => c === 'deleted' || c === 'already-deleted'), `cleanup outcomes: ${JSON.stringify(cleanups)}`);

    // No run starts any more: ticks fell due every second, the count stays put for 2.5 s.
    await sleep(2_500);
    const after = await runsOf(client, scheduleId);
    assert.deepEqual(
      after.map((w) => w.workflowId),
      closed.map((w) => w.workflowId),
      'runs started after the schedule deleted itself',
    );
    await eventually(async () => (await listedSchedule(client, scheduleId)) === undefined, 5_000, 'the deleted schedule no longer listed');

    // Idempotent: one more orphaned run (as when several were already queued) finds the
    // schedule gone and still completes; a plain delete, without that guard, is rejected.
    const late = await execute(client, 'orphanedSync', { taskQueue, workflowId: `${base}-late`, args: [syncId, scheduleId] });
    assert.deepEqual(late, { orphaned: true, cleanup: 'already-deleted' }, 'a second self-destruct treats "not found" as done');
    const err = await rejection(call(client, 'delete the deleted schedule', () => handle.delete()));
    assert.ok(err instanceof ScheduleNotFoundError, `a second raw delete: expected ScheduleNotFoundError, got ${err.name}: ${err.message}`);
    assert.equal(err.scheduleId, scheduleId);
  });
});

// ---------------------------------------------------------------------------------------------
// Create and describe.

test('create and describe: spec, action, policies, state, recent and next action times; runs named <id>-<time> and tagged; a second create → ScheduleAlreadyRunning', async (t) => {
  await withSchedules(t, async ({ client, taskQueue, create }) => {
    const scheduleId = wfId('sched-describe');
    const base = wfId('tick');
    const options = {
      scheduleId,
      // Every 2 s at odd seconds: t = 1 s + k·2 s since the epoch.
      spec: { intervals: [{ every: '2s', offset: '1s' }] },
      action: startAction(taskQueue, base, 'cronTick'),
      memo: { owner: 'sync-team' },
    };
    const createdAfter = Date.now();
    const handle = await create(options);
    assert.equal(handle.scheduleId, scheduleId);

    let d = await describeSchedule(client, handle);
    assert.equal(d.scheduleId, scheduleId);
    assert.deepEqual(intervalsOf(d.spec), [{ every: 2_000, offset: 1_000 }], 'spec.intervals as created');
    assert.deepEqual(d.spec.calendars, [], 'no calendars');
    assert.equal(d.action.type, 'startWorkflow');
    assert.equal(d.action.workflowType, 'cronTick');
    assert.equal(d.action.workflowId, base, 'the action keeps the base workflow id');
    assert.equal(d.action.taskQueue, taskQueue);
    assert.deepEqual(d.action.args, []);
    assert.deepEqual(d.memo, { owner: 'sync-team' });
    assert.equal(d.policies.overlap, ScheduleOverlapPolicy.SKIP, 'the default overlap policy is SKIP');
    assert.equal(d.policies.pauseOnFailure, false);
    assert.equal(d.state.paused, false);
    assert.ok(!d.state.note, `no note yet, got ${JSON.stringify(d.state.note)}`);
    assert.equal(d.state.remainingActions, undefined, 'unlimited: no remaining-actions count');
    assert.ok(
      d.info.createdAt.getTime() >= createdAfter - 1_000 && d.info.createdAt.getTime() <= Date.now() + 1_000,
      `createdAt ${d.info.createdAt.toISOString()} is not the creation time`,
    );
    assertOnGrid(d.info.nextActionTimes, 2_000, 1_000, 'nextActionTimes');
    const firstNext = d.info.nextActionTimes[0].getTime();
    assert.ok(firstNext > createdAfter - 1_000 && firstNext <= Date.now() + 2_000, `the first next action time ${isoSecond(firstNext)} is not the next tick`);

    d = await describeUntil(client, handle, (x) => x.info.recentActions.length >= 2, 8_000, 'two scheduled runs in recentActions');
    assert.ok(d.info.numActionsTaken >= d.info.recentActions.length, `numActionsTaken ${d.info.numActionsTaken}`);
    assert.equal(d.info.numActionsSkippedOverlap, 0);
    const nominals = [];
    for (const a of d.info.recentActions) {
      assert.equal(a.action.type, 'startWorkflow');
      const nominal = nominalOf(a.action.workflow.workflowId, base);
      nominals.push(nominal);
      assert.equal(a.scheduledAt.getTime(), nominal, 'scheduledAt is the nominal time the id carries (no jitter)');
      assert.equal(((nominal - 1_000) % 2_000 + 2_000) % 2_000, 0, `run at ${isoSecond(nominal)} is off the grid`);
      assert.ok(a.takenAt >= a.scheduledAt && a.takenAt - a.scheduledAt < 3_000, `taken at ${a.takenAt.toISOString()} for ${isoSecond(nominal)}`);
    }
    for (let i = 1; i < nominals.length; i++) assert.equal(nominals[i] - nominals[i - 1], 2_000, `recent actions one tick apart: ${nominals.map(isoSecond)}`);

    // The runs are found by TemporalScheduledById, and carry both attributes.
    const ids = d.info.recentActions.map((a) => a.action.workflow.workflowId);
    const runs = await eventually(async () => {
      const r = await runsOf(client, scheduleId);
      return ids.every((id) => r.some((w) => w.workflowId === id)) && r;
    }, 5_000, `runs ${ids} listed by TemporalScheduledById`);
    for (const w of runs) {
      nominalOf(w.workflowId, base);
      assert.equal(w.type, 'cronTick');
    }
    const first = d.info.recentActions[0];
    const wd = await call(client, 'describe a scheduled run', () => client.workflow.getHandle(first.action.workflow.workflowId).describe());
    assert.equal(wd.runId, first.action.workflow.firstExecutionRunId, 'recentActions names the run it started');
    assert.equal(wd.taskQueue, taskQueue);
    assert.deepEqual(wd.searchAttributes.TemporalScheduledById, [scheduleId]);
    const start = wd.searchAttributes.TemporalScheduledStartTime;
    assert.ok(start?.[0] instanceof Date, `TemporalScheduledStartTime should be a Datetime, got ${JSON.stringify(start)}`);
    assert.equal(start[0].getTime(), first.scheduledAt.getTime(), 'TemporalScheduledStartTime is the nominal time');
    assert.equal(wd.typedSearchAttributes.get(SCHEDULED_BY), scheduleId);
    assert.equal(wd.typedSearchAttributes.get(SCHEDULED_START)?.getTime(), first.scheduledAt.getTime());
    const byTime = await call(client, 'list by TemporalScheduledStartTime', async () => {
      const out = [];
      const query = `TemporalScheduledById = '${scheduleId}' AND TemporalScheduledStartTime = '${first.scheduledAt.toISOString()}'`;
      for await (const w of client.workflow.list({ query })) out.push(w.workflowId);
      return out;
    });
    assert.deepEqual(byTime, [first.action.workflow.workflowId], 'TemporalScheduledStartTime is indexed as a Datetime');

    // The same id again: ScheduleAlreadyRunning, and the schedule is untouched.
    const dup = await rejection(create(options));
    assert.ok(dup instanceof ScheduleAlreadyRunning, `a second create: expected ScheduleAlreadyRunning, got ${dup.name}: ${dup.message}`);
    assert.equal(dup.scheduleId, scheduleId);
    const again = await describeSchedule(client, handle);
    assert.equal(again.info.createdAt.getTime(), d.info.createdAt.getTime(), 'the failed create did not recreate the schedule');
    assert.ok(again.info.numActionsTaken >= d.info.numActionsTaken);
  });
});

// ---------------------------------------------------------------------------------------------
// Operations on a schedule.

test('pause and unpause with notes, trigger a run, list, update the interval', async (t) => {
  await withSchedules(t, async ({ client, taskQueue, create }) => {
    const scheduleId = wfId('sched-ops');
    const base = wfId('ops');
    // Hourly: nothing falls due during the test, so the first run is the triggered one.
    const handle = await create({ scheduleId, spec: { intervals: [{ every: '1h' }] }, action: startAction(taskQueue, base, 'cronTick') });

    await call(client, 'pause', () => handle.pause('maintenance window'));
    let d = await describeSchedule(client, handle);
    assert.equal(d.state.paused, true, 'paused after pause()');
    assert.equal(d.state.note, 'maintenance window');
    let listed = await eventually(async () => {
      const s = await listedSchedule(client, scheduleId);
      return s?.state.paused && s;
    }, 5_000, 'list shows the schedule paused');
    assert.equal(listed.state.note, 'maintenance window');

    await call(client, 'unpause', () => handle.unpause('back to work'));
    d = await describeSchedule(client, handle);
    assert.equal(d.state.paused, false, 'running again after unpause()');
    assert.equal(d.state.note, 'back to work');

    // trigger(): one run now, named by the time it was triggered.
    const triggeredAt = Date.now();
    await call(client, 'trigger', () => handle.trigger());
    d = await describeUntil(client, handle, (x) => x.info.numActionsTaken >= 1, 5_000, 'the triggered run recorded');
    assert.equal(d.info.numActionsTaken, 1);
    const run = d.info.recentActions[0].action.workflow;
    const nominal = nominalOf(run.workflowId, base);
    assert.ok(nominal >= Math.floor(triggeredAt / 1_000) * 1_000 && nominal <= Date.now(), `triggered run ${run.workflowId} is not named by the trigger time`);
    assert.deepEqual(await resultOf(client.workflow.getHandle(run.workflowId)), { n: 1 });
    assert.deepEqual((await runsOf(client, scheduleId)).map((w) => w.workflowId), [run.workflowId], 'exactly the triggered run');

    // list: id, workflow type, spec, state, the triggered run, next times.
    listed = await eventually(async () => {
      const s = await listedSchedule(client, scheduleId);
      return s && !s.state.paused && s.info.recentActions.length === 1 && s;
    }, 5_000, 'list shows the schedule running with its triggered run');
    assert.equal(listed.action?.type, 'startWorkflow');
    assert.equal(listed.action?.workflowType, 'cronTick');
    assert.deepEqual(intervalsOf(listed.spec), [{ every: 3_600_000, offset: 0 }], 'list shows the spec');
    assert.equal(listed.state.note, 'back to work');
    assert.equal(listed.info.recentActions[0].action.workflow.workflowId, run.workflowId);
    assert.ok(listed.info.nextActionTimes.length >= 1, 'list shows the next action times');

    // update(): every 2 s instead of hourly; action and state kept; the new spec takes effect.
    await call(client, 'update', () => handle.update((prev) => ({ ...prev, spec: { intervals: [{ every: '2s' }] } })));
    d = await describeSchedule(client, handle);
    assert.deepEqual(intervalsOf(d.spec), [{ every: 2_000, offset: 0 }], 'describe shows the updated interval');
    assertOnGrid(d.info.nextActionTimes, 2_000, 0, 'nextActionTimes after the update');
    assert.ok(d.info.lastUpdatedAt instanceof Date, 'lastUpdatedAt is set by the update');
    assert.equal(d.action.workflowType, 'cronTick');
    assert.equal(d.action.workflowId, base);
    assert.equal(d.state.paused, false);
    assert.equal(d.state.note, 'back to work');
    d = await describeUntil(client, handle, (x) => x.info.numActionsTaken >= 2, 6_000, 'a run from the updated spec');
    const next = nominalOf(d.info.recentActions.at(-1).action.workflow.workflowId, base);
    assert.equal(next % 2_000, 0, `run at ${isoSecond(next)} is not on the new 2 s grid`);
  });
});

test('remainingActions 2 on a 1 s interval: exactly two runs, then none; describe shows 0 left', async (t) => {
  await withSchedules(t, async ({ client, taskQueue, create }) => {
    const scheduleId = wfId('sched-limited');
    const base = wfId('limited');
    const handle = await create({
      scheduleId,
      spec: { intervals: [{ every: '1s' }] },
      action: startAction(taskQueue, base, 'cronTick'),
      state: { remainingActions: 2 },
    });
    let d = await describeSchedule(client, handle);
    assert.ok([0, 1, 2].includes(d.state.remainingActions), `a limited schedule shows its remaining actions, got ${d.state.remainingActions}`);

    d = await describeUntil(client, handle, (x) => x.info.numActionsTaken >= 2, 6_000, 'two runs taken');
    assert.equal(d.state.remainingActions, 0, 'both actions used');
    await sleep(2_500); // two more ticks fell due
    d = await describeSchedule(client, handle);
    assert.equal(d.info.numActionsTaken, 2, 'no action once none remain');
    assert.equal(d.state.remainingActions, 0);
    assert.deepEqual(d.info.nextActionTimes, [], 'no action left, so no next action time');
    const runs = await runsOf(client, scheduleId);
    assert.equal(runs.length, 2, `runs: ${runs.map((w) => w.workflowId)}`);
    const [a, b] = runs.map((w) => nominalOf(w.workflowId, base));
    assert.equal(b - a, 1_000, 'the two runs are consecutive ticks');
  });
});

// ---------------------------------------------------------------------------------------------
// Overlap policies. The action is signalCollector(60 s): it runs until signalled `done`.

const LONG = (taskQueue, base) => startAction(taskQueue, base, 'signalCollector', [60_000]);

test('overlap SKIP: while a run is open, the starts that fall due are skipped and counted', async (t) => {
  await withSchedules(t, async ({ client, taskQueue, create }) => {
    const scheduleId = wfId('sched-skip');
    const base = wfId('skip');
    const handle = await create({
      scheduleId,
      spec: { intervals: [{ every: '1s' }] },
      action: LONG(taskQueue, base),
      policies: { overlap: ScheduleOverlapPolicy.SKIP },
    });
    const d1 = await describeUntil(client, handle, (x) => x.info.numActionsSkippedOverlap >= 2, 8_000, 'skipped starts counted');
    assert.equal(d1.info.numActionsTaken, 1, 'only the first start was taken');
    assert.equal(d1.info.runningActions.length, 1, 'one running action');
    const d2 = await describeUntil(client, handle, (x) => x.info.numActionsSkippedOverlap > d1.info.numActionsSkippedOverlap, 4_000, 'the skipped count grows');
    assert.equal(d2.info.numActionsTaken, 1);
    const runs = await runsOf(client, scheduleId);
    assert.equal(runs.length, 1, `one run only: ${runs.map((w) => w.workflowId)}`);
    assert.equal(runs[0].status.name, 'RUNNING');
    assert.equal(d2.info.runningActions[0].workflow.workflowId, runs[0].workflowId, 'runningActions names the open run');
    nominalOf(runs[0].workflowId, base);
  });
});

test('overlap ALLOW_ALL: a run starts at every tick, however many are open', async (t) => {
  await withSchedules(t, async ({ client, taskQueue, create }) => {
    const scheduleId = wfId('sched-allow');
    const base = wfId('allow');
    const handle = await create({
      scheduleId,
      spec: { intervals: [{ every: '1s' }] },
      action: LONG(taskQueue, base),
      policies: { overlap: ScheduleOverlapPolicy.ALLOW_ALL },
    });
    const runs = await eventually(async () => {
      const r = await runsOf(client, scheduleId);
      return r.filter((w) => w.status.name === 'RUNNING').length >= 3 && r;
    }, 8_000, 'three runs open at once');
    const nominals = runs.map((w) => nominalOf(w.workflowId, base));
    for (let i = 1; i < nominals.length; i++) assert.equal(nominals[i] - nominals[i - 1], 1_000, `one run per tick: ${nominals.map(isoSecond)}`);
    const d = await describeSchedule(client, handle);
    assert.equal(d.info.numActionsSkippedOverlap, 0, 'nothing skipped under ALLOW_ALL');
    assert.ok(d.info.numActionsTaken >= 3, `numActionsTaken ${d.info.numActionsTaken}`);
  });
});

test('overlap BUFFER_ONE: one run open, the first start due after it is buffered (later ones skipped) and runs when it ends', async (t) => {
  await withSchedules(t, async ({ client, taskQueue, create }) => {
    const scheduleId = wfId('sched-buf1');
    const base = wfId('buf1');
    const handle = await create({
      scheduleId,
      spec: { intervals: [{ every: '1s' }] },
      action: LONG(taskQueue, base),
      policies: { overlap: ScheduleOverlapPolicy.BUFFER_ONE },
    });
    // Tick 2 is buffered, tick 3 onwards skipped.
    const d = await describeUntil(client, handle, (x) => x.info.numActionsSkippedOverlap >= 1, 8_000, 'a start skipped with one buffered');
    assert.equal(d.info.numActionsTaken, 1);
    let runs = await runsOf(client, scheduleId);
    assert.equal(runs.length, 1, `one run while the buffer holds one: ${runs.map((w) => w.workflowId)}`);
    const first = runs[0];

    await signalDone(client, first.workflowId);
    runs = await eventually(async () => {
      const r = await runsOf(client, scheduleId);
      return r.length >= 2 && r[1].status.name === 'RUNNING' && r;
    }, 5_000, 'the buffered start runs once the first run ended');
    assert.equal(runs.length, 2, `exactly one buffered start ran: ${runs.map((w) => w.workflowId)}`);
    assert.equal(runs[0].status.name, 'COMPLETED');
    assert.equal(
      nominalOf(runs[1].workflowId, base) - nominalOf(first.workflowId, base),
      1_000,
      'the buffered start is the first one that fell due, kept while later ones were skipped',
    );
  });
});

for (const [policy, status, closeEvent] of [
  [ScheduleOverlapPolicy.CANCEL_OTHER, 'CANCELLED', 'WorkflowExecutionCanceled'],
  [ScheduleOverlapPolicy.TERMINATE_OTHER, 'TERMINATED', 'WorkflowExecutionTerminated'],
]) {
  test(`overlap ${policy}: when the next start falls due the open run is ${status.toLowerCase()}, then the next one starts`, async (t) => {
    await withSchedules(t, async ({ client, taskQueue, create }) => {
      const scheduleId = wfId(`sched-${policy.toLowerCase()}`);
      const base = wfId(policy.toLowerCase());
      const handle = await create({
        scheduleId,
        spec: { intervals: [{ every: '1s' }] },
        action: LONG(taskQueue, base),
        policies: { overlap: policy },
      });
      const runs = await eventually(async () => {
        const r = await runsOf(client, scheduleId);
        return r.length >= 2 && r[0].status.name === status && r;
      }, 8_000, `the first run ${status} and a second one started`);
      assert.ok(runs.filter((w) => w.status.name === 'RUNNING').length <= 1, `never two open at once: ${runs.map((w) => `${w.workflowId} ${w.status.name}`)}`);
      assert.ok(nominalOf(runs[1].workflowId, base) > nominalOf(runs[0].workflowId, base));
      const types = eventTypes(await fetchHistory(client.workflow.getHandle(runs[0].workflowId)));
      if (policy === ScheduleOverlapPolicy.CANCEL_OTHER) assert.ok(types.includes('WorkflowExecutionCancelRequested'), `cancel requested: ${types}`);
      assert.equal(types.at(-1), closeEvent, `the first run's history: ${types}`);
      const d = await describeSchedule(client, handle);
      assert.equal(d.policies.overlap, policy);
      assert.equal(d.info.numActionsSkippedOverlap, 0, `nothing skipped under ${policy}`);
    });
  });
}

test('overlap BUFFER_ALL: two starts triggered while a run is open are buffered and run one after the other', async (t) => {
  await withSchedules(t, async ({ client, taskQueue, create }) => {
    const scheduleId = wfId('sched-bufall');
    const base = wfId('bufall');
    // Hourly, so only the triggered starts run. trigger() defaults to ALLOW_ALL in the SDK, so
    // the policy is passed; triggers 1.2 s apart get distinct second-resolution ids.
    const handle = await create({
      scheduleId,
      spec: { intervals: [{ every: '1h' }] },
      action: LONG(taskQueue, base),
      policies: { overlap: ScheduleOverlapPolicy.BUFFER_ALL },
    });
    const trigger = (n) => call(client, `trigger ${n}`, () => handle.trigger(ScheduleOverlapPolicy.BUFFER_ALL));
    await trigger(1);
    let runs = await eventually(async () => {
      const r = await runsOf(client, scheduleId);
      return r.length >= 1 && r;
    }, 5_000, 'the first triggered run started');
    for (const n of [2, 3]) {
      await sleep(1_200);
      await trigger(n);
    }
    await sleep(1_000); // time enough to start a buffered run by mistake
    runs = await runsOf(client, scheduleId);
    assert.equal(runs.length, 1, `one run open, two starts buffered: ${runs.map((w) => w.workflowId)}`);
    assert.equal(runs[0].status.name, 'RUNNING');
    let d = await describeSchedule(client, handle);
    assert.equal(d.info.numActionsTaken, 1);
    assert.equal(d.info.numActionsSkippedOverlap, 0, 'BUFFER_ALL skips nothing');

    for (let k = 1; k <= 2; k++) {
      await signalDone(client, runs[k - 1].workflowId);
      runs = await eventually(async () => {
        const r = await runsOf(client, scheduleId);
        return r.length >= k + 1 && r[k].status.name === 'RUNNING' && r;
      }, 5_000, `buffered start ${k} runs once run ${k} ended`);
      assert.equal(runs.length, k + 1, `one buffered start at a time: ${runs.map((w) => w.workflowId)}`);
      assert.equal(runs[k - 1].status.name, 'COMPLETED');
    }
    await signalDone(client, runs[2].workflowId);
    runs = await eventually(async () => {
      const r = await runsOf(client, scheduleId);
      return r.every((w) => w.status.name === 'COMPLETED') && r;
    }, 5_000, 'all three runs completed');
    assert.equal(runs.length, 3);
    const nominals = runs.map((w) => nominalOf(w.workflowId, base));
    assert.ok(nominals[1] - nominals[0] >= 1_000 && nominals[2] - nominals[1] >= 1_000, `named by their trigger times: ${nominals.map(isoSecond)}`);
    d = await describeSchedule(client, handle);
    assert.equal(d.info.numActionsTaken, 3);
  });
});

// ---------------------------------------------------------------------------------------------
// Backfill.

test('backfill of a past 5 s range starts a run for each tick in it (both ends included), named by those times; a paused schedule runs nothing else', async (t) => {
  await withSchedules(t, async ({ client, taskQueue, create }) => {
    const scheduleId = wfId('sched-backfill');
    const base = wfId('backfill');
    // Paused: the regular ticks do not run, backfills (manual actions) do.
    const handle = await create({
      scheduleId,
      spec: { intervals: [{ every: '1s' }] },
      action: startAction(taskQueue, base, 'cronTick'),
      state: { paused: true, note: 'backfill only' },
    });
    const T = Math.floor(Date.now() / 1_000) * 1_000 - 60_000; // a minute ago, on the grid
    await call(client, 'backfill', () =>
      handle.backfill({ start: new Date(T), end: new Date(T + 5_000), overlap: ScheduleOverlapPolicy.ALLOW_ALL }),
    );
    const expected = [0, 1, 2, 3, 4, 5].map((k) => `${base}-${isoSecond(T + k * 1_000)}`);
    let runs = await eventually(async () => {
      const r = await runsOf(client, scheduleId);
      return r.length >= expected.length && r.every((w) => w.status.name === 'COMPLETED') && r;
    }, 10_000, 'the backfilled runs completed');
    assert.deepEqual(runs.map((w) => w.workflowId), expected, 'one run per tick from start to end inclusive');
    for (const w of runs) {
      assert.equal(w.searchAttributes.TemporalScheduledStartTime?.[0]?.getTime(), nominalOf(w.workflowId, base), `${w.workflowId}: TemporalScheduledStartTime`);
    }

    // A single point on the grid is a range too.
    const P = T + 30_000;
    await call(client, 'backfill one point', () => handle.backfill({ start: new Date(P), end: new Date(P), overlap: ScheduleOverlapPolicy.ALLOW_ALL }));
    runs = await eventually(async () => {
      const r = await runsOf(client, scheduleId);
      return r.length > expected.length && r;
    }, 5_000, 'the single-point backfill ran');
    assert.deepEqual(runs.map((w) => w.workflowId), [...expected, `${base}-${isoSecond(P)}`].sort());
    const d = await describeSchedule(client, handle);
    assert.equal(d.state.paused, true, 'backfill does not unpause');
    assert.equal(d.state.note, 'backfill only');
    assert.equal(d.info.numActionsTaken, expected.length + 1);
  });
});

// ---------------------------------------------------------------------------------------------
// ListSchedules with a query: the schedule's own search attributes, TemporalSchedulePaused and
// ScheduleId, as Temporal allows; anything else is refused with the attribute's name.

test('list and count schedules by query: a custom search attribute, TemporalSchedulePaused, ScheduleId; other attributes refused', async (t) => {
  await withSchedules(t, async ({ client, taskQueue, create }) => {
    const TEAM = defineSearchAttributeKey('Team', SearchAttributeType.KEYWORD);
    const ids = [wfId('q-a1'), wfId('q-a2'), wfId('q-b')];
    for (const [i, id] of ids.entries()) {
      await create({
        scheduleId: id,
        spec: { intervals: [{ every: '1h' }] },
        action: startAction(taskQueue, `${id}-run`, 'sleeper', [1]),
        typedSearchAttributes: [{ key: TEAM, value: i < 2 ? 'alpha' : 'beta' }],
        state: { paused: i === 1, note: i === 1 ? 'held' : undefined },
      });
    }
    const list = (query) => call(client, `list ${query}`, async () => {
      const out = [];
      for await (const s of client.schedule.list({ query })) if (ids.includes(s.scheduleId)) out.push(s.scheduleId);
      return out.sort();
    });
    assert.deepEqual(await list("Team = 'alpha'"), [ids[0], ids[1]].sort());
    assert.deepEqual(await list("Team = 'alpha' AND TemporalSchedulePaused = true"), [ids[1]]);
    assert.deepEqual(await list('TemporalSchedulePaused = false'), [ids[0], ids[2]].sort());
    assert.deepEqual(await list(`ScheduleId = '${ids[2]}'`), [ids[2]]);
    assert.deepEqual(await list(`ScheduleId IN ('${ids[0]}', '${ids[2]}') AND Team != 'beta'`), [ids[0]]);
    const listed = await call(client, 'list entry', async () => {
      for await (const s of client.schedule.list({ query: `ScheduleId = '${ids[1]}'` })) return s;
    });
    assert.equal(listed.state.paused, true);
    assert.equal(listed.state.note, 'held');
    assert.equal(listed.action.workflowType, 'sleeper');
    assert.deepEqual(listed.typedSearchAttributes.get(TEAM), 'alpha');
    for (const [query, name] of [["WorkflowId = 'x'", 'WorkflowId'], ["TemporalScheduledById = 'x'", 'TemporalScheduledById']]) {
      const err = await rejection(list(query));
      assert.match(String(err?.cause?.message ?? err?.message), new RegExp(`invalid query filter for schedules: cannot filter on "${name}"`), String(err));
    }
    // CountSchedules (no SDK wrapper): the same filter, counted.
    const count = (query) => call(client, `count ${query}`, () => client.workflowService.countSchedules({ namespace: client.options.namespace, query }));
    assert.equal(Number((await count("Team = 'alpha'")).count), 2);
    assert.equal(Number((await count("Team = 'alpha' AND TemporalSchedulePaused = true")).count), 1);
    assert.equal(Number((await count(`ScheduleId = '${ids[2]}'`)).count), 1);
    assert.ok(Number((await count('')).count) >= 3);
    for (const [query, message] of [['GROUP BY ExecutionStatus', /GROUP BY is not supported when counting schedules/],
      ["WorkflowType = 'x'", /cannot filter on "WorkflowType"/]]) {
      const err = await rejection(count(query));
      assert.equal(err?.code ?? err?.cause?.code, 3, `count ${query}: ${err}`); // INVALID_ARGUMENT
      assert.match(String(err?.details ?? err?.message), message);
    }
  }, { args: ['--search-attribute', 'Team=Keyword'] });
});

// ---------------------------------------------------------------------------------------------
// Pause on failure: a run the schedule started fails; the schedule pauses itself with a note
// naming the run and its failure, and starts nothing more.

test('pause on failure: a failed run pauses the schedule with a note naming it; no run starts after', async (t) => {
  await withSchedules(t, async ({ client, taskQueue, create }) => {
    const scheduleId = wfId('pause-on-failure');
    const handle = await create({
      scheduleId,
      spec: { intervals: [{ every: '1s' }] },
      action: startAction(taskQueue, `${scheduleId}-run`, 'childFails', ['disk full']),
      policies: { pauseOnFailure: true },
    });
    const d = await describeUntil(client, handle, (x) => x.state.paused, 15_000, 'the schedule pauses itself');
    const failed = (await runsOf(client, scheduleId)).filter((w) => w.status.name === 'FAILED');
    assert.equal(failed.length, 1, 'one failed run');
    assert.equal(d.state.note, `paused due to workflow failure: ${failed[0].workflowId}: disk full`);
    const before = (await runsOf(client, scheduleId)).length;
    await sleep(2_500);
    assert.equal((await runsOf(client, scheduleId)).length, before, 'no run after the pause');
  });
});

// ---------------------------------------------------------------------------------------------
// Each scheduled run gets the previous run's result (workflowInfo().lastResult), as Temporal's
// scheduler passes it.

test('each scheduled run sees the previous one\'s result', async (t) => {
  await withSchedules(t, async ({ client, taskQueue, create }) => {
    const scheduleId = wfId('last-result');
    await create({
      scheduleId,
      spec: { intervals: [{ every: '1s' }] },
      action: startAction(taskQueue, `${scheduleId}-run`, 'scheduledCount'),
    });
    const done = await eventually(async () => {
      const runs = (await runsOf(client, scheduleId)).filter((w) => w.status.name === 'COMPLETED');
      return runs.length >= 3 && runs;
    }, 15_000, 'three completed runs');
    const results = [];
    for (const w of done.slice(0, 3)) results.push(await client.workflow.getHandle(w.workflowId).result());
    assert.deepEqual(results, [1, 2, 3]);
  });
});
