import type { Db } from '../db';
import { AppError } from '../errors';
import { isTransientTransactionError } from './internal/pg-error';
import { uuidV7 } from './internal/uuid-v7';
import { scopedExperimentIds, type ExperimentScope } from './internal/scope-filter';
import { taskViewFromJson, type LabelingTaskView, type TaskViewJson } from './labeling-task-view';
import { releaseExpiredAssignments } from './release-expired-assignments';

export interface ClaimNextTaskInput {
  labelerId: string;
  /** Only tasks of this experiment (must be inside `scope`). */
  experimentId?: string;
  /** The experiments the caller's token may label; default all. */
  scope?: ExperimentScope;
  now?: Date;
}

export interface ClaimedTask extends LabelingTaskView {
  /** true when this is the caller's still-active assignment from an earlier call (a reload), not a new claim. */
  resumed: boolean;
}

/**
 * Hands the labeler the next task to rank, or null when there is none for them. Guarantees, under any number of
 * concurrent callers:
 * - a task goes to at most `requiredLabels` labelers at a time (1, or 2 for the overlap share), enforced by the
 *   task row lock (`FOR UPDATE SKIP LOCKED`: concurrent claimers take different tasks instead of queueing) and by
 *   a database CHECK on the task's assigned count;
 * - nobody is ever given the same task twice (unique (task, labeler), also after their claim expired);
 * - a labeler holds one active task at a time: calling again returns it (`resumed: true`) until it is submitted
 *   or expires;
 * - expired claims go back to the pool (swept at the start of each call);
 * - no task of a closing or closed round is handed out (shared round lock, see round-lock.ts), nor of a paused
 *   one or one past its deadline.
 * Tasks are offered oldest round first, in each round's seeded order. The claim writes a `task.assigned` event.
 */
export async function claimNextTask(db: Db, input: ClaimNextTaskInput): Promise<ClaimedTask | null> {
  const now = input.now ?? new Date();
  const ids = scopedExperimentIds(input.scope, input.experimentId);
  // The claim is one statement, `hone_claim_task` (migration labeling_hot_path_functions): the steps above in the
  // same lock order, answering with the task view, in one round trip. It asks for a sweep first when any claim has
  // expired (rare); a deadlock victim is rolled back whole and called again.
  type Out = { outcome: 'sweep_first' | 'labeler_not_found' | 'labeler_disabled' | 'resumed' | 'claimed' | 'none'; task?: TaskViewJson };
  let out: Out;
  let checkExpired = true;
  for (let attempt = 1; ; attempt++) {
    try {
      const [row] = await db.$queryRaw<{ r: Out | string }[]>`SELECT hone_claim_task(${input.labelerId}, ${ids ?? null}::text[], ${now}::timestamptz, ${uuidV7(now.getTime())}, ${checkExpired}) AS r`;
      out = typeof row.r === 'string' ? (JSON.parse(row.r) as Out) : row.r;
    } catch (e) {
      if (attempt >= 4 || !isTransientTransactionError(e)) throw e;
      await new Promise((r) => setTimeout(r, 5 * attempt));
      continue;
    }
    if (out.outcome !== 'sweep_first') break;
    // Expired claims go back to the pool first (up to 100, as every claim always did); then the claim proper.
    await releaseExpiredAssignments(db, { now, limit: 100 });
    checkExpired = false;
  }
  switch (out.outcome) {
    case 'labeler_not_found':
      throw new AppError('NOT_FOUND', `labeler ${input.labelerId} not found`, { labelerId: input.labelerId });
    case 'labeler_disabled':
      throw new AppError('FORBIDDEN', `labeler ${input.labelerId} is disabled`, { labelerId: input.labelerId });
    case 'none':
      return null;
    default:
      return { ...taskViewFromJson(out.task as TaskViewJson), resumed: out.outcome === 'resumed' };
  }
}
