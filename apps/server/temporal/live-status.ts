import { statusQuery, type ExperimentStatus } from '../../../workflows/experiment-contract';
import type { ResolvedDeps } from '../resolved-deps';

/**
 * The workflow's own status (phase, round, progress) if it answers the query within the configured time, else
 * null with the reason: the caller then shows the database status, which the workflow keeps up to date anyway.
 */
export async function liveStatus(deps: ResolvedDeps, workflowId: string): Promise<{ live: ExperimentStatus | null; liveError?: string }> {
  try {
    const live = await deps.temporalClient.withDeadline(Date.now() + deps.config.statusQueryTimeoutMs, () => deps.temporalClient.workflow.getHandle(workflowId).query(statusQuery));
    return { live };
  } catch (e) {
    return { live: null, liveError: `workflow status unavailable: ${(e as Error).message.split('\n')[0]}` };
  }
}
