import { recordAudit } from '../audit';
import type { Db, Prisma } from '../db';
import { AppError } from '../errors';

/** Steering requests an admin can send to a running experiment. */
export type SteeringAction = 'pause' | 'resume' | 'cancel' | 'extend_rounds' | 'close_round';

/**
 * Records who asked an experiment's workflow to pause, resume, cancel, extend or close a round, and whether the
 * workflow accepted it (`experiment.<action>_requested`). The workflow itself writes the resulting status changes;
 * this event is the "who and why" the workflow does not know.
 */
export async function recordSteering(
  db: Db,
  input: { experimentId: string; action: SteeringAction; actor: string; accepted: boolean; reason?: string; data?: Prisma.InputJsonObject },
): Promise<void> {
  const exists = await db.experiment.count({ where: { id: input.experimentId } });
  if (!exists) throw new AppError('NOT_FOUND', `experiment ${input.experimentId} not found`, { experimentId: input.experimentId });
  await db.$transaction((tx) =>
    recordAudit(tx, {
      experimentId: input.experimentId,
      actor: input.actor,
      action: `experiment.${input.action}_requested`,
      subject: { type: 'experiment', id: input.experimentId },
      data: { accepted: input.accepted, reason: input.reason ?? null, ...(input.data ?? {}) },
    }),
  );
}
