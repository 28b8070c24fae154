import { recordAudit } from '../../audit';
import type { Tx } from '../../db';
import type { Round } from '../../db/generated/client';
import { lockRoundExclusive } from './round-lock';
import { roundIndexOf } from '../views';

/** Why a round stopped taking rankings. */
export type RoundCloseReason = 'quorum' | 'deadline' | 'manual' | 'cancelled' | 'failed';

export interface CloseRoundOutcome {
  round: Round;
  /** false when the round was closed already (nothing changed). */
  closed: boolean;
  releasedAssignments: number;
  cancelledTasks: number;
}

/**
 * Closes one round inside the caller's transaction: waits for in-flight claims and submissions (exclusive round
 * lock), releases its active assignments, cancels its incomplete tasks and marks it closed, with a `round.closed`
 * audit event. Idempotent: a closed round is returned as it is.
 */
export async function closeRoundInTx(tx: Tx, roundId: string, reason: RoundCloseReason, actor: string, now: Date): Promise<CloseRoundOutcome> {
  await lockRoundExclusive(tx, roundId);
  const current = await tx.round.findUniqueOrThrow({ where: { id: roundId } });
  if (current.status === 'closed') return { round: current, closed: false, releasedAssignments: 0, cancelledTasks: 0 };

  // Lock order everywhere: round lock → assignments → tasks → round row (see round-lock.ts).
  const released = await tx.$queryRaw<{ n: number }[]>`
    WITH rel AS (
      UPDATE "TaskAssignment" a SET "status" = 'released', "completedAt" = ${now}
      FROM "RankingTask" t
      WHERE a."taskId" = t."id" AND t."roundId" = ${roundId} AND a."status" = 'active'
      RETURNING a."taskId"
    ), per AS (SELECT "taskId", count(*)::int AS n FROM rel GROUP BY "taskId")
    UPDATE "RankingTask" t SET "assignedLabels" = t."assignedLabels" - per.n, "updatedAt" = ${now}
    FROM per WHERE t."id" = per."taskId"
    RETURNING per.n`;
  const releasedAssignments = released.reduce((s, r) => s + r.n, 0);
  const cancelled = await tx.rankingTask.updateMany({ where: { roundId, status: 'open' }, data: { status: 'cancelled' } });
  const round = await tx.round.update({ where: { id: roundId }, data: { status: 'closed', closeReason: reason, closedAt: now } });
  await recordAudit(tx, {
    experimentId: round.experimentId,
    actor,
    action: 'round.closed',
    subject: { type: 'round', id: round.id },
    data: {
      roundIndex: roundIndexOf(round.index),
      reason,
      tasksTotal: round.tasksTotal,
      completedTasks: round.tasksCompleted,
      rankings: round.rankingsReceived,
      cancelledTasks: cancelled.count,
      releasedAssignments,
    },
  });
  return { round, closed: true, releasedAssignments, cancelledTasks: cancelled.count };
}
