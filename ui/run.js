// run.js: one workflow run — summary, input and result, pending work, timeline, history, and
// the operations (signal, query, stack trace, cancel, terminate, reset).
//
// Live updates: while the run is open the page polls DescribeWorkflowExecution every 2 s and
// re-reads the history only when its length changed. Nothing is redrawn wholesale: each
// section is replaced only when its data changed, and history rows are appended (never
// rebuilt), so expanded rows stay expanded and the page does not flicker or jump.

import {
  cancelWorkflow, describeWorkflow, getHistory, queryWorkflow, resetWorkflow, signalWorkflow, terminateWorkflow,
} from './api.js';
import {
  enumName, errorBox, eventAttributes, eventTypeName, fill, fmtDuration, h, jsonBlock, kvList, link, notify, num,
  openDialog, parseArgs, payloadValue, payloadsValue, section, statusBadge, statusName, table, timeEl, toMs,
} from './dom.js';
import { renderTimeline } from './timeline.js';

const REFRESH_MS = 2000;

export async function runPage(ctx, { ns, id, runId }) {
  if (!runId) {
    // #/…/workflows/<id> means the latest run: describe it, then show the canonical URL with the
    // run id so the link in the address bar keeps pointing at this run.
    const d = await describeWorkflow(ns, id, undefined, { signal: ctx.signal });
    location.replace(link.run(ns, id, d.workflowExecutionInfo?.execution?.runId));
    return;
  }
  document.title = `${id} · Sandglass`;

  const st = { desc: undefined, events: [], status: '', open: true };

  // ---- layout: stable containers, filled by the render functions below ----
  const badge = h('span', { id: 'run-status' });
  const liveErr = h('div', { id: 'live-error' });
  const buttons = {
    signal: h('button', { type: 'button', class: 'btn', 'data-action': 'signal', onclick: () => togglePanel('signal') }, 'Signal'),
    query: h('button', { type: 'button', class: 'btn', 'data-action': 'query', onclick: () => togglePanel('query') }, 'Query'),
    stack: h('button', { type: 'button', class: 'btn', 'data-action': 'stack-trace', onclick: stackTrace }, 'Stack trace'),
    cancel: h('button', { type: 'button', class: 'btn', 'data-action': 'cancel', onclick: cancel }, 'Request cancel'),
    terminate: h('button', { type: 'button', class: 'btn btn-danger-outline', 'data-action': 'terminate', onclick: terminate }, 'Terminate'),
    reset: h('button', { type: 'button', class: 'btn', 'data-action': 'reset', onclick: reset }, 'Reset…'),
  };
  const panels = h('div', { class: 'panels' });
  const output = h('div', { id: 'run-output' });
  const summary = h('div', { id: 'run-summary' });
  const io = h('div', { id: 'run-io', class: 'two-col' });
  const pending = h('div', { id: 'run-pending' });
  const timelineBox = h('div', { id: 'run-timeline' });
  const historyBox = h('div', { id: 'run-history', class: 'events' });
  const historyCount = h('span', { class: 'muted' });
  const newestFirst = h('input', { type: 'checkbox', onchange: () => {
    historyBox.classList.toggle('newest-first', newestFirst.checked);
    try { localStorage.setItem('sandglass.newestFirst', newestFirst.checked ? '1' : ''); } catch { /* storage blocked */ }
  } });
  try { newestFirst.checked = !!localStorage.getItem('sandglass.newestFirst'); } catch { /* storage blocked */ }
  historyBox.classList.toggle('newest-first', newestFirst.checked);

  fill(ctx.root,
    h('nav', { class: 'crumbs' }, h('a', { href: link.workflows(ns) }, ns), ' › ', h('a', { href: link.workflows(ns) }, 'workflows'), ' › ', id),
    h('div', { class: 'page-head' },
      h('h1', { class: 'wf-title' }, h('span', { class: 'wf-id' }, id), ' ', badge),
      h('div', { class: 'toolbar' }, Object.values(buttons))),
    h('div', { class: 'muted mono small' }, 'Run ', runId),
    liveErr, panels, output,
    section('Summary', summary),
    io,
    pending,
    section('Timeline', timelineBox),
    section(null,
      h('div', { class: 'section-head' },
        h('h2', {}, 'History ', historyCount),
        h('div', { class: 'toolbar' },
          h('label', { class: 'check' }, newestFirst, ' newest first'),
          h('button', { type: 'button', class: 'btn btn-small', onclick: () => expandAll(true) }, 'Expand all'),
          h('button', { type: 'button', class: 'btn btn-small', onclick: () => expandAll(false) }, 'Collapse all'))),
      h('div', { class: 'event-head' }, h('span', {}, 'ID'), h('span', {}, 'Time'), h('span', {}, 'Elapsed'), h('span', {}, 'Type'), h('span', {}, 'Details')),
      historyBox));

  // ---- data ----

  async function fetchAll() {
    const desc = await describeWorkflow(ns, id, runId, { signal: ctx.signal });
    const info = desc.workflowExecutionInfo ?? {};
    const len = num(info.historyLength) ?? 0;
    const status = info.status ?? '';
    // The history only grows; re-read it when its length or the status moved.
    let events = st.events;
    if (len !== st.events.length || status !== st.status || !st.desc) {
      events = await getHistory(ns, id, runId, { signal: ctx.signal });
    }
    return { desc, events, status };
  }

  function draw({ desc, events, status }) {
    st.desc = desc;
    st.status = status;
    st.open = statusName(status) === 'Running';
    if (badge.dataset.key !== status) {
      badge.dataset.key = status;
      fill(badge, statusBadge(status));
    }
    for (const b of [buttons.signal, buttons.cancel, buttons.terminate]) {
      b.disabled = !st.open;
      b.title = st.open ? '' : 'The run is closed';
    }
    drawKeyed(summary, summaryData(desc, events), renderSummary);
    drawKeyed(io, ioData(events), renderIo);
    drawKeyed(pending, { acts: desc.pendingActivities ?? [], kids: desc.pendingChildren ?? [] }, renderPending);
    const changed = events !== st.events || !timelineBox.firstChild;
    drawHistory(events);
    st.events = events;
    // An open run's chart moves with the clock (open bars end at "now"); a closed one only
    // changes with its history.
    if (st.open || changed) drawTimeline();
    fill(historyCount, `(${events.length} events)`);
    updateDuration();
  }

  // The running duration ticks in place, so the summary itself is not redrawn every refresh.
  function updateDuration() {
    const el = summary.querySelector('#run-duration');
    const info = st.desc?.workflowExecutionInfo ?? {};
    const start = toMs(info.startTime);
    const close = toMs(info.closeTime);
    if (el && start) el.textContent = `${fmtDuration((close ?? Date.now()) - start)}${close ? '' : ' so far'}`;
  }

  // Redraw `el` only when `data` differs from what it shows: keeps the DOM (and selection,
  // scroll, focus) untouched on refreshes that change nothing.
  function drawKeyed(el, data, render) {
    const key = JSON.stringify(data);
    if (el.dataset.key === key) return;
    el.dataset.key = key;
    fill(el, render(data));
  }

  // Appends new events; rebuilds only if the history is not an extension of what is shown
  // (which a run's history never does, but a reset-and-reload could).
  function drawHistory(events) {
    const shown = st.events;
    const extends_ = shown.length <= events.length && shown.every((e, i) => e.eventId === events[i]?.eventId);
    if (!extends_ || historyBox.childElementCount !== shown.length) {
      fill(historyBox);
      appendEvents(events, 0, events);
    } else {
      appendEvents(events, shown.length, events);
    }
  }

  function appendEvents(events, from, all) {
    const t0 = toMs(all[0]?.eventTime);
    const index = eventIndex(all);
    const frag = document.createDocumentFragment();
    for (let i = from; i < events.length; i++) frag.append(eventRow(ns, events[i], t0, index));
    historyBox.append(frag);
  }

  let tlWidth = 0;
  function drawTimeline() {
    tlWidth = timelineBox.clientWidth || 900;
    fill(timelineBox, renderTimeline(st.events, {
      now: Date.now(), open: st.open, width: tlWidth, onPick: revealEvent, pending: st.desc?.pendingActivities ?? [],
    }));
  }
  // Redraw at the new width when the window is resized (the chart is drawn in pixels so its
  // text is never stretched).
  let resizeTimer;
  const onResize = () => {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(() => {
      if (timelineBox.clientWidth && timelineBox.clientWidth !== tlWidth) drawTimeline();
    }, 150);
  };
  window.addEventListener('resize', onResize);
  ctx.onDispose(() => {
    window.removeEventListener('resize', onResize);
    clearTimeout(resizeTimer);
  });

  function revealEvent(eventId) {
    const row = historyBox.querySelector(`[data-event-id="${eventId}"]`);
    if (!row) return;
    row.open = true;
    row.scrollIntoView({ block: 'center', behavior: 'smooth' });
    row.classList.add('flash');
    setTimeout(() => row.classList.remove('flash'), 1200);
  }

  function expandAll(open) {
    for (const d of historyBox.querySelectorAll('details.event')) d.open = open;
  }

  // Refreshes are queued, never concurrent: an action's refresh waits for the live one.
  let chain = Promise.resolve();
  const refresh = () => (chain = chain.catch(() => {}).then(async () => {
    if (ctx.disposed) return false;
    draw(await fetchAll());
    fill(liveErr);
    return st.open;
  }));

  // After an action: a failed refresh must not read as a failed action.
  const refreshQuiet = () => refresh().catch((err) => {
    if (err.name !== 'AbortError') fill(liveErr, errorBox(err, { title: 'Refresh failed' }));
  });

  draw(await fetchAll());
  // Poll only while the run is open: a closed run's history never changes (a reset or the next
  // run of a continue-as-new is another run, linked from this page).
  ctx.live(refresh, REFRESH_MS, (err) => fill(liveErr, errorBox(err, { title: 'Live update failed (retrying)' })));

  // ---- operations ----

  const openPanels = {};
  function togglePanel(which) {
    if (openPanels[which]) {
      openPanels[which].remove();
      delete openPanels[which];
      return;
    }
    const panel = which === 'signal' ? signalPanel() : queryPanel();
    openPanels[which] = panel;
    panels.append(panel);
    panel.querySelector('input')?.focus();
  }

  function signalPanel() {
    const name = h('input', { name: 'signalName', type: 'text', required: true, autocomplete: 'off', placeholder: 'signal name' });
    const args = h('textarea', { name: 'signalInput', rows: 2, spellcheck: 'false', placeholder: '["an argument", 42]  (JSON array, one element per argument; empty for none)' });
    const err = h('div', {});
    const form = h('form', { class: 'card panel', id: 'signal-form', onsubmit: async (e) => {
      e.preventDefault();
      fill(err);
      try {
        const input = parseArgs(args.value);
        await signalWorkflow(ns, id, runId, name.value.trim(), input, { signal: ctx.signal });
        notify(`Signal "${name.value.trim()}" sent`);
        await refreshQuiet();
      } catch (ex) {
        if (ex.name !== 'AbortError') fill(err, errorBox(ex, { title: 'Signal failed' }));
      }
    } },
    h('h2', {}, 'Send a signal'),
    h('label', { class: 'field' }, h('span', {}, 'Name'), name),
    h('label', { class: 'field' }, h('span', {}, 'Input'), args),
    err,
    h('div', { class: 'toolbar' }, h('button', { type: 'submit', class: 'btn btn-primary' }, 'Send signal'),
      h('button', { type: 'button', class: 'btn', onclick: () => togglePanel('signal') }, 'Close')));
    return form;
  }

  function queryPanel() {
    const type = h('input', { name: 'queryType', type: 'text', required: true, autocomplete: 'off', placeholder: 'query type' });
    const args = h('textarea', { name: 'queryArgs', rows: 2, spellcheck: 'false', placeholder: '[]  (JSON array of arguments; empty for none)' });
    const err = h('div', {});
    const form = h('form', { class: 'card panel', id: 'query-form', onsubmit: async (e) => {
      e.preventDefault();
      fill(err);
      try {
        await runQuery(type.value.trim(), parseArgs(args.value));
      } catch (ex) {
        if (ex.name !== 'AbortError') fill(err, errorBox(ex, { title: 'Query failed' }));
      }
    } },
    h('h2', {}, 'Query'),
    h('label', { class: 'field' }, h('span', {}, 'Type'), type),
    h('label', { class: 'field' }, h('span', {}, 'Arguments'), args),
    err,
    h('div', { class: 'toolbar' }, h('button', { type: 'submit', class: 'btn btn-primary' }, 'Run query'),
      h('button', { type: 'button', class: 'btn', onclick: () => togglePanel('query') }, 'Close')));
    return form;
  }

  async function runQuery(type, args) {
    const res = await queryWorkflow(ns, id, runId, type, args, { signal: ctx.signal });
    if (res.queryRejected) {
      showOutput(`Query "${type}" rejected`, h('p', {}, `The workflow's status was ${statusName(res.queryRejected.status)}.`));
      return;
    }
    const values = payloadsValue(res.queryResult);
    showOutput(`Query "${type}"`, jsonBlock(values.length === 1 ? values[0] : values, { cls: 'query-result' }));
  }

  async function stackTrace() {
    try {
      const res = await queryWorkflow(ns, id, runId, '__stack_trace', [], { signal: ctx.signal });
      const [trace] = payloadsValue(res.queryResult);
      showOutput('Stack trace', h('pre', { class: 'stack-trace' }, typeof trace === 'string' ? trace : JSON.stringify(trace, null, 2)));
    } catch (ex) {
      if (ex.name !== 'AbortError') showOutput('Stack trace', errorBox(ex, { title: 'Stack trace query failed' }));
    }
  }

  function showOutput(title, body) {
    fill(output, h('section', { class: 'card output' },
      h('div', { class: 'section-head' }, h('h2', {}, title),
        h('button', { type: 'button', class: 'btn btn-small', onclick: () => fill(output) }, 'Dismiss')),
      body));
  }

  async function cancel() {
    const v = await openDialog({
      title: 'Request cancellation?',
      message: `The workflow ${id} will be asked to cancel; it decides how to wind down.`,
      fields: [{ name: 'reason', label: 'Reason', value: '' }],
      confirmLabel: 'Request cancel',
      danger: true,
    });
    if (!v) return;
    await act('Cancel', 'Cancellation requested', () => cancelWorkflow(ns, id, runId, v.reason, { signal: ctx.signal }));
  }

  async function terminate() {
    const v = await openDialog({
      title: 'Terminate this run?',
      message: `The run of ${id} stops at once: no cleanup code runs. This cannot be undone.`,
      fields: [{ name: 'reason', label: 'Reason', value: 'terminated from the web UI' }],
      confirmLabel: 'Terminate',
      danger: true,
    });
    if (!v) return;
    await act('Terminate', 'Run terminated', () => terminateWorkflow(ns, id, runId, v.reason, { signal: ctx.signal }));
  }

  async function reset() {
    const points = st.events.filter((e) => eventTypeName(e.eventType) === 'WorkflowTaskCompleted');
    if (!points.length) {
      notify('No completed workflow task to reset to yet', 'error');
      return;
    }
    const t0 = toMs(st.events[0]?.eventTime);
    const v = await openDialog({
      title: 'Reset this run?',
      message: 'A new run starts from the chosen point, replaying the history up to it; this run is terminated if it is still open.',
      fields: [
        { name: 'eventId', label: 'Reset to (WorkflowTaskCompleted event)', type: 'select',
          value: String(num(points[points.length - 1].eventId)),
          options: points.map((e) => ({ value: String(num(e.eventId)), label: `event ${num(e.eventId)} — +${fmtDuration(toMs(e.eventTime) - t0)}` })) },
        { name: 'reason', label: 'Reason', value: 'reset from the web UI' },
      ],
      confirmLabel: 'Reset',
      danger: true,
    });
    if (!v) return;
    try {
      const res = await resetWorkflow(ns, id, runId, v.eventId, v.reason, { signal: ctx.signal });
      notify('Reset: a new run started');
      if (res.runId) location.hash = link.run(ns, id, res.runId);
      else await refreshQuiet();
    } catch (ex) {
      if (ex.name !== 'AbortError') notify(`Reset failed: ${ex.message}`, 'error');
    }
  }

  async function act(what, done, call) {
    try {
      await call();
      notify(done);
      await refreshQuiet();
    } catch (ex) {
      if (ex.name !== 'AbortError') notify(`${what} failed: ${ex.message}`, 'error');
    }
  }

  // ---- section renderers (pure: data in, nodes out) ----

  function summaryData(desc, events) {
    const info = desc.workflowExecutionInfo ?? {};
    const first = events[0];
    const startAttrs = first ? eventAttributes(first) : {};
    return {
      type: info.type?.name,
      status: info.status,
      taskQueue: info.taskQueue ?? desc.executionConfig?.taskQueue?.name,
      startTime: info.startTime,
      executionTime: info.executionTime !== info.startTime ? info.executionTime : undefined,
      closeTime: info.closeTime,
      historyLength: info.historyLength,
      historySize: info.historySizeBytes,
      parent: info.parentExecution,
      attempt: startAttrs.attempt,
      runTimeout: desc.executionConfig?.workflowRunTimeout,
      executionTimeout: desc.executionConfig?.workflowExecutionTimeout,
      memo: info.memo?.fields,
      searchAttributes: info.searchAttributes?.indexedFields,
    };
  }

  function renderSummary(d) {
    const start = toMs(d.startTime);
    const close = toMs(d.closeTime);
    const mapVals = (m) => (m ? Object.fromEntries(Object.entries(m).map(([k, v]) => [k, payloadValue(v)])) : undefined);
    return [
      kvList([
        ['Workflow ID', h('span', { class: 'mono' }, id)],
        ['Run ID', h('span', { class: 'mono' }, runId)],
        ['Type', d.type],
        ['Status', statusBadge(d.status)],
        ['Task queue', d.taskQueue ? h('a', { href: link.taskQueue(ns, d.taskQueue), id: 'task-queue-link' }, d.taskQueue) : ''],
        ['Started', timeEl(d.startTime)],
        ['First workflow task at', d.executionTime ? timeEl(d.executionTime) : ''],
        ['Closed', close ? timeEl(d.closeTime) : h('span', { class: 'muted' }, 'still running')],
        ['Duration', start ? h('span', { id: 'run-duration' }) : ''], // filled by updateDuration()
        ['History', `${num(d.historyLength) ?? 0} events${d.historySize ? `, ${num(d.historySize).toLocaleString()} bytes` : ''}`],
        ['Attempt', d.attempt > 1 ? String(d.attempt) : ''],
        ['Run timeout', d.runTimeout && d.runTimeout !== '0s' ? d.runTimeout : ''],
        ['Execution timeout', d.executionTimeout && d.executionTimeout !== '0s' ? d.executionTimeout : ''],
        ['Parent', d.parent ? h('a', { href: link.run(ns, d.parent.workflowId, d.parent.runId) }, d.parent.workflowId) : ''],
      ]),
      d.memo ? h('details', { class: 'sub' }, h('summary', {}, 'Memo'), jsonBlock(mapVals(d.memo))) : null,
      d.searchAttributes ? h('details', { class: 'sub' }, h('summary', {}, 'Search attributes'), jsonBlock(mapVals(d.searchAttributes))) : null,
    ];
  }

  function ioData(events) {
    const first = events[0];
    const input = first && eventTypeName(first.eventType) === 'WorkflowExecutionStarted' ? eventAttributes(first).input : undefined;
    const last = events[events.length - 1];
    const closeType = last ? eventTypeName(last.eventType) : '';
    const closed = /^WorkflowExecution(Completed|Failed|TimedOut|Canceled|Terminated|ContinuedAsNew)$/.test(closeType);
    return { input: input === undefined ? undefined : payloadsValue(input), closeType: closed ? closeType : '', close: closed ? eventAttributes(last) : undefined };
  }

  function renderIo({ input, closeType, close }) {
    let title = 'Result';
    let body;
    if (!closeType) body = h('p', { class: 'muted' }, 'The run is still open.');
    else if (closeType === 'WorkflowExecutionCompleted') {
      const r = payloadsValue(close.result);
      body = jsonBlock(r.length === 1 ? r[0] : r.length ? r : null, { cls: 'result' });
    } else if (closeType === 'WorkflowExecutionFailed') {
      title = 'Failure';
      body = failureView(close.failure);
    } else if (closeType === 'WorkflowExecutionTerminated') {
      title = 'Terminated';
      body = [kvList([['Reason', close.reason || '—'], ['By', close.identity]]), close.details ? jsonBlock(payloadsValue(close.details)) : null];
    } else if (closeType === 'WorkflowExecutionCanceled') {
      title = 'Canceled';
      body = close.details ? jsonBlock(payloadsValue(close.details)) : h('p', { class: 'muted' }, 'Canceled, no details.');
    } else if (closeType === 'WorkflowExecutionTimedOut') {
      title = 'Timed out';
      body = kvList([['Retry state', enumName(close.retryState, 'RETRY_STATE_')]]);
    } else {
      title = 'Continued as new';
      body = [
        h('p', {}, 'Next run: ', h('a', { href: link.run(ns, id, close.newExecutionRunId), class: 'mono' }, close.newExecutionRunId)),
        close.input ? jsonBlock(payloadsValue(close.input)) : null,
      ];
    }
    return [
      section('Input', input === undefined ? h('p', { class: 'muted' }, '—') : jsonBlock(input.length === 1 ? input[0] : input, { cls: 'input' })),
      h('section', { class: 'card', id: 'run-result' }, h('h2', {}, title), body),
    ];
  }

  function renderPending({ acts, kids }) {
    if (!acts.length && !kids.length) return [];
    return [
      acts.length ? section(`Pending activities (${acts.length})`, table(
        ['Activity', 'Type', 'State', 'Attempt', 'Scheduled', 'Last started', 'Last heartbeat', 'Last failure'],
        acts.map((a) => [
          a.activityId ?? '', a.activityType?.name ?? '', enumName(a.state, 'PENDING_ACTIVITY_STATE_'),
          `${a.attempt ?? 1}${a.maximumAttempts ? ` / ${a.maximumAttempts}` : ''}`,
          timeEl(a.scheduledTime), timeEl(a.lastStartedTime), timeEl(a.lastHeartbeatTime),
          a.lastFailure?.message ?? '',
        ]), { cls: 'pending-activities' })) : null,
      kids.length ? section(`Pending child workflows (${kids.length})`, table(
        ['Workflow ID', 'Run ID', 'Type', 'Initiated by event'],
        kids.map((c) => [
          h('a', { href: link.run(ns, c.workflowId, c.runId) }, c.workflowId ?? ''),
          h('span', { class: 'mono small' }, c.runId ?? ''), c.workflowTypeName ?? '', c.initiatedId ?? '',
        ]), { cls: 'pending-children' })) : null,
    ];
  }
}

/** A Failure message as a readable block: message, type, stack, then its causes. */
function failureView(f) {
  if (!f) return h('p', { class: 'muted' }, 'No failure details.');
  const chain = [];
  for (let c = f, i = 0; c && i < 20; c = c.cause, i++) chain.push(c);
  return h('div', { class: 'failure' }, chain.map((c, i) => h('div', { class: 'failure-item' },
    h('div', {}, i ? h('span', { class: 'muted' }, 'caused by: ') : null, h('strong', {}, c.message || '(no message)')),
    kvList([
      ['Type', c.applicationFailureInfo?.type || Object.keys(c).find((k) => k.endsWith('FailureInfo'))?.replace(/FailureInfo$/, '')],
      ['Source', c.source],
      ['Non-retryable', c.applicationFailureInfo?.nonRetryable ? 'yes' : ''],
    ]),
    c.stackTrace ? h('pre', { class: 'stack-trace' }, c.stackTrace) : null)),
  h('details', { class: 'sub' }, h('summary', {}, 'Raw failure'), jsonBlock(f)));
}

/** Lookups a row's one-line detail needs: which activity / child / timer an event refers to. */
function eventIndex(events) {
  const byId = new Map();
  for (const e of events) byId.set(num(e.eventId), e);
  return byId;
}

/** One line of detail for an event, so the list reads without expanding every row. */
function eventDetail(ns, ev, byId) {
  const type = eventTypeName(ev.eventType);
  const a = eventAttributes(ev);
  const ref = (rid) => byId.get(num(rid));
  const actName = (rid) => {
    const s = ref(rid);
    const sa = s ? eventAttributes(s) : {};
    return sa.activityType?.name ? `${sa.activityType.name} #${sa.activityId}` : '';
  };
  switch (type) {
    case 'WorkflowExecutionStarted': return `${a.workflowType?.name ?? ''} on ${a.taskQueue?.name ?? ''}`;
    case 'WorkflowExecutionSignaled': return `signal ${a.signalName ?? ''}`;
    case 'WorkflowExecutionTerminated': return a.reason ? `reason: ${a.reason}` : '';
    case 'WorkflowExecutionFailed': return a.failure?.message ?? '';
    case 'WorkflowExecutionCancelRequested': return a.cause ?? '';
    case 'WorkflowExecutionContinuedAsNew': return `next run ${a.newExecutionRunId ?? ''}`;
    case 'ActivityTaskScheduled': return `${a.activityType?.name ?? ''} #${a.activityId ?? ''}`;
    case 'ActivityTaskStarted': return `${actName(a.scheduledEventId)}${a.attempt > 1 ? `, attempt ${a.attempt}` : ''}`;
    case 'ActivityTaskCompleted': case 'ActivityTaskTimedOut': case 'ActivityTaskCanceled': case 'ActivityTaskCancelRequested':
      return actName(a.scheduledEventId);
    case 'ActivityTaskFailed': return `${actName(a.scheduledEventId)}: ${a.failure?.message ?? ''}`;
    case 'TimerStarted': return `timer ${a.timerId ?? ''}, ${a.startToFireTimeout ?? ''}`;
    case 'TimerFired': case 'TimerCanceled': return `timer ${a.timerId ?? ''}`;
    case 'StartChildWorkflowExecutionInitiated':
      return [`${a.workflowType?.name ?? ''} `, h('a', { href: link.run(ns, a.workflowId ?? '') }, a.workflowId ?? '')];
    case 'MarkerRecorded': return a.markerName ?? '';
    case 'WorkflowExecutionUpdateAccepted': return a.acceptedRequest?.input?.name ? `update ${a.acceptedRequest.input.name}` : '';
    case 'SignalExternalWorkflowExecutionInitiated': return `signal ${a.signalName ?? ''} → ${a.workflowExecution?.workflowId ?? ''}`;
    default:
      if (type.startsWith('ChildWorkflowExecution') && a.workflowExecution?.workflowId) {
        const x = a.workflowExecution;
        return h('a', { href: link.run(ns, x.workflowId, x.runId) }, x.workflowId);
      }
      if (type === 'WorkflowTaskFailed' || type === 'WorkflowTaskTimedOut') return a.failure?.message ?? enumName(a.cause ?? a.timeoutType, '');
      return '';
  }
}

/**
 * One history event: a <details> whose summary is the row (id, time, elapsed, type, detail)
 * and whose body, the attributes as pretty JSON, is built on first open (large histories stay
 * light). <details> keeps its own open state, which is what "keep expanded rows expanded" needs.
 */
function eventRow(ns, ev, t0, byId) {
  const id = num(ev.eventId);
  const type = eventTypeName(ev.eventType);
  const t = toMs(ev.eventTime);
  const kind = /Failed|TimedOut|Terminated/.test(type) ? 'ev-bad' : /Completed|Fired/.test(type) ? 'ev-good' : '';
  const d = h('details', { class: ['event', kind], 'data-event-id': id, 'data-event-type': type, id: `event-${id}` },
    h('summary', {},
      h('span', { class: 'ev-id' }, String(id)),
      h('span', { class: 'ev-time' }, timeEl(ev.eventTime)),
      h('span', { class: 'ev-elapsed' }, t0 !== undefined && t !== undefined ? `+${fmtDuration(t - t0)}` : ''),
      h('span', { class: 'ev-type' }, type),
      h('span', { class: 'ev-detail' }, eventDetail(ns, ev, byId))));
  d.addEventListener('toggle', () => {
    if (d.open && !d.querySelector('.ev-body')) {
      // The attributes are what matters; other fields (links, user metadata...) follow if set.
      const extra = Object.fromEntries(Object.entries(ev).filter(([k]) =>
        !k.endsWith('EventAttributes') && !['eventId', 'eventTime', 'eventType', 'taskId', 'version'].includes(k)));
      d.append(h('div', { class: 'ev-body' }, jsonBlock(eventAttributes(ev)),
        Object.keys(extra).length ? jsonBlock(extra, { cls: 'ev-extra' }) : null));
    }
  });
  return d;
}
