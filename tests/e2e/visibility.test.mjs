// Visibility (issue 11, first part) with the official TS SDK 1.24.0: client.workflow.list() and
// count() over system and custom search attributes, GROUP BY ExecutionStatus, paging across
// runs started concurrently, an upsert seen right after the workflow task that made it, the
// default order, and readable INVALID_ARGUMENT for bad queries.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertBinary } from './lib/server.mjs';
import { eventually, getBundle, result as resultOf, start, wfId, withEnv } from './lib/worker.mjs';

const ATTRS = ['--search-attribute', 'CustomerId=Keyword', '--search-attribute', 'Amount=Int',
  '--search-attribute', 'Score=Double', '--search-attribute', 'Vip=Bool',
  '--search-attribute', 'DueAt=Datetime', '--search-attribute', 'Tags=KeywordList',
  '--search-attribute', 'Stage=Keyword', '--search-attribute', 'Notes=Text'];

test.before(async () => {
  assertBinary();
  await getBundle();
});

async function ids(client, query, pageSize) {
  const out = [];
  for await (const w of client.workflow.list({ query, pageSize })) out.push(w.workflowId);
  return out;
}

async function listError(client, query) {
  try {
    for await (const _ of client.workflow.list({ query })) { /* drain */ }
  } catch (err) {
    return err.cause ?? err;
  }
  throw new Error(`query ${query} was accepted`);
}

test('list and count by system and custom attributes of every type; GROUP BY; bad queries', async (t) => {
  await withEnv(t, { args: ATTRS, worker: false }, async ({ client }) => {
    const tq = 'vis-q';
    const mk = (id, sa, type = 'typeA') => client.workflow.start(type, { taskQueue: tq, workflowId: id, searchAttributes: sa });
    await mk('a-1', { CustomerId: ['c-1'], Amount: [10], Score: [1.5], Vip: [true], DueAt: [new Date('2026-01-01T00:00:00Z')], Tags: ['red', 'blue'] });
    await mk('a-2', { CustomerId: ['c-2'], Amount: [20], Score: [2.5], Vip: [false], DueAt: [new Date('2026-06-01T00:00:00Z')], Tags: ['blue'] });
    await mk('b-3', { CustomerId: ['c-3'], Amount: [30], Notes: ['Urgent invoice for ACME, net-30'] }, 'typeB');
    await client.workflow.getHandle('a-2').terminate('done');

    const q = (query) => ids(client, query);
    assert.deepEqual((await q("WorkflowType = 'typeA'")).sort(), ['a-1', 'a-2']);
    assert.deepEqual(await q("ExecutionStatus = 'Terminated'"), ['a-2']);
    assert.deepEqual((await q("ExecutionStatus != 'Terminated'")).sort(), ['a-1', 'b-3']);
    assert.deepEqual(await q("CustomerId = 'c-1'"), ['a-1']);
    assert.deepEqual((await q("CustomerId IN ('c-1', 'c-3')")).sort(), ['a-1', 'b-3']);
    assert.deepEqual((await q("CustomerId NOT IN ('c-1', 'c-3')")), ['a-2']);
    assert.deepEqual((await q('Amount >= 20')).sort(), ['a-2', 'b-3']);
    assert.deepEqual((await q('Amount BETWEEN 15 AND 25')), ['a-2']);
    assert.deepEqual((await q('Score < 2')), ['a-1']);
    assert.deepEqual((await q('Vip = true')), ['a-1']);
    assert.deepEqual((await q('Vip > false')), ['a-1']); // Temporal compares Bools (false < true)
    assert.deepEqual((await q("DueAt > '2026-03-01T00:00:00Z'")), ['a-2']);
    assert.deepEqual((await q("Tags = 'blue'")).sort(), ['a-1', 'a-2']);
    assert.deepEqual((await q("WorkflowId STARTS_WITH 'a-'")).sort(), ['a-1', 'a-2']);
    assert.deepEqual((await q('Score IS NULL')), ['b-3']);
    assert.deepEqual((await q("(WorkflowType = 'typeB' OR Vip = true) AND NOT Amount > 20")), ['a-1']);
    assert.deepEqual((await q('`Amount` = 10')), ['a-1']);
    // Conjunctions of custom attributes (the rarest value drives, the others are probed).
    assert.deepEqual((await q("Amount >= 10 AND Tags = 'blue' AND Vip = false")), ['a-2']);
    assert.deepEqual((await q("Tags = 'red' AND Tags = 'blue'")), ['a-1']);
    // Text matches words, in any case: = any word of the literal, != none of them (as
    // Temporal's Elasticsearch match query and its SQLite FTS query).
    assert.deepEqual(await q("Notes = 'invoice'"), ['b-3']);
    assert.deepEqual(await q("Notes = 'acme URGENT'"), ['b-3']);
    assert.deepEqual(await q("Notes = 'refund invoice'"), ['b-3']);
    assert.deepEqual(await q("Notes = 'refund'"), []);
    assert.deepEqual((await q("Notes != 'refund'")).sort(), ['a-1', 'a-2', 'b-3']);
    assert.deepEqual((await q("Notes != 'refund invoice'")).sort(), ['a-1', 'a-2']);
    // ExecutionDuration in Temporal's forms: Go durations with days, HH:MM:SS, nanoseconds.
    assert.deepEqual(await q("ExecutionDuration < '1d'"), ['a-2']);
    assert.deepEqual(await q("ExecutionDuration < '01:00:00'"), ['a-2']);
    assert.deepEqual((await q("CloseTime IS NOT NULL")), ['a-2']);
    // History counts are recorded at a close (Temporal): running runs have none.
    assert.deepEqual(await q('HistoryLength > 0'), ['a-2']);
    assert.deepEqual((await q('HistorySizeBytes IS NULL')).sort(), ['a-1', 'b-3']);
    assert.deepEqual(await q('NOT StateTransitionCount > 0'), []);
    // ExecutionStatus as the enum's number or name, as Temporal takes it.
    assert.deepEqual(await q('ExecutionStatus = 5'), ['a-2']);
    assert.deepEqual(await q("ExecutionStatus = 'WORKFLOW_EXECUTION_STATUS_TERMINATED'"), ['a-2']);
    // Every predefined attribute Temporal lists can be queried.
    assert.deepEqual(await q("TemporalReportedProblems = 'x' OR TemporalSchedulePaused = true OR BatcherNamespace = 'n'"), []);
    assert.deepEqual(await q('TemporalExternalPayloadCount > 0'), []);
    assert.deepEqual((await q("CustomerId NOT STARTS_WITH 'c-1'")).sort(), ['a-2', 'b-3']);
    // Default order: running first, newest start first.
    assert.deepEqual(await q(''), ['b-3', 'a-1', 'a-2']);
    // ScanWorkflowExecutions answers the same runs, paged.
    const scanned = [];
    let token;
    do {
      const page = await client.workflowService.scanWorkflowExecutions({ namespace: 'default', pageSize: 2, query: "WorkflowType = 'typeA' OR WorkflowType = 'typeB'", nextPageToken: token });
      scanned.push(...page.executions.map((e) => e.execution.workflowId));
      token = page.nextPageToken?.length ? page.nextPageToken : undefined;
    } while (token);
    assert.deepEqual(scanned.sort(), ['a-1', 'a-2', 'b-3']);
    // ORDER BY a system attribute, across pages of one (the token carries the sort key).
    const paged = (query) => ids(client, query, 1);
    assert.deepEqual(await paged('ORDER BY WorkflowId DESC'), ['b-3', 'a-2', 'a-1']);
    const byStart = [];
    for await (const w of client.workflow.list({ query: 'ORDER BY StartTime', pageSize: 1 })) byStart.push(w);
    assert.deepEqual(byStart.map((w) => w.workflowId).sort(), ['a-1', 'a-2', 'b-3']);
    for (let i = 1; i < byStart.length; i++) assert.ok(byStart[i - 1].startTime <= byStart[i].startTime);
    const byClose = await paged('ORDER BY CloseTime'); // running runs have no close time yet: last
    assert.equal(byClose[0], 'a-2');
    assert.deepEqual(byClose.slice(1).sort(), ['a-1', 'b-3']);

    assert.equal((await client.workflow.count()).count, 3);
    assert.equal((await client.workflow.count("WorkflowType = 'typeA'")).count, 2);
    const grouped = await client.workflow.count('GROUP BY ExecutionStatus');
    const byStatus = Object.fromEntries(grouped.groups.map((g) => [g.groupValues[0][0], g.count]));
    assert.deepEqual(byStatus, { Running: 2, Terminated: 1 });

    // The legacy list RPCs and their filters.
    const svc = client.workflowService;
    const open = await svc.listOpenWorkflowExecutions({ namespace: 'default', maximumPageSize: 10, typeFilter: { name: 'typeA' } });
    assert.deepEqual(open.executions.map((e) => e.execution.workflowId), ['a-1']);
    const closed = await svc.listClosedWorkflowExecutions({ namespace: 'default', maximumPageSize: 10, statusFilter: { status: 5 } });
    assert.deepEqual(closed.executions.map((e) => e.execution.workflowId), ['a-2']);
    const byId = await svc.listOpenWorkflowExecutions({ namespace: 'default', maximumPageSize: 10, executionFilter: { workflowId: 'b-3' } });
    assert.deepEqual(byId.executions.map((e) => e.execution.workflowId), ['b-3']);
    const none = await svc.listClosedWorkflowExecutions({
      namespace: 'default', maximumPageSize: 10,
      startTimeFilter: { earliestTime: { seconds: 0 }, latestTime: { seconds: 1 } },
    });
    assert.equal(none.executions.length, 0);
    // Temporal's refusals of the legacy filters.
    for (const [call, pattern] of [
      [() => svc.listOpenWorkflowExecutions({ namespace: 'default', startTimeFilter: { earliestTime: { seconds: 2 }, latestTime: { seconds: 1 } } }),
        /EarliestTime in StartTimeFilter should not be larger than LatestTime/],
      [() => svc.listClosedWorkflowExecutions({ namespace: 'default', statusFilter: { status: 1 } }),
        /StatusFilter must be specified and must be not Running/],
      [() => svc.listClosedWorkflowExecutions({ namespace: 'default', statusFilter: {} }),
        /StatusFilter must be specified and must be not Running/],
    ]) {
      const err = await call().then(() => null, (e) => e);
      assert.equal(err?.code, 3, `INVALID_ARGUMENT, got ${err?.code} ${err?.message}`);
      assert.match(err.details ?? err.message, pattern);
    }

    // Search attributes at a start are checked as Temporal checks them.
    for (const [sa, pattern] of [
      [{ Nope: ['x'] }, /search attribute Nope is not defined/],
      [{ WorkflowId: ['w'] }, /WorkflowId attribute can't be set in SearchAttributes/],
      [{ TemporalWorkerDeployment: ['d'] }, /TemporalWorkerDeployment attribute can't be set/],
      [{ CustomerId: ['x'.repeat(3000)] }, /search attribute CustomerId value size 3004 exceeds size limit 2048/],
      [Object.fromEntries(Array.from({ length: 101 }, (_, i) => [`N${i}`, ['x']])), /number of search attributes 101 exceeds limit 100/],
      [{ Amount: ['ten'] }, /invalid value for search attribute Amount of type Int/],
      [{ DueAt: ['tomorrow'] }, /invalid value for search attribute DueAt of type Datetime/],
    ]) {
      const failure = await mk(`bad-${Object.keys(sa)[0]}`, sa).then(() => null, (e) => e);
      assert.ok(failure, `start with ${JSON.stringify(sa)} must fail`);
      const err = failure.cause ?? failure;
      assert.equal(err.code, 3, `INVALID_ARGUMENT, got ${err.code} ${err.message}`);
      assert.match(err.message, pattern);
    }

    // A deleted run leaves visibility with its rows.
    await client.workflowService.deleteWorkflowExecution({ namespace: 'default', workflowExecution: { workflowId: 'b-3' } });
    await eventually(async () => !(await q('')).includes('b-3'), 5_000, 'b-3 gone from the list');
    assert.deepEqual(await q("CustomerId = 'c-3'"), []);

    // GetSearchAttributes: the system attributes and the namespace's custom ones, typed.
    const T = { INDEXED_VALUE_TYPE_TEXT: 1, INDEXED_VALUE_TYPE_KEYWORD: 2, INDEXED_VALUE_TYPE_DOUBLE: 4,
      INDEXED_VALUE_TYPE_DATETIME: 6, INDEXED_VALUE_TYPE_KEYWORD_LIST: 7 }; // enums/v1/common.proto
    const keys = async () => (await client.workflowService.getSearchAttributes({})).keys;
    const before = await keys();
    assert.equal(before.WorkflowId, T.INDEXED_VALUE_TYPE_KEYWORD);
    assert.equal(before.StartTime, T.INDEXED_VALUE_TYPE_DATETIME);
    assert.equal(before.CustomerId, T.INDEXED_VALUE_TYPE_KEYWORD);
    assert.equal(before.Score, T.INDEXED_VALUE_TYPE_DOUBLE);
    assert.equal(before.Tags, T.INDEXED_VALUE_TYPE_KEYWORD_LIST);
    assert.equal(before.Notes, T.INDEXED_VALUE_TYPE_TEXT);

    // An attribute removed from the namespace can no longer be queried.
    await client.connection.operatorService.removeSearchAttributes({ namespace: 'default', searchAttributes: ['Score'] });
    assert.equal((await keys()).Score, undefined);
    assert.match((await listError(client, 'Score > 1')).message, /unknown search attribute 'Score'/);

    for (const [query, pattern] of [
      ['Foo = 1', /unknown search attribute 'Foo' at position 1/],
      ['Amount = \'x\'', /Amount \(Int\) takes an integer at position 10/],
      ["CustomerId = 'c-1' AND", /expected a search attribute name at position 23/],
      ["ExecutionStatus = 'Sleeping'", /unknown ExecutionStatus 'Sleeping'/],
      ["Tags > 'x'", /Tags supports only = and !=/],
      ['Vip BETWEEN false AND true', /BETWEEN does not apply to Vip/],
      ['ORDER BY Amount', /ORDER BY Amount is not supported/],
      // Hostile nesting is refused where it starts (it used to overflow the parser's stack).
      [`${'('.repeat(50000)}Amount = 1${')'.repeat(50000)}`, /nests parentheses and NOT more than 20 deep at position 21/],
      [`${'NOT '.repeat(21)}Amount = 1`, /more than 20 deep at position 81/],
      [Array.from({ length: 501 }, (_, i) => `WorkflowId = 'w${i}'`).join(' OR '), /more than 500 conditions/],
    ]) {
      const err = await listError(client, query);
      assert.equal(err.code, 3, `${query}: INVALID_ARGUMENT, got ${err.code} ${err.message}`);
      assert.match(err.message, pattern);
    }
    // A long chain is fine: 300 ids ORed, 200 conditions ANDed.
    const orIds = Array.from({ length: 300 }, (_, i) => `WorkflowId = 'no-such-${i}'`).join(' OR ');
    assert.equal((await client.workflow.count(orIds)).count, 0);
    const ands = Array.from({ length: 200 }, (_, i) => `Amount != ${i + 1000}`).join(' AND ');
    assert.ok((await client.workflow.count(ands)).count > 0);
  });
});

test('paging across runs started concurrently: each run once; an upsert is seen after its task', async (t) => {
  await withEnv(t, { args: ATTRS }, async ({ client, taskQueue }) => {
    const n = 120;
    const early = [];
    for (let i = 0; i < n; i++) early.push(client.workflow.start('nope', { taskQueue: 'idle-q', workflowId: `p-${i}` }));
    await Promise.all(early);
    // Page through while more runs start: every run that existed before is seen exactly once.
    const seen = [];
    const late = [];
    let k = 0;
    for await (const w of client.workflow.list({ query: "WorkflowType = 'nope'", pageSize: 25 })) {
      seen.push(w.workflowId);
      if (k++ % 25 === 0) late.push(client.workflow.start('nope', { taskQueue: 'idle-q', workflowId: `late-${k}` }));
    }
    await Promise.all(late);
    const early_seen = seen.filter((id) => id.startsWith('p-'));
    assert.equal(new Set(seen).size, seen.length, 'no run twice');
    assert.equal(early_seen.length, n, 'no run that existed before the first page is skipped');

    const h = await start(client, 'stages', { taskQueue, workflowId: wfId('stages'), args: [['one', 'two']] });
    await eventually(async () => (await ids(client, "Stage = 'two'")).includes(h.workflowId), 10_000, 'the upsert is visible');
    assert.deepEqual(await ids(client, "Stage = 'one'"), []);
    await h.signal('done');
    await resultOf(h);
    assert.deepEqual(await ids(client, `WorkflowId = '${h.workflowId}' AND ExecutionStatus = 'Completed'`), [h.workflowId]);
    const described = (await client.workflow.list({ query: `WorkflowId = '${h.workflowId}'` })[Symbol.asyncIterator]().next()).value;
    assert.equal(described.historyLength > 0, true);
    assert.deepEqual(described.searchAttributes.Stage, ['two']);
  });
});
