import { recordAudit } from '../audit';
import type { Db } from '../db';
import { runTransaction } from './internal/run-transaction';

export interface ReleaseExpiredAssignmentsInput {
  now?: Date;
  /** At most this many per call (default 500); call again while `released` equals it. */
  limit?: number;
  actor?: string;
}

/**
 * Puts tasks whose claim expired (`expiresAt` passed without a submission) back in the pool: the assignment becomes
 * `expired` and its task's assigned count drops, with an `assignment.expired` audit event each, in one transaction.
 * Rows another transaction holds (say, a submission of that very assignment) are skipped, not waited for; the
 * labeler whose assignment expired never gets that task again. Safe to run from many processes at once.
 */
export async function releaseExpiredAssignments(db: Db, input: ReleaseExpiredAssignmentsInput = {}): Promise<{ released: number }> {
  const now = input.now ?? new Date();
  const limit = input.limit ?? 500;
  // Almost always nothing has expired: one indexed read, no transaction (claims call this every time).
  const any = await db.taskAssignment.findFirst({ where: { status: 'active', expiresAt: { lte: now } }, select: { id: true } });
  if (!any) return { released: 0 };
  return runTransaction(db, async (tx) => {
    const rows = await tx.$queryRaw<{ id: string; taskId: string; labelerId: string; experimentId: string }[]>`
      WITH picked AS (
        SELECT a."id" FROM "TaskAssignment" a
        WHERE a."status" = 'active' AND a."expiresAt" <= ${now}
        ORDER BY a."expiresAt" LIMIT ${limit}
        FOR UPDATE SKIP LOCKED
      )
      UPDATE "TaskAssignment" a SET "status" = 'expired', "completedAt" = ${now}
      FROM picked, "RankingTask" t, "Round" r
      WHERE a."id" = picked."id" AND t."id" = a."taskId" AND r."id" = t."roundId"
      RETURNING a."id", a."taskId", a."labelerId", r."experimentId"`;
    if (rows.length === 0) return { released: 0 };
    const perTask = new Map<string, number>();
    for (const r of rows) perTask.set(r.taskId, (perTask.get(r.taskId) ?? 0) + 1);
    // Task rows in id order, so two sweepers cannot deadlock on them.
    for (const [taskId, n] of [...perTask.entries()].sort(([a], [b]) => (a < b ? -1 : 1))) {
      await tx.rankingTask.update({ where: { id: taskId }, data: { assignedLabels: { decrement: n } } });
    }
    for (const r of rows) {
      await recordAudit(tx, {
        experimentId: r.experimentId,
        actor: input.actor ?? 'system',
        action: 'assignment.expired',
        subject: { type: 'assignment', id: r.id },
        data: { taskId: r.taskId, labelerId: r.labelerId },
      });
    }
    return { released: rows.length };
  });
}
