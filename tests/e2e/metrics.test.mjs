// Metrics: `/metrics` on --metrics-port (a free port by default, printed in the start-up banner)
// in the Prometheus text format. A scrape taken after real SDK traffic passes
// `promtool check metrics` (Debian's prometheus package), and its counters match the work
// done: RPCs by operation and status, workflows started and closed by type and status,
// schedule actions, group commits; gauges for task queues, connections and the store.
// Other paths answer 404 JSON.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { assertBinary } from './lib/server.mjs';
import { eventually, getBundle, result as resultOf, start, wfId, withEnv } from './lib/worker.mjs';

test.before(async () => {
  assertBinary();
  await getBundle();
});

function metricsUrl(server) {
  const m = /Temporal Metrics:\s+http:\/\/localhost:(\d+)\/metrics/.exec(server.output());
  assert.ok(m, `no metrics address in the banner:\n${server.output()}`);
  return `http://127.0.0.1:${m[1]}`;
}

async function scrape(server) {
  const res = await fetch(`${metricsUrl(server)}/metrics`, { signal: AbortSignal.timeout(5_000) });
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type'), /^text\/plain; version=0\.0\.4/);
  return res.text();
}

/** The value of one sample, by name and exact label set (as rendered), or undefined. */
function sample(text, name, labels = '') {
  const line = text.split('\n').find((l) => l.startsWith(labels ? `${name}{${labels}} ` : `${name} `));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

const promtool = (text) => new Promise((resolve) => {
  const child = execFile('promtool', ['check', 'metrics'], { timeout: 20_000 }, (err, stdout, stderr) =>
    resolve({ code: err ? err.code ?? 1 : 0, out: `${stdout}${stderr}` }));
  child.stdin.end(text);
});

test('a scrape after SDK traffic passes promtool and its counters match the work done', async (t) => {
  await withEnv(t, {}, async ({ server, client, taskQueue }) => {
    const base = await scrape(server);
    const n = 3;
    const handles = [];
    for (let i = 0; i < n; i++) handles.push(await start(client, 'sleeper', { taskQueue, workflowId: wfId(`metrics-${i}`), args: [1] }));
    for (const h of handles) await resultOf(h);
    const failing = await start(client, 'childFails', { taskQueue, workflowId: wfId('metrics-fail'), args: ['boom'] });
    await assert.rejects(resultOf(failing));
    const scheduleId = wfId('metrics-sched');
    const sched = await client.schedule.create({ scheduleId, spec: { intervals: [{ every: '1h' }] },
      action: { type: 'startWorkflow', workflowType: 'sleeper', taskQueue, workflowId: scheduleId, args: [1] } });
    await sched.trigger();
    await eventually(async () => (await sched.describe()).info.recentActions.length === 1, 10_000, 'the triggered action');
    await sched.delete();

    const text = await eventually(async () => {
      const s = await scrape(server);
      return sample(s, 'workflow_closed_total', 'workflow_type="sleeper",status="Completed"') >= n + 1 && s;
    }, 10_000, 'the closes counted');
    const check = await promtool(text);
    assert.equal(check.code, 0, `promtool check metrics:\n${check.out}\n${text}`);

    const starts = sample(text, 'service_requests_total', 'operation="StartWorkflowExecution",status="OK"') ?? 0;
    const before = sample(base, 'service_requests_total', 'operation="StartWorkflowExecution",status="OK"') ?? 0;
    assert.equal(starts - before, n + 1, 'one StartWorkflowExecution per workflow the client started');
    assert.ok(sample(text, 'service_requests_total', 'operation="CreateSchedule",status="OK"') === 1);
    assert.ok(sample(text, 'service_requests_total', 'operation="PollWorkflowTaskQueue",status="OK"') >= n);
    assert.equal(sample(text, 'service_latency_seconds_count', 'operation="StartWorkflowExecution"'), starts);
    assert.equal(sample(text, 'workflow_started_total', 'workflow_type="sleeper"'), n + 1);
    assert.equal(sample(text, 'workflow_closed_total', 'workflow_type="childFails",status="Failed"'), 1);
    assert.equal(sample(text, 'schedule_actions_total', 'result="started"'), 1);
    assert.ok(sample(text, 'persistence_commit_latency_seconds_count') > 0);
    assert.ok(sample(text, 'persistence_commit_batch_size_sum') >= sample(text, 'persistence_commit_batch_size_count'));
    assert.ok(sample(text, 'open_connections') >= 1, 'the SDK connections');
    assert.ok(sample(text, 'store_size_bytes') > 0);
    assert.ok(sample(text, 'task_queue_pollers', `namespace="default",task_queue="${taskQueue}",task_queue_type="workflow"`) >= 1,
      'the worker parks workflow polls');

    // Other paths and methods.
    const nf = await fetch(`${metricsUrl(server)}/nope`, { signal: AbortSignal.timeout(5_000) });
    assert.equal(nf.status, 404);
    assert.equal((await nf.json()).code, 5);
    const post = await fetch(`${metricsUrl(server)}/metrics`, { method: 'POST', body: 'x', signal: AbortSignal.timeout(5_000) });
    assert.equal(post.status, 405);
  });
});
