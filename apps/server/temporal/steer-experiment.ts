import { WorkflowUpdateFailedError, WorkflowUpdateRPCTimeoutOrCancelledError } from '@temporalio/client';
import { ApplicationFailure, WorkflowNotFoundError } from '@temporalio/common';
import type { UpdateDefinition } from '@temporalio/common';
import { recordSteering, type SteeringAction } from '../../../lib/domain';
import { AppError } from '../../../lib/errors';
import { UPDATE_REJECTION_TYPES } from '../../../workflows/experiment-contract';
import type { ResolvedDeps } from '../resolved-deps';

/**
 * Sends a steering update (pause, resume, cancel, extend rounds, close round) to an experiment's workflow and waits
 * for its answer. A rejection by the workflow's validator becomes 409 INVALID_STATE (finished, no open round) or 400
 * VALIDATION_FAILED (bad argument) with the workflow's reason; a workflow that is gone is 409; no answer in time is
 * 503. Every request, accepted or not, is recorded in the audit trail with who asked and why.
 */
export async function steerExperiment<Ret, Arg>(
  deps: ResolvedDeps,
  args: { experimentId: string; workflowId: string; action: SteeringAction; actor: string; reason?: string; update: UpdateDefinition<Ret, [Arg]>; arg: Arg },
): Promise<Ret> {
  const handle = deps.temporalClient.workflow.getHandle(args.workflowId);
  const record = (accepted: boolean, data: Record<string, string | number | boolean | null> = {}) =>
    recordSteering(deps.db, { experimentId: args.experimentId, action: args.action, actor: args.actor, accepted, reason: args.reason, data }).catch((e: unknown) =>
      deps.logger.error('could not record a steering request in the audit trail', { experimentId: args.experimentId, action: args.action, error: e }),
    );
  try {
    const result = await deps.temporalClient.withDeadline(Date.now() + deps.config.updateTimeoutMs, () => handle.executeUpdate(args.update, { args: [args.arg] }));
    await record(true);
    return result;
  } catch (e) {
    if (e instanceof WorkflowUpdateFailedError && e.cause instanceof ApplicationFailure) {
      const type = e.cause.type ?? 'REJECTED';
      await record(false, { rejection: type });
      if (type === UPDATE_REJECTION_TYPES.invalidArgument) throw new AppError('VALIDATION_FAILED', e.cause.message, { reason: type });
      throw new AppError('INVALID_STATE', e.cause.message, { reason: type });
    }
    if (e instanceof WorkflowNotFoundError) {
      await record(false, { rejection: 'WORKFLOW_NOT_FOUND' });
      throw new AppError('INVALID_STATE', `experiment ${args.experimentId} has no running workflow to ${args.action.replace('_', ' ')} (it finished or never started)`, { reason: 'WORKFLOW_NOT_FOUND' });
    }
    if (e instanceof WorkflowUpdateRPCTimeoutOrCancelledError || isDeadline(e)) {
      throw new AppError('DEPENDENCY_UNAVAILABLE', `the workflow of experiment ${args.experimentId} did not answer within ${deps.config.updateTimeoutMs} ms (is a worker running?)`, { experimentId: args.experimentId });
    }
    throw e;
  }
}

function isDeadline(e: unknown): boolean {
  const code = (e as { code?: unknown } | null)?.code;
  return code === 4 || /deadline/i.test((e as Error)?.message ?? '');
}
