// Workflow for sdk_bench.mjs: K sequential calls of a trivial activity (echo returns its input).
// Bundled once by sdk_bench.mjs (bundleWorkflowCode) and cached under os.tmpdir().

import { proxyActivities } from '@temporalio/workflow';

const { echo } = proxyActivities<{ echo(x: unknown): Promise<unknown> }>({
  startToCloseTimeout: '60 s',
});

/** Runs `k` activities one after the other, feeding each the previous result; returns the last. */
export async function benchWorkflow(k: number, input: unknown): Promise<unknown> {
  let v = input;
  for (let i = 0; i < k; i++) v = await echo(v);
  return v;
}
