// Workflow code for the end-to-end suites. Bundled once per test process by lib/worker.mjs
// (bundleWorkflowCode → webpack + swc) and run inside the SDK's deterministic sandbox.
// Activity options arrive as workflow arguments so each test picks its own retry policy and
// timeouts without a new workflow type per case. The activities live in ../activities.mjs.

import {
  ApplicationFailure,
  CancellationScope,
  condition,
  continueAsNew,
  defineQuery,
  defineSignal,
  defineUpdate,
  executeChild,
  getExternalWorkflowHandle,
  isCancellation,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  sleep,
  startChild,
  upsertSearchAttributes,
  workflowInfo,
  ParentClosePolicy,
} from '@temporalio/workflow';
import type { ActivityOptions } from '@temporalio/workflow';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyActivities = Record<string, (...args: any[]) => Promise<any>>;

function acts(options: ActivityOptions): AnyActivities {
  return proxyActivities<AnyActivities>(options);
}

/** Calls one activity `name(...args)` with `options` and returns its result. */
export async function callActivity(name: string, args: unknown[], options: ActivityOptions): Promise<unknown> {
  return acts(options)[name](...args);
}

/** Calls `steps` activities one after the other; returns their results in order. */
export async function sequence(
  steps: { name: string; args: unknown[] }[],
  options: ActivityOptions,
): Promise<unknown[]> {
  const a = acts(options);
  const out: unknown[] = [];
  for (const step of steps) out.push(await a[step.name](...step.args));
  return out;
}

/** Durable timer: sleeps `ms` and returns what it was told plus the workflow's own clock delta. */
export async function sleeper(ms: number): Promise<{ slept: number; workflowClockMs: number }> {
  const t0 = Date.now(); // workflow time (deterministic): WorkflowTaskStarted event_time
  await sleep(ms);
  return { slept: ms, workflowClockMs: Date.now() - t0 };
}

/**
 * try/finally cleanup: runs `main` (expected to fail), then always runs `cleanup` and rethrows.
 * `main` and `cleanup` are activity names; both get the given options.
 */
export async function tryFinally(
  main: { name: string; args: unknown[] },
  cleanup: { name: string; args: unknown[] },
  options: ActivityOptions,
): Promise<unknown> {
  const a = acts(options);
  try {
    return await a[main.name](...main.args);
  } finally {
    await a[cleanup.name](...cleanup.args);
  }
}

// -------------------------------------------------------------------------------------------
// Seed 001: the repository-indexing pipeline (RepoIndexingWorkflow), small but faithful:
// sequential activities, per-activity retry policies and timeouts, cleanup in `finally`.

export interface RepoRequest {
  installation_id: number;
  github_repo_name: string;
  repo_id: string;
  default_branch: string;
  repo_url: string;
}

/** Deterministic workflow id: same repo + branch ⇒ same id (prevents duplicate runs). */
function repoIndexingWorkflowId(req: RepoRequest): string {
  return `repo-index-${req.repo_id}-${req.default_branch}`;
}

// The seed's policies, with intervals scaled from seconds to ~100 ms so the suite stays fast.
const DEFAULT_RETRY = {
  maximumAttempts: 3,
  initialInterval: '100 ms',
  maximumInterval: '300 ms',
  backoffCoefficient: 2,
} as const;
const NO_RETRY = { maximumAttempts: 1 } as const;

// Per-activity start-to-close timeouts, scaled from the seed's minutes to seconds (5/5/5/10/5/2).
const REPO_TIMEOUTS = {
  cloneRepo: '5 s',
  parseRepo: '5 s',
  persistMetadata: '5 s',
  persistKg: '10 s',
  cleanupStaleKgNodes: '5 s',
  cleanupRepo: '2 s',
} as const;

export async function repoIndexingWorkflow(req: RepoRequest): Promise<Record<string, unknown>> {
  const info = workflowInfo();
  if (info.workflowId !== repoIndexingWorkflowId(req)) {
    // The caller must derive the id from the request, never from randomness.
    throw ApplicationFailure.nonRetryable(`unexpected workflow id ${info.workflowId}`, 'BadWorkflowId');
  }
  const clone = proxyActivities<AnyActivities>({ startToCloseTimeout: REPO_TIMEOUTS.cloneRepo, retry: DEFAULT_RETRY });
  // Auth/404-style failures are permanent: parse uses the non-retryable policy.
  const parse = proxyActivities<AnyActivities>({ startToCloseTimeout: REPO_TIMEOUTS.parseRepo, retry: NO_RETRY });
  const meta = proxyActivities<AnyActivities>({ startToCloseTimeout: REPO_TIMEOUTS.persistMetadata, retry: DEFAULT_RETRY });
  const kg = proxyActivities<AnyActivities>({ startToCloseTimeout: REPO_TIMEOUTS.persistKg, retry: DEFAULT_RETRY });
  const stale = proxyActivities<AnyActivities>({
    startToCloseTimeout: REPO_TIMEOUTS.cleanupStaleKgNodes,
    retry: DEFAULT_RETRY,
  });
  const cleanup = proxyActivities<AnyActivities>({ startToCloseTimeout: REPO_TIMEOUTS.cleanupRepo, retry: DEFAULT_RETRY });

  let cloneResult: { path: string; commit_sha: string } | undefined;
  try {
    cloneResult = await clone.cloneRepo(req);
    const parsed = await parse.parseRepo(req, cloneResult);
    await meta.persistMetadata(req, cloneResult, parsed);
    await kg.persistKg(req, parsed);
    const staleDeleted = await stale.cleanupStaleKgNodes(req);
    return {
      status: 'success',
      repo: req.github_repo_name,
      commit_sha: cloneResult!.commit_sha,
      stats: parsed.stats,
      stale_nodes_deleted: staleDeleted,
    };
  } finally {
    if (cloneResult) await cleanup.cleanupRepo(cloneResult.path);
  }
}

// ---- protocol.test.mjs ----

/** Takes a patch branch: the SDK records a core_patch marker and upserts TemporalChangeVersion. */
export async function patchedWorkflow(): Promise<string> {
  return patched('sandglass-patch-1') ? 'new-path' : 'old-path';
}

/** Runs one local activity: the SDK records its result in a core_local_activity marker. */
export async function localActivityWorkflow(x: string): Promise<unknown> {
  const { echo } = proxyLocalActivities<AnyActivities>({ startToCloseTimeout: '5s' });
  return echo(x);
}

/** n sequential activities: about 6 events each, so histories outgrow one 256-event page. */
export async function manyActivities(n: number): Promise<number> {
  const { echo } = proxyActivities<AnyActivities>({ startToCloseTimeout: '5s' });
  let done = 0;
  for (let i = 0; i < n; i++) {
    await echo(i);
    done++;
  }
  return done;
}

/** Fails its workflow task (a plain Error) until 1 s after the run started, then returns. */
export async function failsFirstSecond(): Promise<string> {
  if (Date.now() - workflowInfo().startTime.getTime() < 1000) throw new Error('not ready yet');
  return 'ready';
}

// ---- tests/crashloop/crashloop.mjs ----

/**
 * The crash loop's load: two activities in parallel, a durable timer, a third activity. The
 * result depends only on the arguments, so the loop can check it. `crashloopStep(value, ms)`
 * (defined by tests/crashloop/worker-host.mjs) sleeps `ms` and returns `value`. Retries are
 * unlimited and quick, so an attempt lost with a killed server is simply tried again.
 */
export async function crashloopWorkflow(tag: string, timerMs: number, activityMs: number): Promise<string[]> {
  const { crashloopStep } = proxyActivities<AnyActivities>({
    startToCloseTimeout: '3 s',
    retry: { initialInterval: '200 ms', backoffCoefficient: 2, maximumInterval: '1 s' },
  });
  const [a, b] = await Promise.all([crashloopStep(`${tag}/a`, activityMs), crashloopStep(`${tag}/b`, activityMs)]);
  await sleep(timerMs);
  const c = await crashloopStep(`${tag}/c`, activityMs);
  return [a, b, c];
}

// ---- signals, cancellation (issue 9) ----

export const addSignal = defineSignal<[string]>('add');
export const doneSignal = defineSignal('done');
export const itemsQuery = defineQuery<string[]>('items');
export const boomQuery = defineQuery<string>('boom');

/** Collects `add` signals until `done` arrives (or waitMs passes): returns them in order and
 * whether `done` came in time (false: condition timed out). */
export async function signalCollector(waitMs: number): Promise<{ items: string[]; done: boolean }> {
  const items: string[] = [];
  let done = false;
  setHandler(addSignal, (item: string) => {
    items.push(item);
  });
  setHandler(doneSignal, () => {
    done = true;
  });
  setHandler(itemsQuery, () => items);
  setHandler(boomQuery, () => {
    throw new Error('the boom query always fails');
  });
  const inTime = await condition(() => done, waitMs);
  return { items, done: inTime };
}

/** Sleeps until cancelled; on cancellation runs cleanup that cannot be cancelled, then fails
 * with the cancellation (the run ends CANCELED). */
export async function cancellable(activityOptions: ActivityOptions): Promise<string> {
  try {
    await sleep(600_000);
    return 'slept';
  } catch (err) {
    if (isCancellation(err)) {
      await CancellationScope.nonCancellable(() => acts(activityOptions).echo('cleanup'));
    }
    throw err;
  }
}

// ---- seed 002: tenant provisioning saga ----

export const resumeSignal = defineSignal('resume');
export const cancelSagaSignal = defineSignal('cancel');
export const sagaStatusQuery = defineQuery<{ phase: string; done: number[]; undone: number[] }>('status');

/** Five steps with compensations undone in reverse order when a step fails for good or a
 * `cancel` signal arrives; after step pauseAfter it waits for `resume` (or `cancel`). */
export async function tenantSaga(failAt: number, pauseAfter: number): Promise<{ phase: string; done: number[]; undone: number[] }> {
  const { sagaStep } = proxyActivities<AnyActivities>({ startToCloseTimeout: '10 s', retry: { maximumAttempts: 3, initialInterval: '50 ms' } });
  const state = { phase: 'provisioning', done: [] as number[], undone: [] as number[] };
  let paused = false;
  let cancelled = false;
  setHandler(sagaStatusQuery, () => state);
  setHandler(resumeSignal, () => {
    paused = false;
  });
  setHandler(cancelSagaSignal, () => {
    cancelled = true;
  });
  try {
    for (let n = 1; n <= 5; n++) {
      if (cancelled) throw ApplicationFailure.nonRetryable('cancelled by operator', 'Cancelled');
      await sagaStep('do', n, failAt);
      state.done.push(n);
      if (n === pauseAfter) {
        paused = true;
        state.phase = 'paused';
        await condition(() => !paused || cancelled);
        state.phase = 'provisioning';
      }
    }
    state.phase = 'completed';
    return state;
  } catch (err) {
    state.phase = 'compensating';
    for (const n of [...state.done].reverse()) {
      await sagaStep('undo', n, failAt);
      state.undone.push(n);
    }
    state.phase = 'compensated';
    return state;
  }
}

// ---- updates ----

export const incrementUpdate = defineUpdate<number, [number]>('increment');

/** A counter changed by `increment` updates (negative ones are rejected by the validator)
 * until `done` arrives; returns the final value. */
export async function counter(): Promise<number> {
  let value = 0;
  let done = false;
  setHandler(
    incrementUpdate,
    async (by: number) => {
      value += by;
      return value;
    },
    {
      validator: (by: number) => {
        if (by < 0) throw new Error('negative increments are not allowed');
      },
    },
  );
  setHandler(doneSignal, () => {
    done = true;
  });
  await condition(() => done);
  return value;
}

// ---- continue-as-new ----

/** Counts n down to 0, one run per step, carrying what it saw: returns [n, ..., 0]. */
export async function countdown(n: number, seen: number[]): Promise<number[]> {
  const next = [...seen, n];
  if (n > 0) await continueAsNew<typeof countdown>(n - 1, next);
  return next;
}

// ---- external signals and cancels ----

/** Signals `add(item)` to another workflow; returns what happened as seen inside the workflow. */
export async function signalOther(targetId: string, item: string): Promise<string> {
  try {
    await getExternalWorkflowHandle(targetId).signal(addSignal, item);
    return 'signalled';
  } catch (err) {
    return `failed: ${(err as Error).name}: ${(err as Error).message}`;
  }
}

/** Asks another workflow to cancel; returns what happened as seen inside the workflow. */
export async function cancelOther(targetId: string): Promise<string> {
  try {
    await getExternalWorkflowHandle(targetId).cancel();
    return 'cancel requested';
  } catch (err) {
    return `failed: ${(err as Error).name}: ${(err as Error).message}`;
  }
}

// ---- child workflows ----

/** A child that reports what it knows of its family. */
export async function childEcho(x: string): Promise<{ x: string; parent?: string; parentRun?: string; root?: string }> {
  const info = workflowInfo();
  return { x, parent: info.parent?.workflowId, parentRun: info.parent?.runId, root: info.root?.workflowId };
}

/** A child that fails for good. */
export async function childFails(message: string): Promise<never> {
  throw ApplicationFailure.nonRetryable(message, 'ChildBoom');
}

/** Runs childEcho as a child and returns its result. */
export async function parentEcho(childId: string, x: string): Promise<unknown> {
  return await executeChild(childEcho, { workflowId: childId, args: [x] });
}

/** Runs childFails as a child; its failure fails this workflow. */
export async function parentOfFailing(childId: string): Promise<void> {
  await executeChild(childFails, { workflowId: childId, args: ['the child broke'] });
}

/** Starts a long-lived signalCollector child under `policy`, then completes at once. */
export async function parentLeaves(childId: string, policy: 'TERMINATE' | 'ABANDON' | 'REQUEST_CANCEL'): Promise<string> {
  const child = await startChild(signalCollector, {
    workflowId: childId,
    args: [60_000],
    parentClosePolicy: ParentClosePolicy[policy],
  });
  return child.firstExecutionRunId;
}

/** Starts a child whose id is already running; returns how the start failed. */
export async function parentDuplicateChild(childId: string): Promise<string> {
  try {
    await startChild(signalCollector, { workflowId: childId, args: [60_000] });
    return 'started';
  } catch (err) {
    return `${(err as Error).name}: ${(err as Error).message}`;
  }
}

/** Runs a signalCollector child and returns its result (it waits for the child's `done`). */
export async function parentWaits(childId: string): Promise<unknown> {
  return await executeChild(signalCollector, { workflowId: childId, args: [60_000] });
}

/** Starts a signalCollector child in a scope, then cancels the scope; returns how the child's
 * result ended. */
export async function parentCancelsChild(childId: string): Promise<string> {
  let started = false;
  const scope = new CancellationScope();
  const result = scope.run(async () => {
    const child = await startChild(signalCollector, { workflowId: childId, args: [60_000] });
    started = true;
    return child.result();
  });
  await condition(() => started);
  scope.cancel();
  try {
    await result;
    return 'completed';
  } catch (err) {
    return `${(err as Error).name}: ${((err as Error).cause as Error | undefined)?.name}`;
  }
}

// ---- cron ----

/** One run of a cron chain: counts the runs through the last completion result. */
export async function cronTick(): Promise<{ n: number }> {
  const last = workflowInfo().lastResult as { n: number } | undefined;
  return { n: (last?.n ?? 0) + 1 };
}

// ---- reset ----

/** Waits for a first `add` signal, then calls `fixable(key)`; returns the signals it got. */
export async function resettable(key: string): Promise<{ signals: string[]; result: unknown }> {
  const signals: string[] = [];
  setHandler(addSignal, (s: string) => {
    signals.push(s);
  });
  await condition(() => signals.length > 0);
  const result = await acts({ startToCloseTimeout: '10 s', retry: { maximumAttempts: 1 } }).fixable(key);
  return { signals, result };
}

// ---- visibility ----

/** Sets Stage to each of `stages` in turn (one workflow task each), then waits for `done`. */
export async function stages(stages: string[]): Promise<string> {
  let done = false;
  setHandler(doneSignal, () => {
    done = true;
  });
  for (const stage of stages) {
    upsertSearchAttributes({ Stage: [stage] });
    await sleep(1);
  }
  await condition(() => done);
  return stages.at(-1) ?? '';
}

// ---- seed 000: a scheduled sync that cleans up after itself (schedules.test.mjs) ----

/**
 * One scheduled run of a sync. Early detection, as in the seed: the first activity reports the
 * sync as deleted (`_orphaned`) instead of failing; the run then deletes its own schedule
 * (idempotently, retried as the seed's 3 attempts) and completes normally, not as a failure.
 */
export async function orphanedSync(
  syncId: string,
  scheduleId: string,
): Promise<{ orphaned: boolean; job?: unknown; cleanup?: string }> {
  const { createSyncJob } = proxyActivities<AnyActivities>({ startToCloseTimeout: '5 s', retry: NO_RETRY });
  const { selfDestructSchedule } = proxyActivities<AnyActivities>({
    startToCloseTimeout: '5 s',
    retry: { maximumAttempts: 3, initialInterval: '100 ms' },
  });
  const job = (await createSyncJob(syncId)) as { _orphaned?: boolean };
  if (job._orphaned) {
    const cleanup = (await selfDestructSchedule(scheduleId)) as string;
    return { orphaned: true, cleanup };
  }
  return { orphaned: false, job };
}

/** A scheduled count: one more than the previous run's result (0 for the first). */
export async function scheduledCount(): Promise<number> {
  return ((workflowInfo().lastResult as number | undefined) ?? 0) + 1;
}
