import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { AppError } from '../../../lib/errors';
import { specSummary, type ExperimentSpec } from '../../../lib/spec';
import { CONTROL_TASK_QUEUE, experimentInputProblems, experimentWorkflowId, type ExperimentWorkflowInput } from '../../../workflows/experiment-contract';
import type { experimentWorkflow } from '../../../workflows/experiment-workflow';
import type { ResolvedDeps } from '../resolved-deps';

export interface StartedWorkflow {
  workflowId: string;
  /** null when the workflow was running already (a repeated start). */
  runId: string | null;
  started: boolean;
}

/**
 * Starts `experimentWorkflow` for a recorded experiment, under the contract's workflow id and task queue. Starting
 * an experiment whose workflow exists already is not an error (`started: false`), so a retried launch is safe.
 * If Temporal cannot be reached the experiment stays `pending` and the error says how to retry.
 */
export async function startExperimentWorkflow(deps: ResolvedDeps, experimentId: string, spec: ExperimentSpec): Promise<StartedWorkflow> {
  const workflowId = experimentWorkflowId(experimentId);
  const input: ExperimentWorkflowInput = { experimentId, spec: specSummary(spec), ...(deps.config.workflowTuning ? { tuning: deps.config.workflowTuning } : {}) };
  const problems = experimentInputProblems(input);
  if (problems.length > 0) throw new AppError('VALIDATION_FAILED', `experiment ${experimentId} cannot start: ${problems.join('; ')}`);
  try {
    const handle = await deps.temporalClient.workflow.start<typeof experimentWorkflow>('experimentWorkflow', { taskQueue: CONTROL_TASK_QUEUE, workflowId, args: [input] });
    deps.logger.info('experiment workflow started', { experimentId, workflowId, runId: handle.firstExecutionRunId });
    return { workflowId, runId: handle.firstExecutionRunId, started: true };
  } catch (e) {
    if (e instanceof WorkflowExecutionAlreadyStartedError) return { workflowId, runId: null, started: false };
    throw new AppError('DEPENDENCY_UNAVAILABLE', `experiment ${experimentId} is recorded but its workflow could not be started (${(e as Error).message}); retry with POST /api/v1/experiments/${experimentId}/start`, { experimentId }, { cause: e });
  }
}
