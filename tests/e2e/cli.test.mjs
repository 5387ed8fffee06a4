// The `sandglass workflow …` CLI (issue 12, first part) against the server, checked against
// what the official TS SDK 1.24.0 sees: seed 002's runbook commands with `temporal` replaced by
// `sandglass` — list (text and JSON, by query), count, describe, show (text and JSON), cancel
// and terminate; start, execute, result, signal, query and delete — and one-line errors with
// non-zero exits for bad input.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, ScheduleNotFoundError } from '@temporalio/client';
import { assertBinary, SANDGLASS_BIN } from './lib/server.mjs';
import { eventually, getBundle, result as resultOf, start, wfId, withEnv, eventTypes, fetchHistory } from './lib/worker.mjs';

test.before(async () => {
  assertBinary();
  await getBundle();
});

/** Runs the CLI; resolves {code, stdout, stderr} (never rejects on a non-zero exit). */
function cli(args, env = {}) {
  return new Promise((resolve) => {
    execFile(SANDGLASS_BIN, args, { timeout: 20_000, env: { ...process.env, TEMPORAL_ADDRESS: '', ...env } },
      (err, stdout, stderr) => resolve({ code: err ? (err.code ?? 1) : 0, stdout, stderr }));
  });
}

test('runbook: list, count, describe and show in text and JSON agree with the SDK; cancel and terminate', async (t) => {
  await withEnv(t, {}, async ({ server, client, taskQueue }) => {
    const A = ['--address', server.address];
    const done = wfId('cli-done');
    await resultOf(await start(client, 'sleeper', { taskQueue, workflowId: done, args: [1] }));
    const waiting = wfId('cli-wait');
    await start(client, 'signalCollector', { taskQueue, workflowId: waiting, args: [60_000] });
    const doomed = wfId('cli-term');
    await start(client, 'signalCollector', { taskQueue, workflowId: doomed, args: [60_000] });

    // workflow list --namespace N --address A (text table, header first).
    let r = await cli(['workflow', 'list', '--namespace', 'default', ...A]);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trimEnd().split('\n');
    assert.match(lines[0], /^\s+Status\s+WorkflowId\s+Type\s+StartTime$/);
    assert.ok(lines.some((l) => l.includes(done) && /\bCompleted\b/.test(l) && l.includes('sleeper')));
    assert.ok(lines.some((l) => l.includes(waiting) && /\bRunning\b/.test(l)));

    // workflow list --query "ExecutionStatus = 'Running'" -o json | jq -r '.[].execution.workflowId'
    r = await cli(['workflow', 'list', '--query', "ExecutionStatus = 'Running'", '-o', 'json', ...A]);
    assert.equal(r.code, 0, r.stderr);
    const running = JSON.parse(r.stdout);
    assert.deepEqual(running.map((w) => w.execution.workflowId).sort(), [doomed, waiting].sort());
    const sdkRunning = [];
    for await (const w of client.workflow.list({ query: "ExecutionStatus = 'Running'" })) sdkRunning.push(w.workflowId);
    assert.deepEqual(running.map((w) => w.execution.workflowId).sort(), sdkRunning.sort());
    assert.equal(running[0].status, 'WORKFLOW_EXECUTION_STATUS_RUNNING');
    assert.match(running[0].startTime, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
    // A list shows history length once a run has closed (Temporal's visibility); protojson omits
    // the zero, and prints an int64 as a string.
    assert.equal(running[0].historyLength, undefined);

    // -o jsonl: one object per line; --limit.
    r = await cli(['workflow', 'list', '-o', 'jsonl', '--limit', '2', ...A]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim().split('\n').map((l) => JSON.parse(l)).length, 2);

    // count, also grouped.
    r = await cli(['workflow', 'count', ...A]);
    assert.equal(r.stdout.trim(), 'Total: 3');
    r = await cli(['workflow', 'count', '-q', 'GROUP BY ExecutionStatus', '-o', 'json', ...A]);
    const counted = JSON.parse(r.stdout);
    assert.equal(counted.count, '3');
    assert.deepEqual(Object.fromEntries(counted.groups.map((g) => [g.groupValues[0], g.count])), { Running: '2', Completed: '1' });

    // describe: text and JSON, against the SDK's describe.
    const desc = await client.workflow.getHandle(done).describe();
    r = await cli(['workflow', 'list', '--query', `WorkflowId = '${done}'`, '-o', 'json', ...A]);
    assert.equal(JSON.parse(r.stdout)[0].historyLength, String(desc.historyLength)); // closed: listed
    r = await cli(['workflow', 'describe', '--workflow-id', done, ...A]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`RunId\\s+${desc.runId}`));
    assert.match(r.stdout, /Status\s+Completed/);
    assert.match(r.stdout, /Results:\n\s+Status\s+Completed\n\s+Result\s+\{"slept":1,/);
    r = await cli(['workflow', 'describe', '-w', done, '--raw', ...A]);
    assert.equal(JSON.parse(r.stdout).workflowExecutionInfo.execution.runId, desc.runId);
    r = await cli(['workflow', 'describe', '-w', done, '-o', 'json', ...A]);
    const dj = JSON.parse(r.stdout);
    assert.equal(dj.workflowExecutionInfo.execution.runId, desc.runId);
    assert.equal(dj.workflowExecutionInfo.historyLength, String(desc.historyLength));

    // show --workflow-id W (text) and --output json, against the SDK's history.
    const hist = await fetchHistory(client.workflow.getHandle(done));
    r = await cli(['workflow', 'show', '--workflow-id', done, ...A]);
    assert.equal(r.code, 0, r.stderr);
    const rows = r.stdout.split('\n').filter((l) => /^\s+\d+\s/.test(l));
    assert.equal(rows.length, hist.events.length);
    assert.match(rows[0], /WorkflowExecutionStarted$/);
    assert.match(rows.at(-1), /WorkflowExecutionCompleted$/);
    assert.match(r.stdout, /Results:\n\s+Status\s+Completed\n\s+Result\s+\{"slept":1,/);
    // --detailed: every attribute as a path and its value.
    r = await cli(['workflow', 'show', '-w', done, '--detailed', ...A]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^--------------- \[1\] WorkflowExecutionStarted ---------------$/m);
    assert.match(r.stdout, /^workflowExecutionStartedEventAttributes\.workflowType\.name: "sleeper"$/m);
    assert.match(r.stdout, /^workflowExecutionStartedEventAttributes\.input: \[1\]$/m);
    r = await cli(['workflow', 'show', '--workflow-id', done, '--output', 'json', ...A]);
    const hj = JSON.parse(r.stdout);
    assert.deepEqual(hj.events.map((e) => e.eventId), hist.events.map((e) => String(e.eventId)));
    assert.equal(hj.events[0].eventType, 'EVENT_TYPE_WORKFLOW_EXECUTION_STARTED');
    // Payloads stay as stored (metadata and data in base64), so a replayer can read the file.
    const input = hj.events[0].workflowExecutionStartedEventAttributes.input.payloads[0];
    assert.equal(Buffer.from(input.metadata.encoding, 'base64').toString(), 'json/plain');
    assert.equal(JSON.parse(Buffer.from(input.data, 'base64').toString()), 1);
    assert.equal(eventTypes(hist).length, hj.events.length);

    // cancel and terminate by workflow id; the SDK sees the outcome.
    r = await cli(['workflow', 'cancel', '--workflow-id', waiting, ...A]);
    assert.equal(r.code, 0, r.stderr);
    await assert.rejects(resultOf(client.workflow.getHandle(waiting)), /cancel/i);
    r = await cli(['workflow', 'terminate', '--workflow-id', doomed, '--reason', 'runbook', ...A]);
    assert.equal(r.code, 0, r.stderr);
    const td = await client.workflow.getHandle(doomed).describe();
    assert.equal(td.status.name, 'TERMINATED');
  });
});

test('start, signal, query, result, execute and delete, checked with the SDK', async (t) => {
  await withEnv(t, {}, async ({ server, client, taskQueue }) => {
    const A = ['--address', server.address];
    const id = wfId('cli-collect');
    let r = await cli(['workflow', 'start', '--type', 'signalCollector', '--task-queue', taskQueue, '-w', id, '--input', '60000', ...A]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`WorkflowId\\s+${id}`));
    const { runId } = await client.workflow.getHandle(id).describe();
    assert.match(r.stdout, new RegExp(`RunId\\s+${runId}`));

    r = await cli(['workflow', 'signal', '-w', id, '--name', 'add', '--input', '"from the shell"', ...A]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), 'Signal workflow succeeded');
    r = await cli(['workflow', 'query', '-w', id, '--name', 'items', '-o', 'json', ...A]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout).queryResult, [['from the shell']]);
    assert.deepEqual(await client.workflow.getHandle(id).query('items'), ['from the shell']);

    r = await cli(['workflow', 'signal', '-w', id, '--name', 'done', ...A]);
    assert.equal(r.code, 0, r.stderr);
    r = await cli(['workflow', 'result', '-w', id, ...A]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Status\s+Completed/);
    const result = JSON.parse(r.stdout.match(/Result\s+(.*)$/m)[1]);
    assert.deepEqual(result, await resultOf(client.workflow.getHandle(id)));

    // execute = start + result; the JSON form is the close event, result in shorthand.
    const ex = wfId('cli-exec');
    r = await cli(['workflow', 'execute', '--type', 'sleeper', '-t', taskQueue, '-w', ex, '-i', '5', '-o', 'json', ...A]);
    assert.equal(r.code, 0, r.stderr);
    const closeEvent = JSON.parse(r.stdout);
    assert.equal(closeEvent.eventType, 'EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED');
    assert.equal(closeEvent.workflowExecutionCompletedEventAttributes.result[0].slept, 5);

    // delete: gone for the SDK too.
    r = await cli(['workflow', 'delete', '-w', ex, ...A]);
    assert.equal(r.code, 0, r.stderr);
    await assert.rejects(client.workflow.getHandle(ex).describe(), /not found/i);

    // --memo and --search-attribute on start: the memo is described, the attribute queried.
    r = await cli(['operator', 'search-attribute', 'create', '--name', 'CustomerId', '--type', 'Keyword', ...A]);
    assert.equal(r.code, 0, r.stderr);
    const tagged = wfId('cli-tagged');
    r = await cli(['workflow', 'start', '--type', 'signalCollector', '-t', taskQueue, '-w', tagged, '-i', '60000',
      '--memo', 'owner={"team":"billing"}', '--search-attribute', 'CustomerId="c-9"', ...A]);
    assert.equal(r.code, 0, r.stderr);
    const td = await client.workflow.getHandle(tagged).describe();
    assert.deepEqual(td.memo, { owner: { team: 'billing' } });
    r = await cli(['workflow', 'list', '-q', "CustomerId = 'c-9'", '-o', 'jsonl', ...A]);
    assert.equal(JSON.parse(r.stdout.trim()).execution.workflowId, tagged);
    r = await cli(['workflow', 'start', '--type', 'x', '-t', taskQueue, '--memo', 'novalue', ...A]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /--memo 'novalue': expected KEY=VALUE/);

    // signal-with-start, stack, reset and task-queue describe.
    const sws = wfId('cli-sws');
    r = await cli(['workflow', 'signal-with-start', '--type', 'signalCollector', '-t', taskQueue, '-w', sws, '-i', '60000',
      '--signal-name', 'add', '--signal-input', '"first"', ...A]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(await client.workflow.getHandle(sws).query('items'), ['first']);
    r = await cli(['workflow', 'stack', '-w', sws, ...A]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /signalCollector/);
    r = await cli(['task-queue', 'describe', '-t', taskQueue, ...A]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^\s+workflow\s+\S+/m);
    assert.match(r.stdout, /^\s+activity\s+\S+/m);
    const before = (await client.workflow.getHandle(id).describe()).runId;
    r = await cli(['workflow', 'reset', '-w', id, '--type', 'FirstWorkflowTask', '--reason', 'replay it', '-o', 'json', ...A]);
    assert.equal(r.code, 0, r.stderr);
    const newRun = JSON.parse(r.stdout).runId;
    assert.notEqual(newRun, before);
    assert.equal((await client.workflow.getHandle(id).describe()).runId, newRun);
    r = await cli(['workflow', 'reset', '-w', id, '--reason', 'x', ...A]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /give either --event-id or --type/);

    // Updates: execute (result), a validator's rejection (exit 1), start then result.
    const cnt = wfId('cli-upd');
    await start(client, 'counter', { taskQueue, workflowId: cnt });
    r = await cli(['workflow', 'update', 'execute', '-w', cnt, '--name', 'increment', '-i', '5', ...A]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), 'Update result:\n  5');
    r = await cli(['workflow', 'update', 'execute', '-w', cnt, '--name', 'increment', '-i', '-1', ...A]);
    assert.equal(r.code, 1);
    assert.match(r.stderr.trim(), /^sandglass: update \S+ failed: negative increments are not allowed$/);
    r = await cli(['workflow', 'update', 'start', '-w', cnt, '--name', 'increment', '-i', '2', '--update-id', 'u-2', ...A]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /UpdateId\s+u-2/);
    r = await cli(['workflow', 'update', 'result', '-w', cnt, '--update-id', 'u-2', '-o', 'json', ...A]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout).outcome.success, [7]);
    r = await cli(['workflow', 'update', 'describe', '-w', cnt, '--update-id', 'u-2', ...A]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /UpdateId\s+u-2\n\s+Stage\s+Completed\n\s+Result\s+7/);
    r = await cli(['workflow', 'update', 'describe', '-w', cnt, '--update-id', 'u-2', '-o', 'json', ...A]);
    assert.equal(JSON.parse(r.stdout).stage, 'UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_COMPLETED');

    // An activity completed by hand, by its ids: the workflow gets that result.
    const act = wfId('cli-act');
    const ah = await start(client, 'sequence', { taskQueue, workflowId: act, args: [[{ name: 'sleepFor', args: [30_000] }], { startToCloseTimeout: '1 minute' }] });
    await eventually(async () => (await client.workflowService.describeWorkflowExecution({ namespace: 'default', execution: { workflowId: act } })).pendingActivities.length === 1, 10_000, 'activity scheduled');
    r = await cli(['activity', 'complete', '-w', act, '--activity-id', '1', '--result', '"by hand"', ...A]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(await resultOf(ah), ['by hand']);

    // trace: a parent and its child as a tree.
    const parent = wfId('cli-parent'), child = wfId('cli-child');
    await resultOf(await start(client, 'parentEcho', { taskQueue, workflowId: parent, args: [child, 'x'] }));
    r = await cli(['workflow', 'trace', '-w', parent, ...A]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`^\\s+╪ Completed\\s+parentEcho\\s+${parent}\\s`, 'm'));
    assert.match(r.stdout, new RegExp(`^\\s+└─ Completed\\s+childEcho\\s+${child}\\s`, 'm'));
    r = await cli(['workflow', 'trace', '-w', parent, '-o', 'json', ...A]);
    const tree = JSON.parse(r.stdout);
    assert.equal(tree.workflow.execution.workflowId, parent);
    assert.deepEqual(tree.children.map((n) => n.workflow.execution.workflowId), [child]);
    r = await cli(['workflow', 'trace', '-w', parent, '--depth', '0', '-o', 'json', ...A]);
    assert.deepEqual(JSON.parse(r.stdout).children, []);

    // describe --reset-points: the first task the worker completed.
    r = await cli(['workflow', 'describe', '-w', parent, '--reset-points', '-o', 'json', ...A]);
    assert.equal(r.code, 0, r.stderr);
    const points = JSON.parse(r.stdout).points;
    assert.ok(points.length >= 1);
    r = await cli(['workflow', 'describe', '-w', parent, '--reset-points', ...A]);
    assert.match(r.stdout, /BuildId\s+RunId\s+EventId\s+CreateTime\s+Resettable/);
    assert.match(r.stdout, new RegExp(`${points[0].runId}\\s+${points[0].firstWorkflowTaskCompletedId}\\s`));

    // A failed run: result and execute exit 1 with one line naming it.
    const failing = wfId('cli-fail');
    r = await cli(['workflow', 'execute', '--type', 'childFails', '-t', taskQueue, '-w', failing, '-i', '"boom"', ...A]);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /Status\s+Failed/);
    assert.match(r.stdout, /Failure\s+boom/);
    assert.match(r.stderr.trim(), new RegExp(`^sandglass: workflow Failed: ${failing}$`));
    r = await cli(['workflow', 'start', '--type', 'sleeper', '-t', taskQueue, '--input', '{oops', ...A]);
    assert.equal(r.code, 1);
    assert.match(r.stderr.trim(), /^sandglass: --input '\{oops' is not JSON$/);
  });
});

test('operator: namespaces, search attributes and the cluster, checked with the SDK', async (t) => {
  await withEnv(t, { worker: false }, async ({ server, client }) => {
    const A = ['--address', server.address];
    let r = await cli(['operator', 'cluster', 'health', ...A]);
    assert.equal(r.stdout.trim(), 'SERVING');
    r = await cli(['operator', 'cluster', 'system', '-o', 'json', ...A]);
    assert.equal(JSON.parse(r.stdout).serverVersion, (await client.workflowService.getSystemInfo({})).serverVersion);

    r = await cli(['operator', 'namespace', 'create', '-n', 'orders', '--description', 'order flows', '--retention', '48h', ...A]);
    assert.equal(r.code, 0, r.stderr);
    const ns = await client.workflowService.describeNamespace({ namespace: 'orders' });
    assert.equal(ns.namespaceInfo.description, 'order flows');
    assert.equal(Number(ns.config.workflowExecutionRetentionTtl.seconds), 48 * 3600);
    r = await cli(['operator', 'namespace', 'list', ...A]);
    assert.match(r.stdout, /^\s+orders\s+\S+\s+Registered\s+48h\s+order flows$/m);
    r = await cli(['operator', 'namespace', 'describe', '-n', 'orders', '-o', 'json', ...A]);
    assert.equal(JSON.parse(r.stdout).namespaceInfo.state, 'NAMESPACE_STATE_REGISTERED');
    r = await cli(['operator', 'namespace', 'update', '-n', 'orders', '--description', 'renamed', ...A]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal((await client.workflowService.describeNamespace({ namespace: 'orders' })).namespaceInfo.description, 'renamed');

    r = await cli(['operator', 'search-attribute', 'create', '-n', 'orders', '--name', 'CustomerId', '--type', 'Keyword', '--name', 'Amount', '--type', 'Int', ...A]);
    assert.equal(r.code, 0, r.stderr);
    const sas = await client.connection.operatorService.listSearchAttributes({ namespace: 'orders' });
    assert.deepEqual(Object.keys(sas.customAttributes).sort(), ['Amount', 'CustomerId']);
    r = await cli(['operator', 'search-attribute', 'list', '-n', 'orders', ...A]);
    assert.match(r.stdout, /^\s+CustomerId\s+Keyword$/m);
    r = await cli(['workflow', 'count', '-n', 'orders', '-q', 'Amount > 3', ...A]);
    assert.equal(r.stdout.trim(), 'Total: 0');
    r = await cli(['operator', 'search-attribute', 'remove', '-n', 'orders', '--name', 'Amount', '--yes', ...A]);
    assert.equal(r.code, 0, r.stderr);
    r = await cli(['operator', 'search-attribute', 'list', '-n', 'orders', '-o', 'json', ...A]);
    assert.deepEqual(Object.keys(JSON.parse(r.stdout).customAttributes), ['CustomerId']);

    r = await cli(['operator', 'namespace', 'describe', '-n', 'nope', ...A]);
    assert.equal(r.code, 1);
    assert.equal(r.stderr.trim(), 'sandglass: namespace not found: nope');
    r = await cli(['operator', 'search-attribute', 'create', '--name', 'X', '--type', 'Float', ...A]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /invalid --type 'Float'/);

    // Delete: the name typed back confirms; the namespace is renamed and marked deleted at once,
    // its runs deleted in the background.
    r = await cli(['operator', 'namespace', 'create', '-n', 'scratch', ...A]);
    assert.equal(r.code, 0, r.stderr);
    const scratch = new Client({ connection: client.connection, namespace: 'scratch' });
    for (let i = 0; i < 3; i++) await scratch.workflow.start('sleeper', { taskQueue: 'nobody', workflowId: `scratch-${i}`, args: [60_000] });
    r = await cliWithInput(['operator', 'namespace', 'delete', '-n', 'scratch', ...A], 'scrach\n');
    assert.equal(r.code, 1);
    assert.match(r.stderr, /user denied confirmation or mistyped the namespace name/);
    r = await cliWithInput(['operator', 'namespace', 'delete', '-n', 'scratch', '-o', 'json', ...A], 'scratch\n');
    assert.equal(r.code, 0, r.stderr);
    const deleted = JSON.parse(r.stdout).deletedNamespace;
    const id = (await client.workflowService.listNamespaces({ namespaceFilter: { includeDeleted: true } }))
      .namespaces.find((n) => n.namespaceInfo.name === deleted).namespaceInfo.id;
    assert.equal(deleted, `scratch-deleted-${id.slice(0, 5)}`);
    await assert.rejects(client.workflowService.describeNamespace({ namespace: 'scratch' }), /not found/);
    await assert.rejects(scratch.workflow.getHandle('scratch-0').describe(), /not found/i);
    r = await cli(['operator', 'namespace', 'list', ...A]);
    assert.doesNotMatch(r.stdout, /scratch/);
    const gone = new Client({ connection: client.connection, namespace: deleted });
    await eventually(async () => (await gone.workflow.count()).count === 0, 10_000, 'the runs are reclaimed');
    r = await cli(['batch', 'describe', '-n', deleted, '--job-id', `reclaim-resources/${deleted}`, ...A]);
    assert.match(r.stdout, /CompletedCount\s+3\/3/);
    // The name is free again.
    r = await cli(['operator', 'namespace', 'create', '-n', 'scratch', ...A]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal((await client.workflowService.describeNamespace({ namespace: 'scratch' })).namespaceInfo.state, 1);
  });
});

test("seed 002's mass termination loop, verbatim with temporal replaced by sandglass", async (t) => {
  await withEnv(t, {}, async ({ server, client, taskQueue }) => {
    const ids = [wfId('mass-1'), wfId('mass-2'), wfId('mass-3')];
    for (const id of ids) await start(client, 'signalCollector', { taskQueue, workflowId: id, args: [60_000] });
    const kept = wfId('mass-done');
    await resultOf(await start(client, 'sleeper', { taskQueue, workflowId: kept, args: [1] }));
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sg-runbook-'));
    const script = `set -euo pipefail
# List all running workflows
sandglass workflow list \\
  --namespace default \\
  --query "ExecutionStatus = 'Running'" \\
  --address ${server.address} \\
  -o json | jq -r '.[].execution.workflowId' > running_workflows.txt

# Terminate each (review list first!)
while read wfid; do
  sandglass workflow terminate \\
    --namespace default \\
    --workflow-id "$wfid" \\
    --reason "Mass termination - emergency" \\
    --address ${server.address}
done < running_workflows.txt
`;
    const r = await new Promise((resolve) => execFile('bash', ['-c', script], {
      cwd: dir, timeout: 30_000, env: { ...process.env, PATH: `${path.dirname(SANDGLASS_BIN)}:${process.env.PATH}` },
    }, (err, stdout, stderr) => resolve({ code: err ? (err.code ?? 1) : 0, stdout, stderr })));
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(fs.readFileSync(path.join(dir, 'running_workflows.txt'), 'utf8').trim().split('\n').sort(), [...ids].sort());
    assert.equal(r.stdout.trim().split('\n').filter((l) => l === 'Workflow terminated').length, 3);
    for (const id of ids) assert.equal((await client.workflow.getHandle(id).describe()).status.name, 'TERMINATED');
    assert.equal((await client.workflow.getHandle(kept).describe()).status.name, 'COMPLETED');
    fs.rmSync(dir, { recursive: true, force: true });
  });
});

/** Runs the CLI with `input` on its stdin (the confirmation prompt). */
function cliWithInput(args, input) {
  return new Promise((resolve) => {
    const child = spawn(SANDGLASS_BIN, args, { env: { ...process.env, TEMPORAL_ADDRESS: '' } });
    let stdout = '', stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.on('close', (code) => { clearTimeout(timer); resolve({ code, stdout, stderr }); });
    child.stdin.end(input);
  });
}

test('batch jobs: a signal routed by business key reaches exactly the matching runs once; terminate by query', async (t) => {
  await withEnv(t, { args: ['--search-attribute', 'CorrelationKey=Keyword'] }, async ({ server, client, taskQueue }) => {
    const A = ['--address', server.address];
    const key = (id, k) => start(client, 'signalCollector', { taskQueue, workflowId: id, args: [60_000], searchAttributes: { CorrelationKey: [k] } });
    const [k1, k2, k3] = [wfId('ticket-a'), wfId('ticket-b'), wfId('ticket-other')];
    await key(k1, 'ticket-42');
    await key(k2, 'ticket-42');
    await key(k3, 'ticket-7');
    const q42 = "CorrelationKey = 'ticket-42' AND ExecutionStatus = 'Running'";

    let r = await cli(['workflow', 'signal', '--query', q42, '--name', 'add', '--input', '"ticket updated"', '--yes', ...A]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^Started batch for job ID: \S+$/m);
    assert.match(r.stdout, /Batch job \S+: 2 of 2 done, 0 failed/);
    for (const id of [k1, k2]) assert.deepEqual(await client.workflow.getHandle(id).query('items'), ['ticket updated']);
    assert.deepEqual(await client.workflow.getHandle(k3).query('items'), []);

    // The question: "n" (or no answer) does nothing; "y" goes ahead.
    r = await cliWithInput(['workflow', 'terminate', '--query', q42, ...A], 'n\n');
    assert.equal(r.code, 1);
    assert.match(r.stderr, /Terminate approximately 2 workflow\(s\) matching/);
    assert.match(r.stderr, /not confirmed; nothing was done/);
    assert.equal((await client.workflow.getHandle(k1).describe()).status.name, 'RUNNING');
    r = await cliWithInput(['workflow', 'terminate', '--query', q42, '--reason', 'tickets closed', '-o', 'json', ...A], 'y\n');
    assert.equal(r.code, 0, r.stderr);
    const job = JSON.parse(r.stdout);
    assert.equal(job.state, 'BATCH_OPERATION_STATE_COMPLETED');
    assert.equal(job.operationType, 'BATCH_OPERATION_TYPE_TERMINATE');
    assert.equal(job.totalOperationCount, '2');
    assert.equal(job.completeOperationCount, '2');
    assert.equal(job.reason, 'tickets closed');
    for (const id of [k1, k2]) assert.equal((await client.workflow.getHandle(id).describe()).status.name, 'TERMINATED');
    assert.equal((await client.workflow.getHandle(k3).describe()).status.name, 'RUNNING');

    // The jobs, as the API reports them.
    const svc = client.workflowService;
    const listed = await svc.listBatchOperations({ namespace: 'default' });
    assert.equal(listed.operationInfo.length, 2);
    assert.equal(listed.operationInfo[0].jobId, job.jobId); // newest first
    const described = await svc.describeBatchOperation({ namespace: 'default', jobId: job.jobId });
    assert.equal(Number(described.failureOperationCount), 0);
    await assert.rejects(svc.stopBatchOperation({ namespace: 'default', jobId: job.jobId, reason: 'x' }), /already completed/);
    await assert.rejects(svc.startBatchOperation({ namespace: 'default', jobId: job.jobId, reason: 'x', visibilityQuery: q42, terminationOperation: {} }), /already exists/);
    await assert.rejects(svc.describeBatchOperation({ namespace: 'default', jobId: 'nope' }), /not found/);
  });
});

test('reset by query; a background job: one per namespace, listed, stopped from the CLI', async (t) => {
  await withEnv(t, { args: ['--search-attribute', 'CorrelationKey=Keyword', '--dynamic-config-value', 'worker.batcherRPS=20'] }, async ({ server, client, taskQueue }) => {
    const A = ['--address', server.address];
    const ids = [wfId('reset-a'), wfId('reset-b')];
    const runs = [];
    for (const id of ids) {
      const h = await start(client, 'signalCollector', { taskQueue, workflowId: id, args: [60_000], searchAttributes: { CorrelationKey: ['to-reset'] } });
      runs.push(h.firstExecutionRunId);
      assert.deepEqual(await client.workflow.getHandle(id).query('items'), []); // a workflow task completed
    }
    let r = await cli(['workflow', 'reset', '--query', "CorrelationKey = 'to-reset' AND ExecutionStatus = 'Running'",
      '--type', 'FirstWorkflowTask', '--reason', 'replay it', '--yes', ...A]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Batch job \S+: 2 of 2 done, 0 failed$/m);
    for (const [i, id] of ids.entries()) {
      const now = await client.workflow.getHandle(id).describe();
      assert.notEqual(now.runId, runs[i]);
      assert.equal(now.status.name, 'RUNNING');
      assert.equal((await client.workflow.getHandle(id, runs[i]).describe()).status.name, 'TERMINATED');
      const types = eventTypes(await fetchHistory(client.workflow.getHandle(id)));
      assert.ok(types.includes('WorkflowTaskFailed'), types.join(' ')); // the reset point, failed with RESET_WORKFLOW
    }

    // More executions than one call handles: the job runs in the background, at its rate.
    const svc = client.workflowService;
    const executions = Array.from({ length: 1100 }, (_, i) => ({ workflowId: `absent-${i}` }));
    await svc.startBatchOperation({ namespace: 'default', jobId: 'bg-1', reason: 'slow', executions,
      signalOperation: { signal: 'add' }, maxOperationsPerSecond: 10 });
    const d = await svc.describeBatchOperation({ namespace: 'default', jobId: 'bg-1' });
    assert.equal(d.state, 1); // RUNNING
    assert.equal(Number(d.totalOperationCount), 1100);
    // RESOURCE_EXHAUSTED, as Temporal answers: the SDK's default retry would wait out its whole
    // backoff (about 40 s) before giving up, so this one call goes without it.
    const noRetry = await server.connect({ interceptors: [] });
    await assert.rejects(noRetry.workflowService.startBatchOperation({ namespace: 'default', jobId: 'bg-2', reason: 'x',
      executions, terminationOperation: {} }), (err) => err.code === 8 && /Max concurrent batch operations is reached/.test(err.details));
    r = await cli(['batch', 'list', ...A]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /bg-1\s+Running/);
    r = await cli(['batch', 'terminate', '--job-id', 'bg-1', '--reason', 'enough', ...A]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), "Terminated batch job 'bg-1'");
    const stopped = await svc.describeBatchOperation({ namespace: 'default', jobId: 'bg-1' });
    assert.equal(stopped.state, 3); // FAILED, as Temporal reports a stopped job
    assert.ok(stopped.closeTime);
    assert.ok(Number(stopped.completeOperationCount) + Number(stopped.failureOperationCount) < 1100);
    await assert.rejects(svc.stopBatchOperation({ namespace: 'default', jobId: 'bg-1', reason: 'again' }), /already completed/);
    r = await cli(['batch', 'describe', '--job-id', 'bg-1', '-o', 'json', ...A]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).state, 'BATCH_OPERATION_STATE_FAILED');
    // Its slot is free again.
    await svc.startBatchOperation({ namespace: 'default', jobId: 'bg-3', reason: 'x', executions, deletionOperation: {}, maxOperationsPerSecond: 5 });
  });
});

test('every command in the output format the other tests do not use, checked with the SDK', async (t) => {
  await withEnv(t, {}, async ({ server, client, taskQueue }) => {
    const A = ['--address', server.address];
    const ok = async (args, input) => {
      const r = input === undefined ? await cli([...args, ...A]) : await cliWithInput([...args, ...A], input);
      assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
      return r.stdout;
    };
    const json = async (args) => JSON.parse(await ok([...args, '-o', 'json']));

    // start, signal, query, signal-with-start, stack, cancel, result, delete
    const id = wfId('fmt');
    const started = await json(['workflow', 'start', '-w', id, '--type', 'signalCollector', '-t', taskQueue, '-i', '60000']);
    assert.equal(started.workflowId, id);
    assert.equal(started.runId, (await client.workflow.getHandle(id).describe()).runId);
    assert.deepEqual(await json(['workflow', 'signal', '-w', id, '--name', 'add', '-i', '"a"']), {});
    assert.match(await ok(['workflow', 'query', '-w', id, '--name', 'items']), /Query result:\n\s+\["a"\]/);
    assert.deepEqual(await json(['workflow', 'signal-with-start', '-w', id, '--type', 'signalCollector', '-t', taskQueue,
      '--signal-name', 'add', '--signal-input', '"b"']).then((j) => j.workflowId), id);
    assert.deepEqual(await client.workflow.getHandle(id).query('items'), ['a', 'b']);
    const stack = await json(['workflow', 'stack', '-w', id]);
    assert.ok(stack.queryResult, JSON.stringify(stack));
    assert.deepEqual(await json(['workflow', 'cancel', '-w', id, '--reason', 'fmt']), {});
    const res = await cli(['workflow', 'result', '-w', id, '-o', 'json', ...A]);
    assert.equal(res.code, 1); // it did not complete
    assert.equal(JSON.parse(res.stdout).eventType, 'EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED');
    assert.equal((await client.workflow.getHandle(id).describe()).status.name, 'CANCELLED');
    assert.deepEqual(await json(['workflow', 'delete', '-w', id]), {});
    await eventually(async () => {
      try { await client.workflow.getHandle(id).describe(); return false; } catch { return true; }
    }, 10_000, 'deleted');

    // task queue, updates (json for execute and start, text for result)
    const tq = await json(['task-queue', 'describe', '-t', taskQueue]);
    assert.equal(tq.length, 2, JSON.stringify(tq));
    for (const reply of tq) assert.ok(reply.pollers.length >= 1, JSON.stringify(tq)); // the worker polls both
    const cnt = wfId('fmt-upd');
    await start(client, 'counter', { taskQueue, workflowId: cnt });
    assert.deepEqual((await json(['workflow', 'update', 'execute', '-w', cnt, '--name', 'increment', '-i', '3'])).outcome.success, [3]);
    const st = await json(['workflow', 'update', 'start', '-w', cnt, '--name', 'increment', '-i', '4', '--update-id', 'f-1']);
    assert.equal(st.updateRef.updateId, 'f-1');
    assert.equal((await ok(['workflow', 'update', 'result', '-w', cnt, '--update-id', 'f-1'])).trim(), 'Update result:\n  7');
    assert.equal(await client.workflow.getHandle(cnt).executeUpdate('increment', { args: [0] }), 7);

    // activities completed and failed by hand
    const acts = [wfId('fmt-act'), wfId('fmt-act-fail'), wfId('fmt-act-fail-json')];
    const handles = [];
    for (const a of acts) {
      handles.push(await start(client, 'sequence', { taskQueue, workflowId: a, args: [[{ name: 'sleepFor', args: [30_000] }], { startToCloseTimeout: '1 minute', retry: { maximumAttempts: 1 } }] }));
      await eventually(async () => (await client.workflowService.describeWorkflowExecution({ namespace: 'default', execution: { workflowId: a } })).pendingActivities.length === 1, 10_000, 'activity scheduled');
    }
    assert.deepEqual(await json(['activity', 'complete', '-w', acts[0], '--activity-id', '1', '--result', '"json"']), {});
    assert.deepEqual(await resultOf(handles[0]), ['json']);
    assert.equal((await ok(['activity', 'fail', '-w', acts[1], '--activity-id', '1', '--reason', 'by hand'])).trim(), 'Activity failed');
    assert.deepEqual(await json(['activity', 'fail', '-w', acts[2], '--activity-id', '1', '--reason', 'by hand']), {});
    for (const h of handles.slice(1)) await assert.rejects(resultOf(h), /Workflow execution failed/);

    // batch list and terminate in json
    const svc = client.workflowService;
    await svc.startBatchOperation({ namespace: 'default', jobId: 'fmt-bg', reason: 'slow', maxOperationsPerSecond: 1,
      executions: Array.from({ length: 1001 }, (_, k) => ({ workflowId: `absent-${k}` })), signalOperation: { signal: 'x' } });
    const jobs = (await json(['batch', 'list']));
    assert.equal(jobs[0].jobId, 'fmt-bg');
    assert.equal(jobs[0].state, 'BATCH_OPERATION_STATE_RUNNING');
    assert.deepEqual(await json(['batch', 'terminate', '--job-id', 'fmt-bg', '--reason', 'enough']), {});
    assert.equal((await svc.describeBatchOperation({ namespace: 'default', jobId: 'fmt-bg' })).state, 3);

    // operator commands in json (namespace, search attributes) and the cluster in text and json
    assert.deepEqual(await json(['operator', 'namespace', 'create', '-n', 'fmt-ns']), {});
    assert.ok((await json(['operator', 'namespace', 'list'])).namespaces.some((n) => n.namespaceInfo.name === 'fmt-ns'));
    await json(['operator', 'namespace', 'update', '-n', 'fmt-ns', '--description', 'json']);
    assert.equal((await svc.describeNamespace({ namespace: 'fmt-ns' })).namespaceInfo.description, 'json');
    assert.deepEqual(await json(['operator', 'search-attribute', 'create', '-n', 'fmt-ns', '--name', 'Fmt', '--type', 'Int']), {});
    assert.equal((await client.connection.operatorService.listSearchAttributes({ namespace: 'fmt-ns' })).customAttributes.Fmt, 3);
    assert.deepEqual(await json(['operator', 'search-attribute', 'remove', '-n', 'fmt-ns', '--name', 'Fmt', '--yes']), {});
    assert.equal((await client.connection.operatorService.listSearchAttributes({ namespace: 'fmt-ns' })).customAttributes.Fmt, undefined);
    assert.equal((await json(['operator', 'cluster', 'health'])).status, 'SERVING');
    const sys = await svc.getSystemInfo({});
    assert.ok((await ok(['operator', 'cluster', 'system'])).includes(sys.serverVersion));
    const info = await svc.getClusterInfo({});
    assert.ok((await ok(['operator', 'cluster', 'describe'])).includes(info.clusterName));
    assert.equal((await json(['operator', 'cluster', 'describe'])).clusterId, info.clusterId);
  });
});

test('schedule: create, describe, list, toggle, trigger, backfill, update, matching times and delete, checked with the SDK', async (t) => {
  await withEnv(t, {}, async ({ server, client, taskQueue }) => {
    const A = ['--address', server.address];
    const ok = async (args) => {
      const r = await cli([...args, ...A]);
      assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
      return r.stdout;
    };
    const sid = wfId('cli-sched'), wid = wfId('cli-sched-wf');
    // Seed 000's shape: an hourly interval with an offset, a cron string and a JSON calendar,
    // with notes, memo, a remaining-action limit and a catch-up window.
    assert.equal(await ok(['schedule', 'create', '-s', sid, '--interval', '1h/5m', '--cron', '30 2 * * 5',
      '--calendar', '{"dayOfWeek":"Fri","hour":"17","minute":"5"}', '--time-zone', 'Europe/Paris',
      '-w', wid, '--type', 'sleeper', '-t', taskQueue, '-i', '1', '--notes', 'made by the CLI',
      '--remaining-actions', '5', '--catchup-window', '1d12h', '--overlap-policy', 'AllowAll',
      '--schedule-memo', 'team="sync"', '--memo', 'origin="cli"']), '');
    const h = client.schedule.getHandle(sid);
    let d = await h.describe();
    assert.deepEqual(d.spec.intervals, [{ every: 3600000, offset: 300000 }]);
    assert.equal(d.spec.calendars.length, 2);
    assert.deepEqual(d.spec.calendars.map((c) => c.hour[0].start).sort(), [17, 2]);
    assert.equal(d.spec.timezone, 'Europe/Paris');
    assert.equal(d.action.workflowId, wid);
    assert.equal(d.action.workflowType, 'sleeper');
    assert.equal(d.action.taskQueue, taskQueue);
    assert.deepEqual(d.action.args, [1]);
    assert.deepEqual(d.action.memo, { origin: 'cli' });
    assert.equal(d.action.workflowTaskTimeout, 10000); // the temporal CLI's default
    assert.equal(d.state.note, 'made by the CLI');
    assert.equal(d.state.remainingActions, 5);
    assert.equal(d.policies.overlap, 'ALLOW_ALL');
    assert.equal(d.policies.catchupWindow, 36 * 3600 * 1000);
    assert.deepEqual(d.memo, { team: 'sync' });

    // describe: a card in text, the reply in JSON.
    let out = await ok(['schedule', 'describe', '-s', sid]);
    assert.match(out, new RegExp(`ScheduleId\\s+${sid}`));
    assert.match(out, /Spec\s+every 1h 0m 0s, offset 5m 0s\n\s+\{"second":"0","minute":"5","hour":"17","dayOfMonth":"1-31","month":"1-12","dayOfWeek":"5"\}/);
    assert.match(out, /CatchupWindow\s+1d 12h 0m 0s/);
    assert.match(out, /RemainingActions\s+5/);
    assert.match(out, /Notes\s+made by the CLI/);
    const dj = JSON.parse(await ok(['schedule', 'describe', '-s', sid, '-o', 'json']));
    assert.equal(dj.schedule.action.startWorkflow.workflowId, wid);
    assert.equal(dj.schedule.policies.overlapPolicy, 'SCHEDULE_OVERLAP_POLICY_ALLOW_ALL');

    // list: a table (notes with -l), JSON entries, and a query.
    out = await ok(['schedule', 'list', '-l']);
    assert.match(out.split('\n')[0], /^\s+ScheduleId\s+Workflow\s+Paused\s+NextRunTime\s+LastRunTime\s+Notes$/);
    assert.ok(out.split('\n').some((l) => l.includes(sid) && /\bsleeper\s+false\b/.test(l) && l.includes('made by the CLI')), out);
    const listed = JSON.parse(await ok(['schedule', 'list', '-o', 'json']));
    assert.deepEqual(listed.map((e) => e.scheduleId), [sid]);

    // toggle: pause and unpause with reasons, as the SDK sees them.
    assert.equal(await ok(['schedule', 'toggle', '-s', sid, '--pause', '--reason', 'maintenance']), '');
    d = await h.describe();
    assert.equal(d.state.paused, true);
    assert.equal(d.state.note, 'maintenance');
    assert.deepEqual(JSON.parse(await ok(['schedule', 'list', '-q', 'TemporalSchedulePaused = true', '-o', 'json'])).map((e) => e.scheduleId), [sid]);
    await ok(['schedule', 'toggle', '-s', sid, '--unpause']);
    d = await h.describe();
    assert.equal(d.state.paused, false);
    assert.equal(d.state.note, '(no reason provided)');

    // trigger runs the action now; backfill takes a past range's actions (00:05, 01:05, 02:05).
    assert.equal((await ok(['schedule', 'trigger', '-s', sid])).trim(), 'Trigger request sent');
    assert.equal((await ok(['schedule', 'backfill', '-s', sid, '--start-time', '2026-01-01T00:00:00Z',
      '--end-time', '2026-01-01T03:00:00Z', '--overlap-policy', 'AllowAll'])).trim(), 'Backfill request sent');
    await eventually(async () => (await h.describe()).info.numActionsTaken === 4, 10_000, 'four actions');
    const runs = [];
    for await (const w of client.workflow.list({ query: `TemporalScheduledById = '${sid}'` })) runs.push(w.workflowId);
    for (const hh of ['00', '01', '02']) assert.ok(runs.includes(`${wid}-2026-01-01T${hh}:05:00Z`), runs.join());
    assert.equal(runs.length, 4);
    assert.equal((await h.describe()).state.remainingActions, 5); // manual actions are not counted

    // list-matching-times: a table of RFC 3339 times, or the reply.
    out = await ok(['schedule', 'list-matching-times', '-s', sid, '--start-time', '2026-01-01T00:00:00Z',
      '--end-time', '2026-01-01T02:00:00Z']);
    assert.deepEqual(out.trim().split('\n').map((l) => l.trim()), ['Time', '2026-01-01T00:05:00Z', '2026-01-01T01:05:00Z']);
    const mt = JSON.parse(await ok(['schedule', 'list-matching-times', '-s', sid, '--start-time', '2026-01-01T00:00:00Z',
      '--end-time', '2026-01-01T02:00:00Z', '-o', 'json']));
    assert.deepEqual(mt.startTime, ['2026-01-01T00:05:00Z', '2026-01-01T01:05:00Z']);

    // update replaces the schedule (the memo stays), as the temporal CLI's does.
    await ok(['schedule', 'update', '-s', sid, '--interval', '30m', '-w', wid, '--type', 'sleeper', '-t', taskQueue, '--paused']);
    d = await h.describe();
    assert.deepEqual(d.spec.intervals.map((i) => [i.every, i.offset ?? 0]), [[1800000, 0]]);
    assert.deepEqual(d.spec.calendars, []);
    assert.equal(d.state.paused, true);
    assert.equal(d.state.remainingActions ?? 0, 0); // no limit any more
    assert.equal(d.policies.overlap, 'SKIP');
    assert.deepEqual(d.memo, { team: 'sync' });

    // delete: the SDK no longer finds it; the CLI says so, with exit 1.
    assert.equal((await ok(['schedule', 'delete', '-s', sid])).trim(), 'Schedule deleted');
    await assert.rejects(h.describe(), ScheduleNotFoundError);
    for (const args of [['schedule', 'describe', '-s', sid], ['schedule', 'delete', '-s', sid]]) {
      const r = await cli([...args, ...A]);
      assert.equal(r.code, 1);
      assert.equal(r.stderr.trim(), 'sandglass: schedule not found');
    }
    // Bad flags: one line and exit 1 before any call.
    for (const [args, pattern] of [
      [['schedule', 'create', '-s', 'x', '--interval', '1q', '--type', 'T', '-t', 'q'], /invalid --interval '1q'/],
      [['schedule', 'create', '-s', 'x', '--calendar', '{"bogus":1}', '--type', 'T', '-t', 'q'], /invalid --calendar .*unknown field "bogus"/],
      [['schedule', 'create', '-s', 'x', '--interval', '1m', '--type', 'T'], /--task-queue is required/],
      [['schedule', 'create', '-s', 'x', '--interval', '1m', '--type', 'T', '-t', 'q', '--overlap-policy', 'Sometimes'], /invalid --overlap-policy 'Sometimes': expected one of Skip, BufferOne/],
      [['schedule', 'toggle', '-s', 'x'], /exactly one of --pause or --unpause is required/],
      [['schedule', 'backfill', '-s', 'x', '--start-time', 'yesterday', '--end-time', '2026-01-01T00:00:00Z'], /invalid --start-time 'yesterday'/],
      [['schedule', 'trigger'], /--schedule-id is required/],
    ]) {
      const r = await cli([...args, ...A]);
      assert.equal(r.code, 1, `${args.join(' ')}: ${r.stderr}`);
      assert.equal(r.stderr.trim().split('\n').length, 1);
      assert.match(r.stderr, pattern);
    }
    assert.deepEqual(await client.schedule.list().next(), { done: true, value: undefined });
  });
});

test('bad input: one line on stderr and a non-zero exit', async (t) => {
  await withEnv(t, { worker: false }, async ({ server }) => {
    const A = ['--address', server.address];
    for (const [args, code, pattern] of [
      [['workflow', 'lsit', ...A], 2, /^sandglass: unknown command 'workflow lsit'/],
      [['workflow', 'list', '--bogus', ...A], 2, /^sandglass: unknown flag '--bogus'/],
      [['workflow', 'list', '-q', 'Nope = 1', ...A], 1, /^sandglass: invalid query: unknown search attribute 'Nope' at position 1/],
      [['workflow', 'describe', '-w', 'provision-tenant-42', ...A], 1, /^sandglass: workflow not found: provision-tenant-42$/],
      [['workflow', 'show', ...A], 1, /^sandglass: --workflow-id is required$/],
      [['workflow', 'list', '--address', '127.0.0.1:1'], 1, /^sandglass: cannot connect to 127\.0\.0\.1:1/],
      [['workflow', 'list', '-o', 'yaml', ...A], 2, /^sandglass: invalid --output 'yaml'/],
      [['workflow', 'list', '--tls', ...A], 1, /^sandglass: TLS is not supported yet/],
      [['workflow', 'reset', '-q', "ExecutionStatus = 'Running'", '--reason', 'r', '--event-id', '3', '--yes', ...A], 1, /^sandglass: a reset by --query needs --type FirstWorkflowTask\|LastWorkflowTask/],
      [['batch', 'describe', '--job-id', 'nope', ...A], 1, /^sandglass: could not find batch job 'nope'$/],
      [['workflow', 'terminate', '-q', "ExecutionStatus = 'Running'", '--rps', 'fast', '--yes', ...A], 1, /^sandglass: invalid --rps 'fast'/],
    ]) {
      const r = await cli(args);
      assert.equal(r.code, code, `${args.join(' ')}: exit ${r.code}, stderr ${r.stderr}`);
      assert.equal(r.stderr.trim().split('\n').length, 1, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr.trim(), pattern);
    }
    // $TEMPORAL_ADDRESS stands in for --address; --help comes from the same table as the parser.
    const r = await cli(['workflow', 'count'], { TEMPORAL_ADDRESS: server.address });
    assert.equal(r.stdout.trim(), 'Total: 0');
    const h = await cli(['workflow', 'show', '--help']);
    assert.equal(h.code, 0);
    assert.match(h.stdout, /-w, --workflow-id string/);
    assert.match(h.stdout, /-f, --follow/);
  });
});
