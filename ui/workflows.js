// workflows.js: the workflows list of a namespace. The visibility query and page size live in
// the URL (#/namespaces/ns/workflows?query=...) so a filtered list is a shareable link; paging
// uses the opaque nextPageToken, kept in memory (a stack of tokens for "Previous").

import { countWorkflows, listWorkflows } from './api.js';
import { errorBox, fill, fmtDuration, h, link, section, statusBadge, table, timeEl, toMs } from './dom.js';

export const STATUSES = ['Running', 'Completed', 'Failed', 'Canceled', 'Terminated', 'TimedOut', 'ContinuedAsNew'];

const STATUS_CLAUSE = /ExecutionStatus\s*=\s*(['"])(\w+)\1/i;

/** The ExecutionStatus the query filters on, if it has one simple `ExecutionStatus='X'` clause. */
export function queryStatus(q) {
  return STATUS_CLAUSE.exec(q ?? '')?.[2];
}

/**
 * The query with its status clause set to `status` (or removed when `status` is the one already
 * there, so the buttons toggle). Other clauses are kept; a query with a top-level OR is wrapped
 * in parentheses so the added AND applies to all of it.
 */
export function toggleStatus(q, status) {
  q = (q ?? '').trim();
  const m = STATUS_CLAUSE.exec(q);
  const clause = `ExecutionStatus='${status}'`;
  if (m && m[2].toLowerCase() === status.toLowerCase()) {
    return q.replace(STATUS_CLAUSE, '')
      .replace(/^\s*and\s+/i, '')
      .replace(/\s+and\s*$/i, '')
      .replace(/\s+and\s+and\s+/i, ' AND ')
      .replace(/\(\s*\)/g, '')
      .trim();
  }
  if (m) return q.replace(STATUS_CLAUSE, clause);
  if (!q) return clause;
  return /\bor\b/i.test(q) ? `(${q}) AND ${clause}` : `${q} AND ${clause}`;
}

export async function workflowsPage(ctx, { ns, params }) {
  document.title = `Workflows · ${ns} · Sandglass`;
  const query = params.get('query') ?? '';
  const pageSize = Math.min(Math.max(Number(params.get('pageSize')) || 50, 1), 1000);
  const go = (q) => {
    location.hash = link.workflows(ns, q, params.has('pageSize') ? { pageSize } : {});
  };

  const input = h('input', {
    type: 'search', name: 'query', id: 'query', value: query, spellcheck: 'false', autocomplete: 'off',
    placeholder: "e.g. ExecutionStatus='Running' AND WorkflowType='orders'", 'aria-label': 'Visibility query',
  });
  const form = h('form', { class: 'query-form', onsubmit: (e) => { e.preventDefault(); go(input.value.trim()); } },
    input,
    h('button', { type: 'submit', class: 'btn btn-primary' }, 'Search'),
    query ? h('button', { type: 'button', class: 'btn', onclick: () => go('') }, 'Clear') : null);
  const active = queryStatus(query)?.toLowerCase();
  const filters = h('div', { class: 'status-filters', role: 'group', 'aria-label': 'Filter by status' },
    STATUSES.map((st) => h('button', {
      type: 'button',
      class: ['chip', `st-${st.toLowerCase()}`, active === st.toLowerCase() && 'active'],
      'aria-pressed': String(active === st.toLowerCase()),
      'data-status-filter': st,
      onclick: () => go(toggleStatus(input.value, st)),
    }, st)));
  const count = h('span', { class: 'count', id: 'workflow-count' });
  const results = h('div', { id: 'workflow-results' });
  const pager = h('div', { class: 'pager' });

  fill(ctx.root,
    h('div', { class: 'page-head' }, h('h1', {}, 'Workflows ', count),
      h('button', { type: 'button', class: 'btn', onclick: () => load(tokens[page]) }, 'Refresh')),
    form, filters,
    section(null, results, pager));

  // tokens[i] is the token that loads page i (undefined for the first page).
  const tokens = [undefined];
  let page = 0;

  async function loadCount() {
    try {
      const res = await countWorkflows(ns, query, { signal: ctx.signal });
      fill(count, `(${Number(res.count ?? 0)})`);
    } catch (err) {
      if (err.name !== 'AbortError') fill(count); // the list shows the error
    }
  }

  async function load(token) {
    results.setAttribute('aria-busy', 'true');
    try {
      const res = await listWorkflows(ns, { query, pageSize, nextPageToken: token }, { signal: ctx.signal });
      if (res.nextPageToken) tokens[page + 1] = res.nextPageToken;
      else tokens.length = page + 1;
      fill(results, renderTable(ns, res.executions ?? [], query));
      fill(pager,
        h('button', { type: 'button', class: 'btn', disabled: page === 0, 'data-page': 'prev', onclick: () => { page--; load(tokens[page]); } }, '‹ Previous'),
        h('span', { class: 'muted' }, `Page ${page + 1}`),
        h('button', { type: 'button', class: 'btn', disabled: !tokens[page + 1], 'data-page': 'next', onclick: () => { page++; load(tokens[page]); } }, 'Next ›'));
    } catch (err) {
      if (err.name === 'AbortError') return;
      fill(results, errorBox(err, { title: query ? 'The query failed' : 'Could not list workflows' }));
      fill(pager);
    } finally {
      results.removeAttribute('aria-busy');
    }
  }

  await Promise.all([load(undefined), loadCount()]);
}

function renderTable(ns, executions, query) {
  const rows = executions.map((x) => {
    const id = x.execution?.workflowId ?? '';
    const runId = x.execution?.runId ?? '';
    const start = toMs(x.startTime);
    const close = toMs(x.closeTime);
    return h('tr', { 'data-workflow-id': id, 'data-run-id': runId },
      h('td', {}, statusBadge(x.status)),
      h('td', {}, h('a', { href: link.run(ns, id, runId), class: 'wf-link' }, id)),
      h('td', {}, h('a', { href: link.run(ns, id, runId), class: 'mono small' }, runId)),
      h('td', {}, x.type?.name ?? ''),
      h('td', {}, timeEl(x.startTime)),
      h('td', {}, close ? timeEl(x.closeTime) : h('span', { class: 'muted' }, '—')),
      h('td', { class: 'num' }, start ? fmtDuration((close ?? Date.now()) - start) : ''));
  });
  return table(['Status', 'Workflow ID', 'Run ID', 'Type', 'Started', 'Closed', 'Duration'], rows, {
    cls: 'workflows',
    empty: query ? 'No workflow matches this query.' : 'No workflows in this namespace yet.',
  });
}
