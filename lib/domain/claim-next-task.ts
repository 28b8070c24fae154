import { recordAudit } from '../audit';
import { Prisma, type Db } from '../db';
import { AppError } from '../errors';
import { runTransaction } from './internal/run-transaction';
import { uuidV7 } from './internal/uuid-v7';
import { tryLockRoundShared } from './internal/round-lock';
import { scopedExperimentIds, sqlInIds, type ExperimentScope } from './internal/scope-filter';
import { labelingTaskView, type LabelingTaskView } from './labeling-task-view';
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
  await releaseExpiredAssignments(db, { now, limit: 100 });
  return runTransaction(db, async (tx) => {
    // Serialises one labeler's claims (two browser tabs), so the "not seen before" check below cannot race.
    const me = await tx.$queryRaw<{ disabled: boolean }[]>`SELECT "disabled" FROM "Labeler" WHERE "id" = ${input.labelerId} FOR UPDATE`;
    if (me.length === 0) throw new AppError('NOT_FOUND', `labeler ${input.labelerId} not found`, { labelerId: input.labelerId });
    if (me[0].disabled) throw new AppError('FORBIDDEN', `labeler ${input.labelerId} is disabled`, { labelerId: input.labelerId });

    const held = await tx.$queryRaw<{ id: string }[]>`
      SELECT a."id" FROM "TaskAssignment" a
      JOIN "RankingTask" t ON t."id" = a."taskId" JOIN "Round" r ON r."id" = t."roundId"
      WHERE a."labelerId" = ${input.labelerId} AND a."status" = 'active' AND a."expiresAt" > ${now}
        AND t."status" = 'open' AND r."status" IN ('open', 'paused') ${sqlInIds(Prisma.sql`r."experimentId"`, ids)}
      ORDER BY a."assignedAt" LIMIT 1`;
    if (held.length > 0) return { ...(await labelingTaskView(tx, held[0].id)), resumed: true };

    const rounds = await tx.$queryRaw<{ id: string; assignmentTtlMs: number; experimentId: string; index: number }[]>`
      SELECT r."id", r."assignmentTtlMs", r."experimentId", r."index" FROM "Round" r
      WHERE r."status" = 'open' AND (r."deadline" IS NULL OR r."deadline" > ${now}) ${sqlInIds(Prisma.sql`r."experimentId"`, ids)}
      ORDER BY r."openedAt", r."id"`;
    for (const round of rounds) {
      if (!(await tryLockRoundShared(tx, round.id))) continue; // being closed right now
      // Re-read under the lock: a close that committed meanwhile is visible to this new statement.
      const fresh = await tx.$queryRaw<{ status: string }[]>`SELECT "status"::text AS status FROM "Round" WHERE "id" = ${round.id}`;
      if (fresh[0]?.status !== 'open') continue;
      const picked = await tx.$queryRaw<{ id: string }[]>`
        SELECT t."id" FROM "RankingTask" t
        WHERE t."roundId" = ${round.id} AND t."status" = 'open' AND t."assignedLabels" < t."requiredLabels"
          AND NOT EXISTS (SELECT 1 FROM "TaskAssignment" a WHERE a."taskId" = t."id" AND a."labelerId" = ${input.labelerId})
        ORDER BY t."position" LIMIT 1
        FOR UPDATE SKIP LOCKED`;
      if (picked.length === 0) continue;
      const taskId = picked[0].id;
      const assignmentId = uuidV7();
      const expiresAt = new Date(now.getTime() + round.assignmentTtlMs);
      // The assignment and the task's assigned count in one statement (the count is CHECKed ≤ requiredLabels).
      await tx.$executeRaw`
        WITH a AS (
          INSERT INTO "TaskAssignment" ("id", "taskId", "labelerId", "status", "assignedAt", "expiresAt")
          VALUES (${assignmentId}, ${taskId}, ${input.labelerId}, 'active', ${now}, ${expiresAt}) RETURNING "taskId"
        )
        UPDATE "RankingTask" SET "assignedLabels" = "assignedLabels" + 1, "updatedAt" = ${now} WHERE "id" = (SELECT "taskId" FROM a)`;
      await recordAudit(tx, {
        experimentId: round.experimentId,
        actor: `labeler:${input.labelerId}`,
        action: 'task.assigned',
        subject: { type: 'task', id: taskId },
        data: { assignmentId, roundIndex: round.index - 1, expiresAt: expiresAt.toISOString() },
      });
      return { ...(await labelingTaskView(tx, assignmentId)), resumed: false };
    }
    return null;
  });
}
