/**
 * The workflow of `npm run bench:platform`'s activity-overhead part (bundled by the bench's own worker, never by
 * hone's): it calls a no-op activity `calls` times, back to back, so the gap between the end of one call's body and
 * the start of the next is exactly what one activity call costs beyond its own execution.
 */
import { proxyActivities } from '@temporalio/workflow';

/** The bench's activity: does nothing; the worker side records when its body starts and ends. */
export interface BenchActivities {
  benchNoop(call: number): Promise<void>;
}

const { benchNoop } = proxyActivities<BenchActivities>({ startToCloseTimeout: '30s', retry: { maximumAttempts: 1 } });

/** Calls `benchNoop(0..calls-1)` one after another. */
export async function activityOverheadBenchWorkflow(calls: number): Promise<number> {
  for (let i = 0; i < calls; i++) await benchNoop(i);
  return calls;
}
