// Temporal's HTTP API: the google.api.http routes of the pinned protos on --http-port (the gRPC
// port + 10 by default, as Temporal's dev server; printed in the start-up banner), proto3 JSON in
// and out with JSON payloads in shorthand, errors as {"code", "message", "details"} with the HTTP
// status grpc-gateway gives each gRPC code. A workflow is started, signalled, queried,
// described, listed and terminated with fetch, and the SDK sees the same run.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertBinary } from './lib/server.mjs';
import { describe as describeRun, eventually, getBundle, wfId, withEnv } from './lib/worker.mjs';

test.before(async () => {
  assertBinary();
  await getBundle();
});

function apiBase(server) {
  const m = /Temporal HTTP API:\s+http:\/\/localhost:(\d+)\/api\/v1/.exec(server.output());
  assert.ok(m, `no HTTP API address in the banner:\n${server.output()}`);
  return `http://127.0.0.1:${m[1]}/api/v1`;
}

/** One API call: { status, body (parsed JSON) }. */
async function api(base, method, path, body) {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  assert.match(res.headers.get('content-type') ?? '', /^application\/json/, `${method} ${path}`);
  const text = await res.text();
  return { status: res.status, body: JSON.parse(text) };
}

test('start, signal, query, describe, list and terminate a workflow over HTTP; the SDK sees the same run', async (t) => {
  await withEnv(t, {}, async ({ server, client, taskQueue }) => {
    const base = apiBase(server);
    const ns = client.options.namespace;
    const id = wfId('http');

    const started = await api(base, 'POST', `/namespaces/${ns}/workflows/${id}`, {
      workflowType: { name: 'signalCollector' },
      taskQueue: { name: taskQueue },
      input: [60_000],
      requestId: `req-${id}`,
    });
    assert.equal(started.status, 200, JSON.stringify(started.body));
    assert.match(started.body.runId, /^[0-9a-f-]{36}$/);
    const handle = client.workflow.getHandle(id);
    assert.equal((await describeRun(handle)).runId, started.body.runId);

    const signalled = await api(base, 'POST', `/namespaces/${ns}/workflows/${id}/signal/add`, { input: ['from-http'] });
    assert.equal(signalled.status, 200, JSON.stringify(signalled.body));
    assert.deepEqual(signalled.body, {});

    const items = await eventually(async () => {
      const q = await api(base, 'POST', `/namespaces/${ns}/workflows/${id}/query/items`, { query: {} });
      assert.equal(q.status, 200, JSON.stringify(q.body));
      return q.body.queryResult?.[0]?.length === 1 && q.body.queryResult[0];
    }, 10_000, 'the signal seen by the query');
    assert.deepEqual(items, ['from-http']);
    assert.deepEqual(await handle.query('items'), ['from-http'], 'the SDK queries the same state');

    const described = await api(base, 'GET', `/namespaces/${ns}/workflows/${id}`);
    assert.equal(described.status, 200, JSON.stringify(described.body));
    const info = described.body.workflowExecutionInfo;
    assert.equal(info.execution.workflowId, id);
    assert.equal(info.execution.runId, started.body.runId);
    assert.equal(info.type.name, 'signalCollector');
    assert.equal(info.status, 'WORKFLOW_EXECUTION_STATUS_RUNNING');
    assert.equal(info.taskQueue, taskQueue);

    const listed = await api(base, 'GET', `/namespaces/${ns}/workflows?query=${encodeURIComponent(`WorkflowId = '${id}'`)}&pageSize=10`);
    assert.equal(listed.status, 200, JSON.stringify(listed.body));
    assert.equal(listed.body.executions.length, 1);
    assert.equal(listed.body.executions[0].execution.runId, started.body.runId);

    const terminated = await api(base, 'POST', `/namespaces/${ns}/workflows/${id}/terminate`, { reason: 'over http' });
    assert.equal(terminated.status, 200, JSON.stringify(terminated.body));
    const after = await describeRun(handle);
    assert.equal(after.status.name, 'TERMINATED');
    const history = await api(base, 'GET', `/namespaces/${ns}/workflows/${id}/history`);
    assert.equal(history.status, 200, JSON.stringify(history.body));
    const last = history.body.history.events.at(-1);
    assert.equal(last.eventType, 'EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED');
    assert.equal(last.workflowExecutionTerminatedEventAttributes.reason, 'over http');
    assert.deepEqual(history.body.history.events.find((e) => e.eventType === 'EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED')
      .workflowExecutionSignaledEventAttributes.input, ['from-http'], 'payloads in shorthand');
    const longhand = await api(base, 'GET', `/namespaces/${ns}/workflows/${id}/history?noPayloadShorthand=true`);
    const payload = longhand.body.history.events[0].workflowExecutionStartedEventAttributes.input.payloads[0];
    assert.equal(Buffer.from(payload.metadata.encoding, 'base64').toString(), 'json/plain');
    assert.equal(Buffer.from(payload.data, 'base64').toString(), '60000');
  });
});

test('a large reply (a history of 1.2 MB) is sent chunked and reads back whole, payloads intact', async (t) => {
  await withEnv(t, { worker: false }, async ({ server, client, taskQueue }) => {
    const base = apiBase(server);
    const ns = client.options.namespace;
    const id = wfId('http-big');
    const big = (c) => c.repeat(300_000);
    const started = await api(base, 'POST', `/namespaces/${ns}/workflows/${id}`, {
      workflowType: { name: 'signalCollector' }, taskQueue: { name: taskQueue }, input: [big('s')],
    });
    assert.equal(started.status, 200, JSON.stringify(started.body));
    for (const c of ['a', 'b', 'c']) {
      const sig = await api(base, 'POST', `/namespaces/${ns}/workflows/${id}/signal/add`, { input: [big(c)] });
      assert.equal(sig.status, 200, JSON.stringify(sig.body));
    }
    const res = await fetch(`${base}/namespaces/${ns}/workflows/${id}/history`, { signal: AbortSignal.timeout(10_000) });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('transfer-encoding'), 'chunked');
    assert.equal(res.headers.get('content-length'), null);
    const body = await res.json();
    const events = body.history.events;
    assert.deepEqual(events.map((e) => e.eventType), ['EVENT_TYPE_WORKFLOW_EXECUTION_STARTED', 'EVENT_TYPE_WORKFLOW_TASK_SCHEDULED',
      'EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED', 'EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED', 'EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED']);
    assert.equal(events[0].workflowExecutionStartedEventAttributes.input[0], big('s'));
    assert.deepEqual(events.slice(2).map((e) => e.workflowExecutionSignaledEventAttributes.input[0]), [big('a'), big('b'), big('c')]);
    // The SDK reads the same history over gRPC.
    const viaSdk = await client.workflow.getHandle(id).fetchHistory();
    assert.equal(viaSdk.events.length, events.length);
    // Small replies keep a Content-Length.
    const small = await fetch(`${base}/namespaces/${ns}/workflows/${id}`, { signal: AbortSignal.timeout(10_000) });
    assert.ok(Number(small.headers.get('content-length')) > 0);
    await small.text();
    await client.workflow.getHandle(id).terminate('done');
  });
});

test('errors: an unknown run is 404 with code 5, a second start 409, bad JSON 400 naming the problem, an unknown path 404', async (t) => {
  await withEnv(t, { worker: false }, async ({ server, client, taskQueue }) => {
    const base = apiBase(server);
    const ns = client.options.namespace;
    const missing = await api(base, 'GET', `/namespaces/${ns}/workflows/${wfId('nope')}`);
    assert.equal(missing.status, 404);
    assert.equal(missing.body.code, 5);
    assert.match(missing.body.message, /not found/i);

    const id = wfId('http-dup');
    const body = { workflowType: { name: 'sleeper' }, taskQueue: { name: taskQueue }, input: [1] };
    assert.equal((await api(base, 'POST', `/namespaces/${ns}/workflows/${id}`, body)).status, 200);
    const dup = await api(base, 'POST', `/namespaces/${ns}/workflows/${id}`, { ...body, requestId: 'another' });
    assert.equal(dup.status, 409, JSON.stringify(dup.body));
    assert.equal(dup.body.code, 6);
    assert.ok(dup.body.details.some((d) => /WorkflowExecutionAlreadyStartedFailure$/.test(d['@type'])), JSON.stringify(dup.body));

    const bad = await api(base, 'POST', `/namespaces/${ns}/workflows/${wfId('bad')}`, '{"workflowType": ');
    assert.equal(bad.status, 400);
    assert.equal(bad.body.code, 3);
    assert.ok(bad.body.message.length > 0);
    const wrongType = await api(base, 'POST', `/namespaces/${ns}/workflows/${wfId('bad')}`, { workflowType: 7 });
    assert.equal(wrongType.status, 400);
    assert.match(wrongType.body.message, /workflowType/);
    const unknownNs = await api(base, 'GET', `/namespaces/no-such-namespace/workflows`);
    assert.equal(unknownNs.status, 404);

    const nowhere = await api(base, 'GET', '/nowhere');
    assert.equal(nowhere.status, 404);
    assert.equal(nowhere.body.code, 5);
    const wrongVerb = await api(base, 'DELETE', `/namespaces/${ns}/workflows/${id}/terminate`);
    assert.equal(wrongVerb.status, 405);
    // An RPC Sandglass does not implement yet: 501 with gRPC's UNIMPLEMENTED message.
    const notYet = await api(base, 'GET', `/namespaces/${ns}/archived-workflows`);
    assert.equal(notYet.status, 501);
    assert.equal(notYet.body.code, 12);
    assert.match(notYet.body.message, /ListArchivedWorkflowExecutions is not implemented by Sandglass yet/);
  });
});

test('namespaces and cluster info over HTTP match what the SDK reads', async (t) => {
  await withEnv(t, { worker: false }, async ({ server, client }) => {
    const base = apiBase(server);
    const ns = client.options.namespace;
    const one = await api(base, 'GET', `/namespaces/${ns}`);
    assert.equal(one.status, 200, JSON.stringify(one.body));
    const viaSdk = await client.workflowService.describeNamespace({ namespace: ns });
    assert.equal(one.body.namespaceInfo.id, viaSdk.namespaceInfo.id);
    assert.equal(one.body.namespaceInfo.name, ns);
    const all = await api(base, 'GET', '/namespaces');
    assert.ok(all.body.namespaces.some((n) => n.namespaceInfo.name === ns));
    const sys = await api(base, 'GET', '/system-info');
    assert.equal(sys.status, 200, JSON.stringify(sys.body));
    assert.ok(sys.body.capabilities);
  });
});
