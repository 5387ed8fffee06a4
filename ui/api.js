// api.js: the only place that talks to the server. The UI is served from the same origin as
// Temporal's HTTP API (/api/v1/...), so there is no CORS, no token and no configuration: every
// call is a plain fetch() of proto3 JSON. Errors come back as {code, message, details} with an
// HTTP status; they are turned into ApiError so pages can show them readably.

// Resolved against the page, not hard-coded to "/api/v1", so the UI keeps working if a proxy
// serves it under a path prefix (the page itself is always "<prefix>/" with hash routes).
const API_BASE = new URL('api/v1/', document.baseURI);

/** gRPC status code names, indexed by code: the API's `code` field is the gRPC code. */
const GRPC_CODES = [
  'OK', 'CANCELLED', 'UNKNOWN', 'INVALID_ARGUMENT', 'DEADLINE_EXCEEDED', 'NOT_FOUND',
  'ALREADY_EXISTS', 'PERMISSION_DENIED', 'RESOURCE_EXHAUSTED', 'FAILED_PRECONDITION', 'ABORTED',
  'OUT_OF_RANGE', 'UNIMPLEMENTED', 'INTERNAL', 'UNAVAILABLE', 'DATA_LOSS', 'UNAUTHENTICATED',
];

/** An error answer from the API (or a failure to reach it: status 0). */
export class ApiError extends Error {
  constructor({ status, code, message, details = [], method, path }) {
    super(message || `HTTP ${status}`);
    this.name = 'ApiError';
    this.status = status; // HTTP status; 0 when the server could not be reached
    this.code = code; // gRPC code number, when the server sent one
    this.codeName = GRPC_CODES[code] ?? (code == null ? '' : `code ${code}`);
    this.details = details.map((d) => ((d && d['@type']) || '').replace(/^type\.googleapis\.com\//, '')).filter(Boolean);
    this.method = method;
    this.path = path;
  }
}

/**
 * Calls the HTTP API. `path` is relative to /api/v1/ and its segments must already be encoded
 * (use the helpers below). `query` values that are undefined, null or '' are left out.
 * `timeoutMs` bounds calls the server may hold for long (a query with no worker polling waits
 * for the server's own deadline, a minute): the UI gives up sooner and says why.
 */
export async function api(path, { method = 'GET', query, body, signal, timeoutMs } = {}) {
  const url = new URL(path, API_BASE);
  for (const [k, v] of Object.entries(query ?? {})) {
    if (v !== undefined && v !== null && v !== '') url.searchParams.set(k, String(v));
  }
  const ac = new AbortController();
  const onAbort = () => ac.abort(signal.reason);
  if (signal?.aborted) onAbort();
  signal?.addEventListener('abort', onAbort, { once: true });
  let timedOut = false;
  const timer = timeoutMs ? setTimeout(() => { timedOut = true; ac.abort(); }, timeoutMs) : undefined;
  const init = { method, signal: ac.signal, headers: { Accept: 'application/json' } };
  if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers['Content-Type'] = 'application/json';
  }
  let res;
  let text;
  try {
    res = await fetch(url, init);
    text = await res.text();
  } catch (err) {
    if (timedOut) {
      throw new ApiError({ status: 0, message: `no answer within ${timeoutMs / 1000} s (is a worker polling the task queue?)`, method, path });
    }
    if (err.name === 'AbortError') throw err; // navigation away: not an error to show
    throw new ApiError({ status: 0, message: `cannot reach the server (${err.message})`, method, path });
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener('abort', onAbort);
  }
  let json;
  try {
    json = text ? JSON.parse(text) : {};
  } catch {
    json = undefined;
  }
  if (!res.ok) {
    throw new ApiError({
      status: res.status,
      code: json?.code,
      message: json?.message ?? (text.trim() || res.statusText),
      details: Array.isArray(json?.details) ? json.details : [],
      method,
      path,
    });
  }
  if (json === undefined) {
    throw new ApiError({ status: res.status, message: `the server answered something that is not JSON: ${text.slice(0, 200)}`, method, path });
  }
  return json;
}

const enc = encodeURIComponent;
const nsPath = (ns) => `namespaces/${enc(ns)}`;
const wfPath = (ns, id) => `${nsPath(ns)}/workflows/${enc(id)}`;

/**
 * A request id for the mutating calls that take one (reset). crypto.randomUUID exists only in
 * secure contexts; the UI may be opened over plain http on another host (--ui-ip 0.0.0.0).
 */
export function requestId() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const hex = [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

// One function per API call the UI makes, named after the RPC. Routes and verbs are those of
// the google.api.http bindings in Temporal's protos (build/gen/http_routes.inc).

export const listNamespaces = (opts) => api('namespaces', { query: { pageSize: 1000 }, ...opts });

export const listWorkflows = (ns, { query, pageSize, nextPageToken }, opts) =>
  api(`${nsPath(ns)}/workflows`, { query: { query, pageSize, nextPageToken }, ...opts });

export const countWorkflows = (ns, query, opts) => api(`${nsPath(ns)}/workflow-count`, { query: { query }, ...opts });

export const describeWorkflow = (ns, id, runId, opts) =>
  api(wfPath(ns, id), { query: { 'execution.runId': runId }, ...opts });

/** One page of history (GetWorkflowExecutionHistory). */
export const getHistoryPage = (ns, id, runId, nextPageToken, opts) =>
  api(`${wfPath(ns, id)}/history`, { query: { 'execution.runId': runId, nextPageToken, maximumPageSize: 1000 }, ...opts });

/** The whole history, following nextPageToken (bounded, so a bad token cannot loop forever). */
export async function getHistory(ns, id, runId, opts) {
  const events = [];
  let token;
  for (let page = 0; page < 1000; page++) {
    const res = await getHistoryPage(ns, id, runId, token, opts);
    events.push(...(res.history?.events ?? []));
    token = res.nextPageToken;
    if (!token) break;
  }
  return events;
}

export const signalWorkflow = (ns, id, runId, name, input, opts) =>
  api(`${wfPath(ns, id)}/signal/${enc(name)}`, {
    method: 'POST',
    body: { workflowExecution: { workflowId: id, runId }, input, identity: 'sandglass-ui' },
    ...opts,
  });

const QUERY_TIMEOUT_MS = 20_000;

export const queryWorkflow = (ns, id, runId, type, args, opts) =>
  api(`${wfPath(ns, id)}/query/${enc(type)}`, {
    method: 'POST',
    body: { execution: { workflowId: id, runId }, query: { queryArgs: args } },
    timeoutMs: QUERY_TIMEOUT_MS,
    ...opts,
  });

export const cancelWorkflow = (ns, id, runId, reason, opts) =>
  api(`${wfPath(ns, id)}/cancel`, {
    method: 'POST',
    body: { workflowExecution: { workflowId: id, runId }, reason, identity: 'sandglass-ui', requestId: requestId() },
    ...opts,
  });

export const terminateWorkflow = (ns, id, runId, reason, opts) =>
  api(`${wfPath(ns, id)}/terminate`, {
    method: 'POST',
    body: { workflowExecution: { workflowId: id, runId }, reason, identity: 'sandglass-ui' },
    ...opts,
  });

export const resetWorkflow = (ns, id, runId, eventId, reason, opts) =>
  api(`${wfPath(ns, id)}/reset`, {
    method: 'POST',
    body: {
      workflowExecution: { workflowId: id, runId },
      workflowTaskFinishEventId: String(eventId),
      reason,
      requestId: requestId(),
      identity: 'sandglass-ui',
    },
    ...opts,
  });

export const listSchedules = (ns, { query, pageSize, nextPageToken } = {}, opts) =>
  api(`${nsPath(ns)}/schedules`, { query: { query, maximumPageSize: pageSize, nextPageToken }, ...opts });

export const describeSchedule = (ns, id, opts) => api(`${nsPath(ns)}/schedules/${enc(id)}`, opts);

export const patchSchedule = (ns, id, patch, opts) =>
  api(`${nsPath(ns)}/schedules/${enc(id)}/patch`, {
    method: 'POST',
    body: { patch, identity: 'sandglass-ui', requestId: requestId() },
    ...opts,
  });

export const deleteSchedule = (ns, id, opts) =>
  api(`${nsPath(ns)}/schedules/${enc(id)}`, { method: 'DELETE', query: { identity: 'sandglass-ui' }, ...opts });

/** DescribeTaskQueue; `type` is 'TASK_QUEUE_TYPE_WORKFLOW' or 'TASK_QUEUE_TYPE_ACTIVITY'. */
export const describeTaskQueue = (ns, name, type, opts) =>
  api(`${nsPath(ns)}/task-queues/${enc(name)}`, { query: { taskQueueType: type }, ...opts });
