// dom.js: small DOM and formatting helpers shared by the pages. Everything the server sends is
// put into the page with textContent / attributes, never as HTML, so workflow ids, payloads and
// error messages cannot inject markup.

const SVG_NS = 'http://www.w3.org/2000/svg';

function build(el, attrs, children) {
  for (const [k, v] of Object.entries(attrs ?? {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') el.setAttribute('class', Array.isArray(v) ? v.filter(Boolean).join(' ') : v);
    else if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k === 'value' || k === 'checked' || k === 'selected' || k === 'disabled') el[k] = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === undefined || c === null || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

/** h('a', {href, class, onclick}, ...children): an HTML element. */
export const h = (tag, attrs, ...children) => build(document.createElement(tag), attrs, children);

/** s('rect', {...}): an SVG element. */
export const s = (tag, attrs, ...children) => build(document.createElementNS(SVG_NS, tag), attrs, children);

/** Replaces the children of `el`. */
export function fill(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

// ---------------------------------------------------------------------------------------------
// Values from proto3 JSON.

/** int64 fields arrive as strings ("42"); Number() is exact for any event id we will see. */
export const num = (v) => (v === undefined || v === null || v === '' ? undefined : Number(v));

/**
 * Enum value → readable name: 'WORKFLOW_EXECUTION_STATUS_RUNNING' with prefix
 * 'WORKFLOW_EXECUTION_STATUS_' → 'Running'; 'EVENT_TYPE_ACTIVITY_TASK_SCHEDULED' →
 * 'ActivityTaskScheduled'. Numbers are shown as they are.
 */
export function enumName(v, prefix) {
  if (v === undefined || v === null || v === '') return '';
  if (typeof v !== 'string') return String(v);
  const rest = v.startsWith(prefix) ? v.slice(prefix.length) : v;
  if (!/^[A-Z0-9_]+$/.test(rest)) return rest;
  return rest.toLowerCase().replace(/(^|_)([a-z0-9])/g, (_, __, c) => c.toUpperCase());
}

export const statusName = (v) => enumName(v, 'WORKFLOW_EXECUTION_STATUS_');
export const eventTypeName = (v) => enumName(v, 'EVENT_TYPE_');

/** The `...EventAttributes` object of a history event, whatever its type. */
export function eventAttributes(ev) {
  for (const [k, v] of Object.entries(ev)) if (k.endsWith('EventAttributes')) return v ?? {};
  return {};
}

function b64ToText(b64) {
  const bin = atob(b64);
  const bytes = Uint8Array.from(bin, (c) => c.charCodeAt(0));
  return new TextDecoder().decode(bytes);
}

/**
 * A payload as a JSON value. The API already shows json/plain payloads as plain values; others
 * arrive as {metadata: {encoding: <base64>}, data: <base64>}: decode what we can and show the
 * rest with its encoding named, rather than as opaque base64.
 */
export function payloadValue(p) {
  if (!p || typeof p !== 'object' || Array.isArray(p) || !('metadata' in p)) return p;
  try {
    const encoding = p.metadata?.encoding ? b64ToText(p.metadata.encoding) : '';
    if (encoding === 'binary/null') return null;
    if (encoding === 'json/plain' || encoding === 'json/protobuf') return JSON.parse(b64ToText(p.data ?? ''));
    return { encoding, data: p.data ?? '' };
  } catch {
    return p;
  }
}

/** Payloads (a JSON array in shorthand, or {payloads: [...]}) → array of values. */
export function payloadsValue(p) {
  if (p === undefined || p === null) return [];
  if (Array.isArray(p)) return p.map(payloadValue);
  if (Array.isArray(p.payloads)) return p.payloads.map(payloadValue);
  return [payloadValue(p)];
}

// ---------------------------------------------------------------------------------------------
// Time.

const pad = (n, w = 2) => String(n).padStart(w, '0');

export const toMs = (ts) => (ts ? Date.parse(ts) : undefined);

/** RFC 3339 timestamp → local 'YYYY-MM-DD HH:MM:SS.mmm' (what fits in a table column). */
export function fmtTime(ts) {
  const ms = typeof ts === 'number' ? ts : toMs(ts);
  if (ms === undefined || Number.isNaN(ms)) return '';
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

/** A <time> element: local time shown, UTC ISO in the tooltip. */
export function timeEl(ts) {
  const ms = typeof ts === 'number' ? ts : toMs(ts);
  if (ms === undefined || Number.isNaN(ms)) return h('span', { class: 'muted' }, '—');
  const iso = new Date(ms).toISOString();
  return h('time', { datetime: iso, title: iso }, fmtTime(ms));
}

/** Milliseconds → '850 ms', '12.3 s', '4 m 05 s', '2 h 03 m', '3 d 04 h'. */
export function fmtDuration(ms) {
  if (ms === undefined || ms === null || Number.isNaN(ms)) return '';
  if (ms < 0) ms = 0;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const sec = ms / 1000;
  if (sec < 60) return `${sec < 10 ? sec.toFixed(1) : Math.round(sec)} s`;
  const m = Math.floor(sec / 60);
  if (m < 60) return `${m} m ${pad(Math.floor(sec % 60))} s`;
  const hr = Math.floor(m / 60);
  if (hr < 48) return `${hr} h ${pad(m % 60)} m`;
  return `${Math.floor(hr / 24)} d ${pad(hr % 24)} h`;
}

/** A proto Duration string ('3600s', '1.5s') → milliseconds. */
export const durationMs = (d) => (typeof d === 'string' && d.endsWith('s') ? Number(d.slice(0, -1)) * 1000 : undefined);

// ---------------------------------------------------------------------------------------------
// Pieces of page.

/**
 * Pretty JSON with light syntax colouring, built from spans (never innerHTML). The tokenizer
 * runs over JSON.stringify's own output, so it only ever sees valid JSON.
 */
export function jsonBlock(value, { cls = '' } = {}) {
  const pre = h('pre', { class: ['json', cls] });
  if (value === undefined) {
    pre.append(h('span', { class: 'muted' }, '(none)'));
    return pre;
  }
  const text = JSON.stringify(value, null, 2) ?? String(value);
  const re = /("(?:\\.|[^"\\])*")(\s*:)?|\b(true|false|null)\b|(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)/g;
  let last = 0;
  for (let m; (m = re.exec(text)); ) {
    if (m.index > last) pre.append(text.slice(last, m.index));
    if (m[1] !== undefined) {
      pre.append(h('span', { class: m[2] ? 'j-key' : 'j-str' }, m[1]));
      if (m[2]) pre.append(m[2]);
    } else if (m[3] !== undefined) pre.append(h('span', { class: 'j-lit' }, m[3]));
    else pre.append(h('span', { class: 'j-num' }, m[4]));
    last = re.lastIndex;
  }
  if (last < text.length) pre.append(text.slice(last));
  return pre;
}

/** Status → a coloured badge ('Running', 'Failed', ...). */
export function statusBadge(status) {
  const name = typeof status === 'string' && status.startsWith('WORKFLOW_EXECUTION_STATUS_') ? statusName(status) : String(status || 'Unknown');
  return h('span', { class: ['badge', `st-${name.toLowerCase()}`], 'data-status': name }, name);
}

/** An error (ApiError or other) as a readable box. */
export function errorBox(err, { title } = {}) {
  const lines = [];
  if (err?.name === 'ApiError') {
    const where = err.status ? `HTTP ${err.status}${err.codeName ? `, ${err.codeName}` : ''}` : 'no answer';
    lines.push(h('div', { class: 'err-meta' }, `${err.method ?? 'GET'} /api/v1/${err.path ?? ''} — ${where}`));
    if (err.details?.length) lines.push(h('div', { class: 'err-meta' }, err.details.join(', ')));
  }
  return h('div', { class: 'error', role: 'alert' },
    h('strong', {}, title ?? 'Error'), ': ', err?.message ?? String(err), lines);
}

/** A section with a heading. */
export function section(title, ...children) {
  return h('section', { class: 'card' }, title ? h('h2', {}, title) : null, children);
}

/** A definition list from [label, value] pairs (values: string or Node; empty ones skipped). */
export function kvList(pairs) {
  return h('dl', { class: 'kv' }, pairs.filter(([, v]) => v !== undefined && v !== null && v !== '').map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]));
}

/** A table from column headers and rows of cells. */
export function table(headers, rows, { cls, empty = 'Nothing to show.' } = {}) {
  if (!rows.length) return h('p', { class: 'muted empty' }, empty);
  return h('table', { class: ['grid', cls] },
    h('thead', {}, h('tr', {}, headers.map((x) => h('th', {}, x)))),
    h('tbody', {}, rows.map((r) => (r instanceof Node ? r : h('tr', {}, r.map((c) => h('td', {}, c)))))));
}

// ---------------------------------------------------------------------------------------------
// Dialogs and notices.

/**
 * A modal dialog (native <dialog>). `fields`: [{name, label, value, type: 'text'|'textarea'|
 * 'select', options: [{value, label}]}]. Resolves with the field values on confirm, or null on
 * cancel / Escape. Destructive actions pass `danger` so the confirm button is red.
 */
export function openDialog({ title, message, fields = [], confirmLabel = 'OK', danger = false }) {
  return new Promise((resolve) => {
    const inputs = {};
    const form = h('form', { method: 'dialog', class: 'dialog-form' },
      h('h2', {}, title),
      message ? h('p', {}, message) : null,
      fields.map((f) => {
        let input;
        if (f.type === 'select') {
          input = h('select', { name: f.name }, f.options.map((o) => h('option', { value: o.value }, o.label)));
          if (f.value !== undefined) input.value = f.value;
        } else if (f.type === 'textarea') {
          input = h('textarea', { name: f.name, rows: 4, spellcheck: 'false' });
          input.value = f.value ?? '';
        } else {
          input = h('input', { name: f.name, type: 'text', value: f.value ?? '', autocomplete: 'off' });
        }
        inputs[f.name] = input;
        return h('label', { class: 'field' }, h('span', {}, f.label), input);
      }),
      h('div', { class: 'dialog-buttons' },
        h('button', { type: 'button', class: 'btn', value: 'cancel', onclick: () => dlg.close('cancel') }, 'Cancel'),
        h('button', { type: 'submit', class: ['btn', danger ? 'btn-danger' : 'btn-primary'], value: 'ok', 'data-confirm': '' }, confirmLabel)));
    const dlg = h('dialog', { class: 'dialog' }, form);
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      dlg.close('ok');
    });
    dlg.addEventListener('close', () => {
      const values = Object.fromEntries(Object.entries(inputs).map(([k, el]) => [k, el.value]));
      dlg.remove();
      resolve(dlg.returnValue === 'ok' ? values : null);
    });
    document.body.append(dlg);
    dlg.showModal();
    (Object.values(inputs)[0] ?? form.querySelector('[data-confirm]')).focus();
  });
}

/** A short notice in the corner (action done / failed); removes itself. */
export function notify(message, kind = 'ok') {
  let box = document.getElementById('notices');
  if (!box) document.body.append((box = h('div', { id: 'notices', 'aria-live': 'polite' })));
  const el = h('div', { class: ['notice', `notice-${kind}`], role: kind === 'error' ? 'alert' : 'status' }, message);
  box.append(el);
  setTimeout(() => el.remove(), kind === 'error' ? 8000 : 4000);
}

/** Parses a textarea of JSON arguments: empty → [], an array → its items, else an error. */
export function parseArgs(text) {
  const t = text.trim();
  if (!t) return [];
  let v;
  try {
    v = JSON.parse(t);
  } catch (err) {
    throw new Error(`the arguments are not valid JSON: ${err.message}`);
  }
  if (!Array.isArray(v)) throw new Error('the arguments must be a JSON array, one element per argument, e.g. ["item-1"]');
  return v;
}

// ---------------------------------------------------------------------------------------------
// Links: every view has a hash URL, built only here so routes and links cannot drift apart.

const e = encodeURIComponent;
const withQuery = (base, params) => {
  const q = new URLSearchParams(Object.entries(params).filter(([, v]) => v !== undefined && v !== null && v !== '')).toString();
  return q ? `${base}?${q}` : base;
};

export const link = {
  namespaces: () => '#/namespaces',
  workflows: (ns, query, extra = {}) => withQuery(`#/namespaces/${e(ns)}/workflows`, { query, ...extra }),
  run: (ns, id, runId) => `#/namespaces/${e(ns)}/workflows/${e(id)}${runId ? `/${e(runId)}` : ''}`,
  schedules: (ns) => `#/namespaces/${e(ns)}/schedules`,
  schedule: (ns, id) => `#/namespaces/${e(ns)}/schedules/${e(id)}`,
  taskQueue: (ns, name) => `#/namespaces/${e(ns)}/task-queues/${e(name)}`,
};
