// Web UI: the pages served on --ui-port, driven in Debian's Chromium through playwright-core
// (no browser download; `bash tools/setup.sh --browser` installs chromium). The flow the issue asks for:
// open the workflows list, filter it with a query and a status button, open a run, see its
// history and timeline, send a signal, terminate it through the confirmation dialog and see the
// status change; open a schedule created with the SDK, pause it, trigger and delete it. Every
// step is asserted in the DOM and cross-checked with the SDK. Screenshots of the main pages go
// to build/ui-screenshots/ (not committed).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { assertBinary, bounded } from './lib/server.mjs';
import { describe, eventually, getBundle, result, start, wfId, withEnv, within } from './lib/worker.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const CHROMIUM = process.env.SANDGLASS_CHROMIUM || '/usr/bin/chromium';
const SHOTS = path.join(here, '..', '..', 'build', 'ui-screenshots');
const WAIT_MS = 10_000; // bound of every single wait on the page

test.before(async () => {
  assertBinary();
  if (!fs.existsSync(CHROMIUM)) {
    throw new Error(`Chromium not found at ${CHROMIUM}: the web UI test needs Debian's chromium; install it with \`bash tools/setup.sh --browser\` (or set SANDGLASS_CHROMIUM)`);
  }
  fs.mkdirSync(SHOTS, { recursive: true });
  await getBundle();
});

/**
 * Launches Chromium, opens a page (1440×900, a laptop screen), runs `fn(page)`, and always closes
 * the browser. Uncaught page errors fail the test; so do console errors other than the failed
 * fetches a test provokes on purpose (`allowConsole` patterns).
 */
async function withPage(fn, { allowConsole = [] } = {}) {
  const browser = await bounded(chromium.launch({
    executablePath: CHROMIUM,
    timeout: 20_000,
    // The background-networking flags keep Chromium from phoning home (no network here anyway:
    // without them it stalls on start-up retries).
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  }), 25_000, 'chromium.launch');
  const problems = [];
  try {
    const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    page.setDefaultTimeout(WAIT_MS);
    page.setDefaultNavigationTimeout(WAIT_MS);
    page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
    page.on('console', (msg) => {
      if (msg.type() !== 'error') return;
      const text = msg.text();
      if (!allowConsole.some((re) => re.test(text))) problems.push(`console error: ${text}`);
    });
    await fn(page);
    assert.deepEqual(problems, [], 'no JavaScript errors on the page');
  } catch (err) {
    if (problems.length) err.message += `\n--- page problems ---\n${problems.join('\n')}`;
    throw err;
  } finally {
    await bounded(browser.close(), 10_000, 'browser.close').catch(() => {});
  }
}

const shot = (page, name) => page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });


test('workflows list, query filter, run page with history and timeline, signal, terminate', { timeout: 60_000 }, async (t) => {
  await withEnv(t, { ui: true }, async ({ server, client, taskQueue }) => {
    assert.match(server.output(), new RegExp(`Temporal UI:\\s+http://(localhost|127\\.0\\.0\\.1):${server.uiPort}`), 'the banner names the UI');
    const collectorId = wfId('ui-collector');
    const sleeperId = wfId('ui-sleeper');
    const collector = await start(client, 'signalCollector', { taskQueue, workflowId: collectorId, args: [60_000] });
    const sleeper = await start(client, 'sleeper', { taskQueue, workflowId: sleeperId, args: [50] });
    await result(sleeper);

    await withPage(async (page) => {
      // ---- list ----
      await page.goto(`${server.uiUrl}#/namespaces/default/workflows`);
      await page.locator(`tr[data-workflow-id="${collectorId}"]`).waitFor();
      await page.locator(`tr[data-workflow-id="${sleeperId}"]`).waitFor();
      assert.equal(await page.locator(`tr[data-workflow-id="${sleeperId}"] [data-status]`).textContent(), 'Completed');
      assert.equal(await page.locator(`tr[data-workflow-id="${collectorId}"] [data-status]`).textContent(), 'Running');
      await page.waitForFunction(() => document.getElementById('workflow-count')?.textContent === '(2)');
      await shot(page, 'workflows-list');

      // A typed query, then a status button that adds to it.
      await page.fill('#query', `WorkflowType='signalCollector' OR WorkflowType='sleeper'`);
      await page.click('.query-form button[type=submit]');
      await page.waitForFunction(() => decodeURIComponent(location.hash).includes("WorkflowType='sleeper'"));
      await page.locator(`tr[data-workflow-id="${sleeperId}"]`).waitFor();
      await page.click('[data-status-filter="Running"]');
      const expectedQuery = `(WorkflowType='signalCollector' OR WorkflowType='sleeper') AND ExecutionStatus='Running'`;
      await page.waitForFunction((q) => document.getElementById('query')?.value === q, expectedQuery);
      await page.waitForFunction((id) => {
        const rows = [...document.querySelectorAll('tr[data-workflow-id]')].map((r) => r.dataset.workflowId);
        return rows.length === 1 && rows[0] === id;
      }, collectorId);
      await page.waitForFunction(() => document.getElementById('workflow-count')?.textContent === '(1)');
      assert.equal(await page.locator('[data-status-filter="Running"]').getAttribute('aria-pressed'), 'true');
      const sdkIds = [];
      await within(client, 5_000, 'list', async () => {
        for await (const wf of client.workflow.list({ query: expectedQuery })) sdkIds.push(wf.workflowId);
      });
      assert.deepEqual(sdkIds, [collectorId], 'the SDK lists what the UI shows for the same query');
      // The filtered list is a shareable URL: loading it afresh shows the same thing.
      const listUrl = page.url();
      await page.goto('about:blank');
      await page.goto(listUrl);
      await page.locator(`tr[data-workflow-id="${collectorId}"]`).waitFor();
      assert.equal(await page.locator('tr[data-workflow-id]').count(), 1);

      // ---- run page ----
      await page.click(`tr[data-workflow-id="${collectorId}"] a.wf-link`);
      await page.waitForFunction(() => document.querySelector('#run-status [data-status]')?.textContent === 'Running');
      assert.ok(page.url().includes(encodeURIComponent(collector.firstExecutionRunId)), 'the run page URL names the run');
      await page.locator('details.event[data-event-type="WorkflowExecutionStarted"]').waitFor();
      await page.locator('details.event[data-event-type="TimerStarted"]').waitFor(); // condition(…, waitMs) arms a timer
      const summary = await page.locator('#run-summary').textContent();
      assert.match(summary, /signalCollector/);
      assert.match(summary, new RegExp(taskQueue));
      assert.equal(await page.locator('#run-io pre.input').textContent(), '60000', 'the input, as pretty JSON');
      // Timeline: the workflow row and an open timer bar.
      await page.locator('#run-timeline svg .tl-row[data-kind="workflow"]').waitFor();
      await page.locator('#run-timeline svg .tl-row[data-kind="timer"][data-state="running"]').waitFor();

      // Expand the first event; it must stay expanded across live refreshes.
      await page.click('details.event[data-event-id="1"] > summary');
      await page.locator('details.event[data-event-id="1"] .ev-body').waitFor();
      assert.match(await page.locator('details.event[data-event-id="1"] .ev-body').textContent(), /"signalCollector"/);

      // Signal through the form; the history grows by live update and the workflow saw it.
      await page.click('[data-action="signal"]');
      await page.fill('#signal-form input[name="signalName"]', 'add');
      await page.fill('#signal-form textarea[name="signalInput"]', '["from-ui"]');
      await page.click('#signal-form button[type="submit"]');
      await page.locator('details.event[data-event-type="WorkflowExecutionSignaled"]').waitFor();
      assert.match(await page.locator('details.event[data-event-type="WorkflowExecutionSignaled"] .ev-detail').textContent(), /signal add/);
      const items = await eventually(async () => {
        const v = await within(client, 5_000, 'query items', () => collector.query('items'));
        return v.includes('from-ui') && v;
      }, 10_000, 'the signal reached the workflow');
      assert.deepEqual(items, ['from-ui']);
      // A signal mark on the workflow's timeline row.
      await page.locator('#run-timeline .tl-row[data-kind="workflow"] .tl-mark').waitFor();

      // Query through the form: the UI shows the same value the SDK gets.
      await page.click('[data-action="query"]');
      await page.fill('#query-form input[name="queryType"]', 'items');
      await page.click('#query-form button[type="submit"]');
      await page.waitForFunction(() => document.querySelector('#run-output pre.query-result')?.textContent.includes('from-ui'));
      assert.deepEqual(JSON.parse(await page.locator('#run-output pre.query-result').textContent()), items);

      // Stack trace query.
      await page.click('[data-action="stack-trace"]');
      await page.waitForFunction(() => document.querySelector('#run-output .stack-trace')?.textContent.trim().length > 0);
      assert.match(await page.locator('#run-output .stack-trace').textContent(), /signalCollector|condition/);

      // Let at least one live refresh pass after the signal: the expanded row is still expanded
      // and the history was not rebuilt (same element).
      const rowHandle = await page.$('details.event[data-event-id="1"]');
      const len = await page.locator('details.event').count();
      await page.waitForTimeout(2_500);
      assert.equal(await page.locator('details.event[data-event-id="1"]').getAttribute('open'), '', 'still expanded');
      assert.ok(await rowHandle.evaluate((el) => el.isConnected), 'the row element survived the refresh');
      assert.ok((await page.locator('details.event').count()) >= len);
      await shot(page, 'run-page');

      // Task queue page, linked from the run: the worker's pollers.
      const runUrl = page.url();
      await page.click('#task-queue-link');
      await page.waitForFunction(() => document.querySelectorAll('[data-pollers="TASK_QUEUE_TYPE_WORKFLOW"] tbody tr').length > 0);
      await shot(page, 'task-queue');
      await page.goto(runUrl);
      await page.waitForFunction(() => document.querySelector('#run-status [data-status]')?.textContent === 'Running');

      // Terminate, confirming the dialog; the page shows the new status and the reason.
      await page.click('[data-action="terminate"]');
      const dialog = page.locator('dialog.dialog[open]');
      await dialog.waitFor();
      await dialog.locator('input[name="reason"]').fill('ui e2e');
      await dialog.locator('[data-confirm]').click();
      await page.waitForFunction(() => document.querySelector('#run-status [data-status]')?.textContent === 'Terminated');
      await page.locator('details.event[data-event-type="WorkflowExecutionTerminated"]').waitFor();
      assert.match(await page.locator('#run-result').textContent(), /ui e2e/);
      assert.ok(await page.locator('[data-action="signal"]').isDisabled(), 'no signal to a closed run');
      const d = await describe(collector);
      assert.equal(d.status.name, 'TERMINATED', 'the SDK sees the run terminated');
      await shot(page, 'run-terminated');

      // A closed run with a fired timer: a completed timer bar; the result as JSON.
      await page.goto(`${server.uiUrl}#/namespaces/default/workflows/${encodeURIComponent(sleeperId)}`);
      await page.locator('#run-timeline .tl-row[data-kind="timer"][data-state="completed"]').waitFor();
      assert.deepEqual(JSON.parse(await page.locator('#run-io pre.result').textContent()).slept, 50);

      // An API error is shown readably, not as a blank page.
      await page.goto(`${server.uiUrl}#/namespaces/default/workflows/no-such-workflow/no-such-run`);
      await page.locator('.error').waitFor();
      assert.match(await page.locator('.error').textContent(), /not found|NOT_FOUND/i);
    }, { allowConsole: [/Failed to load resource.*404/] });
  });
});

test('schedule page: pause, trigger and delete, checked with the SDK', { timeout: 60_000 }, async (t) => {
  await withEnv(t, { ui: true }, async ({ server, client, taskQueue }) => {
    const scheduleId = wfId('ui-sched');
    const handle = await within(client, 5_000, 'schedule.create', () => client.schedule.create({
      scheduleId,
      spec: { intervals: [{ every: '1h' }] },
      action: { type: 'startWorkflow', workflowType: 'sleeper', taskQueue, workflowId: scheduleId, args: [1] },
    }));

    await withPage(async (page) => {
      await page.goto(`${server.uiUrl}#/namespaces/default/schedules`);
      const row = page.locator(`tr[data-schedule-id="${scheduleId}"]`);
      await row.waitFor();
      assert.match(await row.textContent(), /every 1h/);
      assert.match(await row.textContent(), /Active/);
      await row.locator('a').click();
      await page.waitForFunction(() => document.querySelector('#schedule-state [data-status]')?.textContent === 'Active');
      assert.match(await page.locator('#schedule-info').textContent(), /every 1h/);
      assert.match(await page.locator('#schedule-info').textContent(), /sleeper/);
      await page.locator('ol.next-actions li').first().waitFor(); // next action times
      await shot(page, 'schedule');

      // Pause, with a note, through the dialog.
      await page.click('[data-action="pause"]');
      const dialog = page.locator('dialog.dialog[open]');
      await dialog.waitFor();
      await dialog.locator('input[name="note"]').fill('paused by the ui test');
      await dialog.locator('[data-confirm]').click();
      await page.waitForFunction(() => document.querySelector('#schedule-state [data-status]')?.textContent === 'Paused');
      assert.equal(await page.locator('[data-action="unpause"]').textContent(), 'Unpause');
      const desc = await within(client, 5_000, 'schedule.describe', () => handle.describe());
      assert.equal(desc.state.paused, true, 'the SDK sees the schedule paused');
      assert.equal(desc.state.note, 'paused by the ui test');
      await shot(page, 'schedule-paused');

      // Trigger: an action runs now (even while paused), shown under recent actions.
      await page.click('[data-action="trigger"]');
      await page.locator('table.recent-actions tbody tr').first().waitFor();
      await eventually(async () => (await within(client, 5_000, 'describe', () => handle.describe())).info.recentActions.length === 1,
        10_000, 'the SDK sees the triggered action');

      // Delete, confirming the dialog: back on the list, and the SDK no longer finds it.
      await page.click('[data-action="delete"]');
      await dialog.waitFor();
      await dialog.locator('[data-confirm]').click();
      await page.waitForFunction(() => /\/schedules$/.test(location.hash));
      await page.locator('table.grid, p.empty').first().waitFor();
      assert.equal(await page.locator(`tr[data-schedule-id="${scheduleId}"]`).count(), 0);
      await assert.rejects(within(client, 5_000, 'describe deleted', () => handle.describe()), /not found/i);
    });
  });
});
