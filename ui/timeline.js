// timeline.js: an SVG chart of a run's activities, timers and child workflows over time, built
// from the history alone (so it works for closed runs too). Each item is a bar from its
// scheduled/started event to its completed/failed/fired event; items still open run up to
// "now" (or to the workflow's close). Bars link back to their event in the history list.

import { durationMs, eventAttributes, eventTypeName, fmtDuration, fmtTime, num, s, h, toMs } from './dom.js';

const ROW_H = 22;
const BAR_H = 14;
const AXIS_H = 24;
const MAX_ROWS = 300; // beyond this the chart is unreadable anyway; say how many were left out

const CLOSE_STATE = {
  ActivityTaskCompleted: 'completed', ActivityTaskFailed: 'failed', ActivityTaskTimedOut: 'timedout', ActivityTaskCanceled: 'canceled',
  TimerFired: 'completed', TimerCanceled: 'canceled',
  ChildWorkflowExecutionCompleted: 'completed', ChildWorkflowExecutionFailed: 'failed', ChildWorkflowExecutionTimedOut: 'timedout',
  ChildWorkflowExecutionCanceled: 'canceled', ChildWorkflowExecutionTerminated: 'terminated', StartChildWorkflowExecutionFailed: 'failed',
};

const WF_CLOSE_STATE = {
  WorkflowExecutionCompleted: 'completed', WorkflowExecutionFailed: 'failed', WorkflowExecutionTimedOut: 'timedout',
  WorkflowExecutionCanceled: 'canceled', WorkflowExecutionTerminated: 'terminated', WorkflowExecutionContinuedAsNew: 'completed',
};

/**
 * Items of the chart from a history: {kind, label, start, started, end, state, eventId}.
 * `pending` (DescribeWorkflowExecution's pendingActivities) fills in what the history cannot
 * say yet: an activity's ActivityTaskStarted event is only written when the attempt ends, so a
 * running or retrying activity is known only from its pending info.
 */
export function timelineItems(events, pending = []) {
  const byId = new Map(); // scheduled/started/initiated event id → item
  const items = [];
  const wf = { kind: 'workflow', label: 'workflow', start: undefined, end: undefined, state: 'running', eventId: 1, marks: [] };
  for (const ev of events) {
    const type = eventTypeName(ev.eventType);
    const a = eventAttributes(ev);
    const t = toMs(ev.eventTime);
    const id = num(ev.eventId);
    if (type === 'WorkflowExecutionStarted') {
      wf.start = t;
      wf.label = a.workflowType?.name ? `workflow ${a.workflowType.name}` : 'workflow';
    } else if (WF_CLOSE_STATE[type]) {
      wf.end = t;
      wf.state = WF_CLOSE_STATE[type];
    } else if (type === 'WorkflowExecutionSignaled') {
      wf.marks.push({ t, title: `signal ${a.signalName ?? ''} (event ${id})`, eventId: id });
    } else if (type === 'ActivityTaskScheduled') {
      const it = { kind: 'activity', label: `${a.activityType?.name ?? 'activity'} #${a.activityId ?? ''}`, start: t, state: 'scheduled', eventId: id, activityId: a.activityId };
      byId.set(id, it);
      items.push(it);
    } else if (type === 'TimerStarted') {
      const d = durationMs(a.startToFireTimeout);
      const it = { kind: 'timer', label: `timer ${a.timerId ?? ''}${d !== undefined ? ` (${fmtDuration(d)})` : ''}`, start: t, state: 'running', eventId: id };
      byId.set(id, it);
      items.push(it);
    } else if (type === 'StartChildWorkflowExecutionInitiated') {
      const it = { kind: 'child', label: `child ${a.workflowType?.name ?? ''} ${a.workflowId ?? ''}`, start: t, state: 'scheduled', eventId: id };
      byId.set(id, it);
      items.push(it);
    } else if (type === 'ActivityTaskStarted' || type === 'ChildWorkflowExecutionStarted') {
      const it = byId.get(num(a.scheduledEventId ?? a.initiatedEventId));
      if (it) {
        it.started = t;
        it.state = 'running';
        if (a.attempt > 1) it.attempt = a.attempt;
      }
    } else if (CLOSE_STATE[type]) {
      // Each family names its opening event differently (child close events carry a
      // startedEventId too, which is not the one to follow).
      const ref = type.startsWith('Activity') ? a.scheduledEventId : type.startsWith('Timer') ? a.startedEventId : a.initiatedEventId;
      const it = byId.get(num(ref));
      if (it) {
        it.end = t;
        it.state = CLOSE_STATE[type];
      }
    }
  }
  const pendingById = new Map(pending.map((p) => [p.activityId, p]));
  for (const it of items) {
    const p = it.kind === 'activity' && it.end === undefined ? pendingById.get(it.activityId) : undefined;
    if (!p) continue;
    if (p.attempt > 1) it.attempt = p.attempt;
    if (p.state === 'PENDING_ACTIVITY_STATE_STARTED' && p.lastStartedTime) {
      it.started = toMs(p.lastStartedTime);
      it.state = 'running';
    } else if (p.attempt > 1) {
      it.state = 'retrying';
      if (p.lastFailure?.message) it.note = `last failure: ${p.lastFailure.message}`;
    }
  }
  return { wf, items };
}

/** Round tick steps, in ms. */
const STEPS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1e3, 2e3, 5e3, 1e4, 15e3, 3e4, 6e4, 12e4, 3e5, 6e5, 9e5, 18e5, 36e5, 72e5, 108e5, 216e5, 432e5, 864e5, 1728e5, 6048e5];

/**
 * The chart element for `events`. `now` bounds open items; `open` says the run is still going;
 * `onPick(eventId)` is called when a bar is clicked; `width` is the pixel width to draw at.
 */
export function renderTimeline(events, { now, open, onPick, width, pending }) {
  const { wf, items } = timelineItems(events, pending);
  if (wf.start === undefined) return h('p', { class: 'muted empty' }, 'No history yet.');
  const lastEvent = toMs(events[events.length - 1]?.eventTime) ?? wf.start;
  const end = wf.end ?? Math.max(now, lastEvent);
  const rows = [wf, ...items.slice(0, MAX_ROWS)];
  const labelW = Math.min(260, Math.max(140, Math.round(width * 0.28)));
  const chartW = Math.max(100, width - labelW - 12);
  const t0 = wf.start;
  const span = Math.max(end - t0, 1);
  const x = (t) => labelW + ((Math.min(Math.max(t, t0), end) - t0) / span) * chartW;
  const height = AXIS_H + rows.length * ROW_H + 6;

  const svg = s('svg', { class: 'timeline', width, height, viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': 'Timeline of activities, timers and child workflows' });

  // Axis: round steps, about one label per 110 px.
  const step = STEPS.find((st) => (span / st) * 110 <= chartW) ?? STEPS[STEPS.length - 1];
  for (let k = 0; k * step <= span; k++) {
    const xx = x(t0 + k * step);
    svg.append(s('line', { class: 'tl-grid', x1: xx, x2: xx, y1: AXIS_H - 4, y2: height }));
    if (xx + 50 <= width) svg.append(s('text', { class: 'tl-tick', x: xx + 3, y: AXIS_H - 10 }, k === 0 ? '0' : `+${fmtDuration(k * step)}`));
  }

  rows.forEach((it, i) => {
    const y = AXIS_H + i * ROW_H;
    const itemEnd = it.end ?? end;
    const g = s('g', { class: ['tl-row', `tl-kind-${it.kind}`], 'data-kind': it.kind, 'data-state': it.state, 'data-event-id': it.eventId });
    const open = it.end === undefined;
    const tip = [
      it.label,
      `${it.state}${open ? ' (open)' : ''}${it.attempt ? `, attempt ${it.attempt}` : ''}`,
      `${fmtTime(it.start)} → ${open ? 'now' : fmtTime(it.end)} (${fmtDuration(itemEnd - it.start)})`,
      it.started !== undefined && it.kind !== 'workflow'
        ? `${it.attempt ? 'earlier attempts and backoff' : 'waited'} ${fmtDuration(it.started - it.start)} before ${it.attempt ? 'this attempt' : 'starting'}`
        : '',
      it.note ?? '',
    ].filter(Boolean).join('\n');
    g.append(s('title', {}, tip));
    if (i % 2) g.append(s('rect', { class: 'tl-stripe', x: 0, y, width, height: ROW_H }));
    const maxChars = Math.floor((labelW - 8) / 6.6);
    const label = it.label.length > maxChars ? `${it.label.slice(0, maxChars - 1)}…` : it.label;
    g.append(s('text', { class: 'tl-label', x: 4, y: y + ROW_H / 2 + 4 }, label));
    const by = y + (ROW_H - BAR_H) / 2;
    const bar = (from, to, cls) => s('rect', { class: cls, x: x(from), y: by, width: Math.max(2, x(to) - x(from)), height: BAR_H, rx: 2 });
    // Before the (last) attempt started: pale while waiting for a worker, amber when earlier
    // attempts failed and were retried; then the attempt itself in its outcome's colour.
    const before = it.attempt ? 'tl-retry' : 'tl-wait';
    if (it.started !== undefined && it.started > it.start) {
      g.append(bar(it.start, it.started, `tl-bar ${before}`), bar(it.started, itemEnd, `tl-bar tl-${it.state}`));
    } else {
      const cls = it.state === 'scheduled' ? 'tl-wait' : it.state === 'retrying' ? 'tl-retry' : `tl-${it.state}`;
      g.append(bar(it.start, itemEnd, `tl-bar ${cls}`));
    }
    for (const m of it.marks ?? []) {
      const mx = x(m.t);
      g.append(s('path', { class: 'tl-mark', d: `M${mx} ${by - 2} l4 ${BAR_H / 2 + 2} l-4 ${BAR_H / 2 + 2} l-4 ${-BAR_H / 2 - 2} z` }, s('title', {}, m.title)));
    }
    if (onPick) {
      g.addEventListener('click', () => onPick(it.eventId));
      g.style.cursor = 'pointer';
    }
    svg.append(g);
  });

  if (open) {
    const xn = x(end);
    svg.append(s('line', { class: 'tl-now', x1: xn, x2: xn, y1: AXIS_H - 4, y2: height }, s('title', {}, 'now')));
  }

  const legend = h('div', { class: 'tl-legend' },
    [['completed', 'completed'], ['running', 'running'], ['wait', 'scheduled, not started'], ['retry', 'earlier attempts / retrying'],
      ['failed', 'failed'], ['timedout', 'timed out'], ['canceled', 'canceled'], ['terminated', 'terminated']].map(([st, label]) =>
      h('span', {}, h('i', { class: `tl-swatch tl-${st}` }), label)),
    items.length > MAX_ROWS ? h('span', { class: 'muted' }, `${items.length - MAX_ROWS} more items not drawn`) : null,
    items.length === 0 ? h('span', { class: 'muted' }, 'no activities, timers or child workflows') : null);
  return h('div', { class: 'tl-wrap' }, svg, legend);
}
