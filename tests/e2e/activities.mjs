// Activities for the end-to-end suites. They run in the test process itself (not in the
// workflow sandbox), so they record what happened in `journal`, keyed by workflow id, and the
// tests read it back. Hanging activities wait with Context.sleep so worker shutdown (after its
// grace time) or a server-side cancel ends them.

import { ApplicationFailure, Context } from '@temporalio/activity';
import { ScheduleNotFoundError } from '@temporalio/client';

/** workflowId → [{activity, attempt, heartbeatDetails, at}] in call order. */
export const journal = new Map();

/** Latches tests can wait on: `${workflowId}:${name}` → {promise, resolve}. */
const latches = new Map();

function latch(key) {
  let l = latches.get(key);
  if (!l) {
    let resolve;
    const promise = new Promise((r) => {
      resolve = r;
    });
    l = { promise, resolve };
    latches.set(key, l);
  }
  return l;
}

/** Resolves once activity `name` of `workflowId` has started (any attempt). */
export function started(workflowId, name) {
  return latch(`${workflowId}:${name}`).promise;
}

/** Journal entries of `workflowId` (optionally only activity `name`). */
export function calls(workflowId, name) {
  const all = journal.get(workflowId) ?? [];
  return name ? all.filter((c) => c.activity === name) : all;
}

function record(name) {
  const info = Context.current().info;
  const wid = info.workflowExecution.workflowId;
  const entry = { activity: name, attempt: info.attempt, heartbeatDetails: info.heartbeatDetails, at: Date.now() };
  if (!journal.has(wid)) journal.set(wid, []);
  journal.get(wid).push(entry);
  latch(`${wid}:${name}`).resolve(entry);
  return info;
}

/** Returns its argument. */
export async function echo(x) {
  record('echo');
  return x;
}

/** Fails (retryable ApplicationFailure) on attempts 1..failTimes, then returns {attempt}. */
export async function flaky(failTimes) {
  const info = record('flaky');
  if (info.attempt <= failTimes) {
    throw ApplicationFailure.retryable(`flaky failure on attempt ${info.attempt}`, 'FlakyError');
  }
  return { attempt: info.attempt };
}

/** Always fails with a non-retryable ApplicationFailure of `type`/`message`. */
export async function failNonRetryable(type, message) {
  record('failNonRetryable');
  throw ApplicationFailure.nonRetryable(message, type, { why: 'permanent' });
}

/** Sleeps `ms` (cancellable), then returns {attempt, slept}. */
export async function sleepFor(ms) {
  const info = record('sleepFor');
  await Context.current().sleep(ms);
  return { attempt: info.attempt, slept: ms };
}

/** Attempt 1 sleeps `stallMs` (a hang, cut short by cancellation); later attempts return at once. */
export async function hangFirstAttempt(stallMs) {
  const info = record('hangFirstAttempt');
  if (info.attempt === 1) await Context.current().sleep(stallMs);
  return { attempt: info.attempt };
}

/**
 * Attempt 1 heartbeats `details` once, then stops heartbeating and sleeps `stallMs` (past the
 * heartbeat timeout). Later attempts return {attempt, heartbeatDetails} straight away.
 */
export async function heartbeatOnceThenStall(details, stallMs) {
  const info = record('heartbeatOnceThenStall');
  if (info.attempt === 1) {
    Context.current().heartbeat(details);
    await Context.current().sleep(stallMs);
    return { attempt: info.attempt, stale: true };
  }
  return { attempt: info.attempt, heartbeatDetails: info.heartbeatDetails };
}

/** Records that cleanup ran (with `tag`) and returns it. */
export async function cleanup(tag) {
  record('cleanup');
  return `cleaned ${tag}`;
}

// -------------------------------------------------------------------------------------------
// Seed 001: repository-indexing pipeline activities. A request's `repo_id` steers failures:
//   "...-flaky-clone"  → cloneRepo fails (retryable) on attempt 1 (a network blip)
//   "...-auth-404"     → parseRepo fails non-retryable (permanent auth/404 failure)
//   "...-slow-parse"   → parseRepo takes 1.5 s (lets a test race a duplicate start)

export async function cloneRepo(req) {
  const info = record('cloneRepo');
  if (req.repo_id.endsWith('-flaky-clone') && info.attempt === 1) {
    throw ApplicationFailure.retryable('connection reset while cloning', 'CloneNetworkError');
  }
  const commit_sha = 'abc123def4567890abc123def4567890abc123de';
  return { path: `/tmp/${req.repo_id}-${commit_sha}`, commit_sha };
}

export async function parseRepo(req, clone) {
  record('parseRepo');
  if (req.repo_id.endsWith('-auth-404')) {
    throw ApplicationFailure.nonRetryable(`repository ${req.github_repo_name} not found (404)`, 'RepoNotFound');
  }
  if (req.repo_id.endsWith('-slow-parse')) await Context.current().sleep(1_500);
  return { root: clone.path, stats: { total_symbols: 1500, indexed_files: 200 } };
}

export async function persistMetadata(req, clone, parsed) {
  record('persistMetadata');
  return { snapshot: `${req.repo_id}@${clone.commit_sha}`, files: parsed.stats.indexed_files };
}

export async function persistKg(req, parsed) {
  record('persistKg');
  return { nodes: parsed.stats.total_symbols, edges: 2 * parsed.stats.total_symbols };
}

export async function cleanupStaleKgNodes(_req) {
  record('cleanupStaleKgNodes');
  return 50;
}

export async function cleanupRepo(path) {
  record('cleanupRepo');
  return { removed: path };
}

/** One step of seed 002's tenant-provisioning saga: `do:<n>` or `undo:<n>` is journaled (in
 * call order, see `calls`); `do` of step failAt fails for good. */
export async function sagaStep(kind, n, failAt) {
  const info = record(`${kind}:${n}`);
  if (kind === 'do' && n === failAt) {
    throw ApplicationFailure.nonRetryable(`step ${n} cannot be provisioned`, 'ProvisioningError');
  }
  return { kind, n, attempt: info.attempt };
}

/** Keys whose `fixable` activity is broken, and the gates a test opens to let it answer. */
const broken = new Set();
const gates = new Map();

/** Marks `key` broken (true) or fixed (false) for `fixable`. */
export function setBroken(key, isBroken) {
  if (isBroken) broken.add(key);
  else broken.delete(key);
}

/** Lets the `fixable` call of `key` that is waiting (or the next one) answer. */
export function openGate(key) {
  latch(`gate:${key}`).resolve();
}

/** Waits for its gate if one is armed (armGate), then fails for good while `key` is broken. */
export async function fixable(key) {
  record('fixable');
  if (gates.get(key)) {
    gates.delete(key);
    await latch(`gate:${key}`).promise;
  }
  if (broken.has(key)) throw ApplicationFailure.nonRetryable(`${key} is broken`, 'Broken');
  return `${key} works`;
}

/** The next `fixable(key)` waits until openGate(key). */
export function armGate(key) {
  gates.set(key, true);
}

// -------------------------------------------------------------------------------------------
// Seed 000: a scheduled sync whose source was deleted cleans up after itself. The "database"
// is the set of live syncs; tests add and delete them with registerSync/deleteSync.

const liveSyncs = new Set();

/** Creates (true) or deletes (false) sync `syncId` in the fake database. */
export function registerSync(syncId, live = true) {
  if (live) liveSyncs.add(syncId);
  else liveSyncs.delete(syncId);
}

/** The seed's create_sync_job_activity: a sentinel (not an error) when the sync is gone. */
export async function createSyncJob(syncId) {
  const info = record('createSyncJob');
  if (!liveSyncs.has(syncId)) return { _orphaned: true, sync_id: syncId };
  return { sync_id: syncId, job_id: `job-${info.workflowExecution.workflowId}` };
}

/**
 * The seed's self_destruct_orphaned_sync_activity: deletes schedule `scheduleId` through the
 * worker's own Client (Context.client, on the worker's connection) and treats "already gone"
 * as success, so any number of runs can clean up the same schedule. Returns 'deleted' or
 * 'already-deleted'.
 */
export async function selfDestructSchedule(scheduleId) {
  record('selfDestructSchedule');
  const { client } = Context.current();
  try {
    await client.connection.withDeadline(Date.now() + 5_000, () => client.schedule.getHandle(scheduleId).delete());
    return 'deleted';
  } catch (err) {
    if (err instanceof ScheduleNotFoundError) return 'already-deleted';
    throw err;
  }
}
