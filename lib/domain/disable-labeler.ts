import { recordAudit } from '../audit';
import type { Db } from '../db';
import { AppError } from '../errors';
import { runTransaction } from './internal/run-transaction';
import { labelerView, type LabelerView } from './labeler-view';

/**
 * Disables a labeler: their tokens are revoked at once (authenticate refuses them) and the tasks they hold go back
 * to the pool; rankings they already submitted stay. Idempotent. The last enabled admin cannot be disabled
 * (INVALID_STATE), so hone always has someone who can steer it.
 */
export async function disableLabeler(db: Db, input: { labelerId: string; actor: string; reason?: string; now?: Date }): Promise<LabelerView> {
  const now = input.now ?? new Date();
  return runTransaction(db, async (tx) => {
    const rows = await tx.$queryRaw<{ role: string; disabled: boolean }[]>`SELECT "role"::text AS role, "disabled" FROM "Labeler" WHERE "id" = ${input.labelerId} FOR UPDATE`;
    if (rows.length === 0) throw new AppError('NOT_FOUND', `labeler ${input.labelerId} not found`, { labelerId: input.labelerId });
    if (!rows[0].disabled) {
      if (rows[0].role === 'admin') {
        // Lock every enabled admin, so two concurrent disables cannot each see the other as "another admin".
        const admins = await tx.$queryRaw<{ id: string }[]>`SELECT "id" FROM "Labeler" WHERE "role" = 'admin' AND NOT "disabled" ORDER BY "id" FOR UPDATE`;
        if (admins.length <= 1) throw new AppError('INVALID_STATE', 'cannot disable the last enabled admin; create another admin first');
      }
      await tx.labeler.update({ where: { id: input.labelerId }, data: { disabled: true } });
      const revoked = await tx.apiToken.updateMany({ where: { labelerId: input.labelerId, revokedAt: null }, data: { revokedAt: now } });
      const released = await tx.$queryRaw<{ taskId: string }[]>`
        UPDATE "TaskAssignment" SET "status" = 'released', "completedAt" = ${now}
        WHERE "labelerId" = ${input.labelerId} AND "status" = 'active'
        RETURNING "taskId"`;
      for (const taskId of [...new Set(released.map((r) => r.taskId))].sort()) {
        await tx.rankingTask.update({ where: { id: taskId }, data: { assignedLabels: { decrement: released.filter((r) => r.taskId === taskId).length } } });
      }
      await recordAudit(tx, {
        actor: input.actor,
        action: 'labeler.disabled',
        subject: { type: 'labeler', id: input.labelerId },
        data: { revokedTokens: revoked.count, releasedAssignments: released.length, reason: input.reason ?? null },
      });
    }
    return labelerView(await tx.labeler.findUniqueOrThrow({ where: { id: input.labelerId }, include: { tokens: true } }));
  });
}
