import type { Db } from '../db';
import { AppError } from '../errors';
import { closeRoundInTx, type RoundCloseReason } from './internal/close-round-in-tx';
import { checkRoundIndex, findRound } from './internal/find-round';
import { runTransaction } from './internal/run-transaction';
import type { RoundCounts } from './submit-ranking';

export interface CloseLabelingRoundInput {
  experimentId: string;
  roundIndex: number;
  reason: 'quorum' | 'deadline' | 'manual';
  actor: string;
  now?: Date;
}

export interface CloseLabelingRoundResult extends RoundCounts {
  /** Why the round is closed (the first close's reason on a repeat). */
  closedBy: string;
  /** false when it was closed already. */
  closed: boolean;
  releasedAssignments: number;
  cancelledTasks: number;
}

/**
 * Closes a labeling round to further claims and submissions: in one transaction, after the claims and submissions
 * in flight have committed, its open tasks are cancelled, active assignments released and the round marked closed
 * (with a `round.closed` audit event). Returns the final counts. Idempotent: closing a closed round returns its
 * counts and original reason.
 */
export async function closeLabelingRound(db: Db, input: CloseLabelingRoundInput): Promise<CloseLabelingRoundResult> {
  if (!['quorum', 'deadline', 'manual'].includes(input.reason)) throw new AppError('VALIDATION_FAILED', `reason must be quorum, deadline or manual (got ${JSON.stringify(input.reason)})`);
  if (!input.actor?.trim()) throw new AppError('VALIDATION_FAILED', 'actor is required');
  const found = await findRound(db, input.experimentId, checkRoundIndex(input.roundIndex));
  const out = await runTransaction(db, (tx) => closeRoundInTx(tx, found.id, input.reason as RoundCloseReason, input.actor, input.now ?? new Date()));
  const r = out.round;
  return {
    taskCount: r.tasksTotal,
    completedTasks: r.tasksCompleted,
    rankings: r.rankingsReceived,
    quorum: r.quorum,
    closedBy: r.closeReason ?? input.reason,
    closed: out.closed,
    releasedAssignments: out.releasedAssignments,
    cancelledTasks: out.cancelledTasks,
  };
}
