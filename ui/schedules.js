// schedules.js: the schedules of a namespace, and one schedule's detail with pause / unpause /
// trigger / delete. The detail page refreshes every 2 s (recent and next actions move on their
// own), redrawing only the parts whose data changed.

import { deleteSchedule, describeSchedule, listSchedules, patchSchedule } from './api.js';
import {
  durationMs, enumName, errorBox, fill, h, jsonBlock, kvList, link, notify, openDialog, payloadsValue, section,
  statusBadge, table, timeEl,
} from './dom.js';

/** '3600s' → '1h', '90s' → '1m30s': compact, as schedule specs are usually written. */
function compactDuration(d) {
  const ms = durationMs(d);
  if (ms === undefined || Number.isNaN(ms)) return String(d ?? '');
  let sec = ms / 1000;
  if (sec < 1) return `${ms}ms`;
  const parts = [];
  for (const [unit, n] of [['d', 86400], ['h', 3600], ['m', 60]]) {
    if (sec >= n) {
      parts.push(`${Math.floor(sec / n)}${unit}`);
      sec %= n;
    }
  }
  if (sec) parts.push(`${Number.isInteger(sec) ? sec : sec.toFixed(3)}s`);
  return parts.join('');
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['', 'Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
/** Ranges that match everything (as the server spells a cron "*"): left out of the summary. */
const ALL = { second: [0, 59], minute: [0, 59], hour: [0, 23], dayOfMonth: [1, 31], month: [1, 12], dayOfWeek: [0, 6] };

/** StructuredCalendarSpec → 'minute=0,15,30 hour=9 dayOfWeek=Mon-Fri' (a missing field matches nothing). */
function calendarSummary(c) {
  const name = (f, v) => (f === 'dayOfWeek' ? DAYS[v] ?? v : f === 'month' ? MONTHS[v] ?? v : v);
  const parts = [];
  for (const f of ['second', 'minute', 'hour', 'dayOfMonth', 'month', 'year', 'dayOfWeek']) {
    const ranges = c[f] ?? [];
    if (!ranges.length) continue;
    const all = ALL[f];
    if (all && ranges.length === 1 && (ranges[0].start ?? 0) <= all[0] && (ranges[0].end ?? 0) >= all[1] && (ranges[0].step ?? 1) <= 1) continue;
    if (f === 'second' && ranges.length === 1 && !ranges[0].start && !ranges[0].end) continue; // second=0, the default
    parts.push(`${f}=${ranges.map((r) => {
      const start = r.start ?? 0;
      const end = r.end && r.end > start ? `-${name(f, r.end)}` : '';
      const step = r.step && r.step > 1 ? `/${r.step}` : '';
      return `${name(f, start)}${end}${step}`;
    }).join(',')}`);
  }
  return (parts.join(' ') || 'every second') + (c.comment ? ` (${c.comment})` : '');
}

/** A ScheduleSpec in one line: 'every 1h; cron "0 9 * * 1-5"; ...'. */
export function specSummary(spec) {
  if (!spec) return '';
  const parts = [];
  for (const i of spec.interval ?? []) parts.push(`every ${compactDuration(i.interval)}${i.phase && durationMs(i.phase) ? ` (offset ${compactDuration(i.phase)})` : ''}`);
  for (const c of spec.cronString ?? []) parts.push(`cron "${c}"`);
  for (const c of spec.structuredCalendar ?? []) parts.push(`calendar ${calendarSummary(c)}`);
  for (const c of spec.calendar ?? []) {
    parts.push(`calendar ${['second', 'minute', 'hour', 'dayOfMonth', 'month', 'year', 'dayOfWeek'].filter((f) => c[f]).map((f) => `${f}=${c[f]}`).join(' ')}`);
  }
  if (spec.excludeStructuredCalendar?.length || spec.excludeCalendar?.length) parts.push('with exclusions');
  if (spec.timezoneName) parts.push(`time zone ${spec.timezoneName}`);
  if (spec.jitter && durationMs(spec.jitter)) parts.push(`jitter ${compactDuration(spec.jitter)}`);
  return parts.join('; ') || 'no times (trigger only)';
}

export async function schedulesPage(ctx, { ns }) {
  document.title = `Schedules · ${ns} · Sandglass`;
  const body = h('div', {});
  const more = h('div', { class: 'pager' });
  fill(ctx.root, h('h1', {}, 'Schedules'), section(null, body, more));
  const rows = [];
  async function load(token) {
    const res = await listSchedules(ns, { pageSize: 100, nextPageToken: token }, { signal: ctx.signal });
    for (const sc of res.schedules ?? []) {
      const info = sc.info ?? {};
      const last = info.recentActions?.[info.recentActions.length - 1];
      rows.push(h('tr', { 'data-schedule-id': sc.scheduleId },
        h('td', {}, h('a', { href: link.schedule(ns, sc.scheduleId) }, sc.scheduleId)),
        h('td', {}, info.paused ? h('span', { class: 'badge st-paused' }, 'Paused') : h('span', { class: 'badge st-running' }, 'Active')),
        h('td', {}, info.workflowType?.name ?? ''),
        h('td', {}, specSummary(info.spec)),
        h('td', {}, last ? timeEl(last.actualTime ?? last.scheduleTime) : h('span', { class: 'muted' }, '—')),
        h('td', {}, info.futureActionTimes?.length ? timeEl(info.futureActionTimes[0]) : h('span', { class: 'muted' }, '—'))));
    }
    fill(body, table(['Schedule ID', 'State', 'Workflow type', 'Spec', 'Last action', 'Next action'], rows, { empty: 'No schedules in this namespace.' }));
    fill(more, res.nextPageToken ? h('button', { type: 'button', class: 'btn', onclick: () => load(res.nextPageToken) }, 'Load more') : null);
  }
  await load(undefined);
}

export async function schedulePage(ctx, { ns, id }) {
  document.title = `${id} · Schedule · Sandglass`;
  const state = h('span', { id: 'schedule-state' });
  const liveErr = h('div', {});
  const info = h('div', { id: 'schedule-info' });
  const actions = h('div', { id: 'schedule-actions', class: 'two-col' });
  const raw = h('div', {});
  const pauseBtn = h('button', { type: 'button', class: 'btn', 'data-action': 'pause', onclick: togglePause }, 'Pause');
  fill(ctx.root,
    h('nav', { class: 'crumbs' }, h('a', { href: link.schedules(ns) }, ns), ' › ', h('a', { href: link.schedules(ns) }, 'schedules'), ' › ', id),
    h('div', { class: 'page-head' },
      h('h1', {}, h('span', { class: 'wf-id' }, id), ' ', state),
      h('div', { class: 'toolbar' },
        pauseBtn,
        h('button', { type: 'button', class: 'btn', 'data-action': 'trigger', onclick: trigger }, 'Trigger now'),
        h('button', { type: 'button', class: 'btn btn-danger-outline', 'data-action': 'delete', onclick: remove }, 'Delete…'))),
    liveErr,
    section('Schedule', info),
    actions,
    raw);

  let paused = false;
  const keyed = (el, data, render) => {
    const key = JSON.stringify(data);
    if (el.dataset.key !== key) {
      el.dataset.key = key;
      fill(el, render(data));
    }
  };

  async function load() {
    const res = await describeSchedule(ns, id, { signal: ctx.signal });
    const sc = res.schedule ?? {};
    const inf = res.info ?? {};
    paused = !!sc.state?.paused;
    fill(liveErr);
    keyed(state, paused, (p) => (p ? h('span', { class: 'badge st-paused', 'data-status': 'Paused' }, 'Paused') : h('span', { class: 'badge st-running', 'data-status': 'Active' }, 'Active')));
    pauseBtn.textContent = paused ? 'Unpause' : 'Pause';
    pauseBtn.dataset.action = paused ? 'unpause' : 'pause';
    const sw = sc.action?.startWorkflow ?? {};
    keyed(info, { sc, created: inf.createTime, updated: inf.updateTime, count: inf.actionCount, skipped: inf.overlapSkipped, missed: inf.missedCatchupWindow }, (d) => [
      kvList([
        ['Spec', specSummary(d.sc.spec)],
        ['State', paused ? 'paused' : 'active'],
        ['Notes', d.sc.state?.notes],
        ['Remaining actions', d.sc.state?.limitedActions ? String(d.sc.state.remainingActions ?? 0) : ''],
        ['Workflow type', sw.workflowType?.name],
        ['Workflow ID', sw.workflowId ? h('span', { class: 'mono' }, `${sw.workflowId}-<time>`) : ''],
        ['Task queue', sw.taskQueue?.name ? h('a', { href: link.taskQueue(ns, sw.taskQueue.name) }, sw.taskQueue.name) : ''],
        ['Overlap policy', enumName(d.sc.policies?.overlapPolicy, 'SCHEDULE_OVERLAP_POLICY_')],
        ['Catch-up window', d.sc.policies?.catchupWindow ? compactDuration(d.sc.policies.catchupWindow) : ''],
        ['Pause on failure', d.sc.policies?.pauseOnFailure ? 'yes' : ''],
        ['Actions taken', String(d.count ?? 0)],
        ['Skipped (overlap)', d.skipped ? String(d.skipped) : ''],
        ['Missed catch-up window', d.missed ? String(d.missed) : ''],
        ['Created', d.created ? timeEl(d.created) : ''],
        ['Updated', d.updated ? timeEl(d.updated) : ''],
      ]),
      sw.input ? h('details', { class: 'sub' }, h('summary', {}, 'Workflow input'), jsonBlock(payloadsValue(sw.input))) : null,
    ]);
    keyed(actions, { recent: inf.recentActions ?? [], next: inf.futureActionTimes ?? [], running: inf.runningWorkflows ?? [] }, (d) => [
      section('Recent actions', table(['Scheduled for', 'Taken at', 'Workflow', 'Status'],
        [...d.recent].reverse().map((a) => [
          timeEl(a.scheduleTime), timeEl(a.actualTime),
          a.startWorkflowResult ? h('a', { href: link.run(ns, a.startWorkflowResult.workflowId, a.startWorkflowResult.runId) }, a.startWorkflowResult.workflowId) : '',
          a.startWorkflowStatus ? statusBadge(a.startWorkflowStatus) : '',
        ]), { cls: 'recent-actions', empty: 'No action taken yet.' }),
        d.running.length ? h('p', {}, 'Running now: ', d.running.map((r, i) => [i ? ', ' : '', h('a', { href: link.run(ns, r.workflowId, r.runId) }, r.workflowId)])) : null),
      section('Next actions', d.next.length
        ? h('ol', { class: 'next-actions' }, d.next.map((t) => h('li', {}, timeEl(t))))
        : h('p', { class: 'muted' }, paused ? 'None while paused.' : 'None scheduled.')),
    ]);
    keyed(raw, res.schedule, (s) => h('details', { class: 'sub card' }, h('summary', {}, 'Full definition (JSON)'), jsonBlock(s)));
  }

  async function togglePause() {
    const pausing = !paused;
    const v = await openDialog({
      title: pausing ? 'Pause this schedule?' : 'Unpause this schedule?',
      message: pausing ? 'No action is taken while it is paused; it can be unpaused at any time.' : 'Actions resume from the next matching time.',
      fields: [{ name: 'note', label: 'Note', value: pausing ? 'paused from the web UI' : 'unpaused from the web UI' }],
      confirmLabel: pausing ? 'Pause' : 'Unpause',
    });
    if (!v) return;
    await act(pausing ? 'Pause' : 'Unpause', pausing ? 'Schedule paused' : 'Schedule unpaused', () => patchSchedule(ns, id, pausing ? { pause: v.note } : { unpause: v.note }, { signal: ctx.signal }));
  }

  async function trigger() {
    await act('Trigger', 'Action triggered', () => patchSchedule(ns, id, { triggerImmediately: {} }, { signal: ctx.signal }));
  }

  async function remove() {
    const v = await openDialog({
      title: 'Delete this schedule?',
      message: `The schedule ${id} is removed; workflows it already started keep running. This cannot be undone.`,
      confirmLabel: 'Delete',
      danger: true,
    });
    if (!v) return;
    try {
      await deleteSchedule(ns, id, { signal: ctx.signal });
      notify('Schedule deleted');
      location.hash = link.schedules(ns);
    } catch (ex) {
      if (ex.name !== 'AbortError') notify(`Delete failed: ${ex.message}`, 'error');
    }
  }

  async function act(what, done, call) {
    try {
      await call();
      notify(done);
      await refresh().catch((err) => {
        if (err.name !== 'AbortError') fill(liveErr, errorBox(err, { title: 'Refresh failed' }));
      });
    } catch (ex) {
      if (ex.name !== 'AbortError') notify(`${what} failed: ${ex.message}`, 'error');
    }
  }

  // Loads are queued, never concurrent, so a live refresh that started before an action cannot
  // paint the state from before it over the state after it.
  let chain = Promise.resolve();
  const refresh = () => (chain = chain.catch(() => {}).then(() => (ctx.disposed ? undefined : load())));

  await refresh();
  ctx.live(refresh, 2000, (err) => fill(liveErr, errorBox(err, { title: 'Live update failed (retrying)' })));
}
