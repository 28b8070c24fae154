/**
 * A deliberately non-deterministic variant of experimentWorkflow (it sleeps before doing anything), used only by
 * the replay test to prove that replaying the recorded histories detects a changed command sequence.
 */
import { sleep } from '@temporalio/workflow';
import type { ExperimentWorkflowInput, ExperimentWorkflowResult } from '../workflows/experiment-contract';
import { experimentWorkflow as original } from '../workflows/experiment-workflow';

export async function experimentWorkflow(input: ExperimentWorkflowInput): Promise<ExperimentWorkflowResult> {
  await sleep(1);
  return original(input);
}
