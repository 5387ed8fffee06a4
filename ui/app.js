// app.js: the shell of the web UI — hash router, top bar with the namespace selector, and the
// two small pages (namespaces, task queue). The bigger pages live in their own modules.
//
// Routes are hash routes (#/namespaces/default/workflows/<id>/<runId>) so that every view is a
// shareable URL and the server only ever serves "/" and a few static files. Each page gets a
// PageContext; leaving the page disposes it, which aborts its in-flight requests and stops its
// live refresh, so a slow answer for an old page can never paint over the new one.

import { describeTaskQueue, listNamespaces } from './api.js';
import { enumName, errorBox, fill, h, kvList, link, section, table, timeEl } from './dom.js';
import { workflowsPage } from './workflows.js';
import { runPage } from './run.js';
import { schedulePage, schedulesPage } from './schedules.js';

/** What a page gets: where to draw, an abort signal, and a live-refresh loop. */
class PageContext {
  constructor(root) {
    this.root = root;
    this.ac = new AbortController();
    this.disposed = false;
    this.cleanups = [];
  }
  get signal() {
    return this.ac.signal;
  }
  /** Registers `fn` to run when the page is left. */
  onDispose(fn) {
    this.cleanups.push(fn);
  }
  /**
   * Calls `fn` every `ms` after the previous call finished (never overlapping), until `fn`
   * returns false or the page is left. Skipped while the tab is hidden: a forgotten tab should
   * not poll the server. Errors go to `onError` (the page shows them without losing its content).
   */
  live(fn, ms, onError) {
    let timer;
    const tick = async () => {
      if (this.disposed) return;
      if (!document.hidden) {
        try {
          if ((await fn()) === false) return;
        } catch (err) {
          if (err.name === 'AbortError' || this.disposed) return;
          onError?.(err);
        }
      }
      if (!this.disposed) timer = setTimeout(tick, ms);
    };
    timer = setTimeout(tick, ms);
    this.onDispose(() => clearTimeout(timer));
  }
  dispose() {
    this.disposed = true;
    this.ac.abort();
    for (const fn of this.cleanups.splice(0)) fn();
  }
}

// ---------------------------------------------------------------------------------------------
// Router.

/** '#/namespaces/a%2Fb/workflows?query=x' → {segs: ['namespaces', 'a/b', 'workflows'], params}. */
function parseHash() {
  const raw = location.hash.replace(/^#/, '');
  const qi = raw.indexOf('?');
  const path = qi < 0 ? raw : raw.slice(0, qi);
  const params = new URLSearchParams(qi < 0 ? '' : raw.slice(qi + 1));
  const segs = path.split('/').filter(Boolean).map((seg) => {
    try {
      return decodeURIComponent(seg);
    } catch {
      return seg;
    }
  });
  return { segs, params };
}

/** Returns [page function, args] for the current hash, or a redirect target. */
function match({ segs, params }) {
  const [a, ns, kind, id, runId, ...rest] = segs;
  if (!a) return { redirect: link.workflows(currentNamespace()) };
  if (a !== 'namespaces' || rest.length) return { page: notFoundPage };
  if (!ns) return { page: namespacesPage };
  if (!kind) return { redirect: link.workflows(ns) };
  if (kind === 'workflows' && !id) return { page: workflowsPage, args: { ns, params }, nav: 'workflows' };
  if (kind === 'workflows') return { page: runPage, args: { ns, id, runId }, nav: 'workflows' };
  if (kind === 'schedules' && !runId) {
    return id ? { page: schedulePage, args: { ns, id }, nav: 'schedules' } : { page: schedulesPage, args: { ns }, nav: 'schedules' };
  }
  if (kind === 'task-queues' && id && !runId) return { page: taskQueuePage, args: { ns, name: id }, nav: 'workflows' };
  return { page: notFoundPage };
}

let current; // the PageContext on screen
let seq = 0;

async function render() {
  const route = parseHash();
  const m = match(route);
  if (m.redirect) {
    location.replace(m.redirect); // replace: the bare URL should not stay in the back history
    return;
  }
  current?.dispose();
  const root = document.getElementById('view');
  const ctx = (current = new PageContext(fill(root)));
  const my = ++seq;
  const ns = route.segs[0] === 'namespaces' ? route.segs[1] : undefined;
  if (ns) rememberNamespace(ns);
  updateTopBar(ns, m.nav ?? (route.segs.length === 1 ? 'namespaces' : ''));
  root.setAttribute('aria-busy', 'true');
  try {
    await m.page(ctx, m.args ?? {});
  } catch (err) {
    if (err.name === 'AbortError' || ctx.disposed) return;
    fill(ctx.root, errorBox(err, { title: 'Could not load this page' }));
  } finally {
    if (my === seq) root.removeAttribute('aria-busy');
  }
}

// ---------------------------------------------------------------------------------------------
// Top bar: nav links follow the namespace in view; the selector switches namespace and stays
// on the same kind of page.

const NS_KEY = 'sandglass.namespace';

function currentNamespace() {
  try {
    return localStorage.getItem(NS_KEY) || 'default';
  } catch {
    return 'default'; // storage blocked: still usable
  }
}

function rememberNamespace(ns) {
  try {
    localStorage.setItem(NS_KEY, ns);
  } catch {
    /* storage blocked */
  }
}

let knownNamespaces = [];

function updateTopBar(ns, nav) {
  const shown = ns ?? currentNamespace();
  document.getElementById('nav-workflows').href = link.workflows(shown);
  document.getElementById('nav-schedules').href = link.schedules(shown);
  for (const a of document.querySelectorAll('.topbar nav a')) a.classList.toggle('active', a.dataset.nav === nav);
  const sel = document.getElementById('namespace-select');
  const names = knownNamespaces.includes(shown) ? knownNamespaces : [...knownNamespaces, shown];
  if ([...sel.options].map((o) => o.value).join('\n') !== names.join('\n')) {
    fill(sel, names.map((n) => h('option', { value: n }, n)));
  }
  sel.value = shown;
}

async function loadNamespaces() {
  try {
    const res = await listNamespaces();
    knownNamespaces = (res.namespaces ?? []).map((n) => n.namespaceInfo?.name).filter(Boolean).sort();
  } catch {
    knownNamespaces = []; // the page itself will show the error when it calls the API
  }
  const { segs } = parseHash();
  updateTopBar(segs[0] === 'namespaces' ? segs[1] : undefined, document.querySelector('.topbar nav a.active')?.dataset.nav ?? '');
}

function onNamespaceChange(e) {
  const ns = e.target.value;
  const { segs } = parseHash();
  // Same section in the other namespace; a run, schedule or task queue does not carry over.
  const kind = segs[0] === 'namespaces' && ['workflows', 'schedules'].includes(segs[2]) ? segs[2] : 'workflows';
  location.hash = kind === 'schedules' ? link.schedules(ns) : link.workflows(ns);
}

// ---------------------------------------------------------------------------------------------
// Small pages.

async function namespacesPage(ctx) {
  document.title = 'Namespaces · Sandglass';
  const res = await listNamespaces({ signal: ctx.signal });
  const rows = (res.namespaces ?? []).map((n) => {
    const name = n.namespaceInfo?.name ?? '';
    return h('tr', { 'data-namespace': name },
      h('td', {}, h('a', { href: link.workflows(name) }, name)),
      h('td', {}, enumName(n.namespaceInfo?.state, 'NAMESPACE_STATE_')),
      h('td', {}, n.namespaceInfo?.description || h('span', { class: 'muted' }, '—')),
      h('td', {}, n.config?.workflowExecutionRetentionTtl ?? ''),
      h('td', {}, h('a', { href: link.workflows(name) }, 'Workflows'), ' · ', h('a', { href: link.schedules(name) }, 'Schedules')));
  });
  fill(ctx.root,
    h('h1', {}, 'Namespaces'),
    section(null, table(['Name', 'State', 'Description', 'Retention', ''], rows, { empty: 'No namespaces.' })));
}

const TQ_TYPES = [
  ['TASK_QUEUE_TYPE_WORKFLOW', 'Workflow pollers'],
  ['TASK_QUEUE_TYPE_ACTIVITY', 'Activity pollers'],
];

async function taskQueuePage(ctx, { ns, name }) {
  document.title = `${name} · Task queue · Sandglass`;
  const body = h('div', {});
  const liveErr = h('div', {});
  fill(ctx.root,
    h('nav', { class: 'crumbs' }, h('a', { href: link.workflows(ns) }, ns), ' › task queues'),
    h('h1', {}, 'Task queue ', h('code', {}, name)),
    h('p', {}, h('a', { href: link.workflows(ns, `TaskQueue='${name.replace(/'/g, "\\'")}'`) }, 'Workflows on this task queue')),
    liveErr, body);

  async function load() {
    const results = await Promise.all(TQ_TYPES.map(([type]) => describeTaskQueue(ns, name, type, { signal: ctx.signal })));
    fill(liveErr);
    fill(body, results.map((res, i) => {
      const pollers = res.pollers ?? [];
      return section(`${TQ_TYPES[i][1]} (${pollers.length})`,
        h('div', { 'data-pollers': TQ_TYPES[i][0] },
          table(['Identity', 'Last poll', 'Rate per second'],
            pollers.map((p) => [p.identity ?? '', timeEl(p.lastAccessTime), p.ratePerSecond ?? '']),
            { empty: 'No worker has polled this task queue recently.' })),
        res.taskQueueStatus ? kvList([['Backlog', res.taskQueueStatus.backlogCountHint ?? '0']]) : null);
    }));
  }
  await load();
  ctx.live(load, 2000, (err) => fill(liveErr, errorBox(err, { title: 'Live update failed (retrying)' })));
}

function notFoundPage(ctx) {
  document.title = 'Not found · Sandglass';
  fill(ctx.root, h('h1', {}, 'Not found'), h('p', {}, 'No page here. ', h('a', { href: '#/namespaces' }, 'Namespaces')));
}

// ---------------------------------------------------------------------------------------------

document.getElementById('namespace-select').addEventListener('change', onNamespaceChange);
window.addEventListener('hashchange', render);
render();
loadNamespaces();
