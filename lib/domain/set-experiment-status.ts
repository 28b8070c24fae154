import { z } from 'zod';
import { recordAudit } from '../audit';
import type { Db, Prisma, Tx } from '../db';
import { AppError } from '../errors';
import { closeRoundInTx } from './internal/close-round-in-tx';
import { parseInput } from './internal/parse-input';
import { runTransaction } from './internal/run-transaction';
import { experimentView, roundNumber, type ExperimentStatusName, type ExperimentView } from './views';

/** Lifecycle changes an experiment may make; a status to itself is always allowed (a no-op). */
export const EXPERIMENT_TRANSITIONS: Readonly<Record<ExperimentStatusName, readonly ExperimentStatusName[]>> = {
  pending: ['running', 'paused', 'cancelled', 'failed'],
  running: ['paused', 'cancelled', 'failed', 'completed'],
  paused: ['running', 'cancelled', 'failed'],
  completed: [],
  failed: [],
  cancelled: [],
};

const inputSchema = z.strictObject({
  experimentId: z.string().min(1),
  status: z.enum(['running', 'paused', 'cancelled', 'failed', 'completed']),
  actor: z.string().trim().min(1),
  /** The workflow phase at the time (for the audit trail). */
  phase: z.string().max(64).optional(),
  /** 0-based round in progress, or null before the first round. */
  roundIndex: z.int().min(0).nullable().optional(),
  reason: z.string().max(2000).optional(),
  error: z.strictObject({ type: z.string().max(200), message: z.string().max(10_000) }).optional(),
  /** New deadline of the open labeling round (pauses do not count against it). */
  labelingDeadlineAt: z.union([z.iso.datetime({ offset: true }), z.date()]).optional(),
  idempotencyKey: z.string().max(512).optional(),
  now: z.date().optional(),
});
export type SetExperimentStatusInput = z.input<typeof inputSchema>;

export interface SetExperimentStatusResult {
  experiment: ExperimentView;
  previous: ExperimentStatusName;
  /** false when the experiment already had this status (a retried write). */
  changed: boolean;
}

/**
 * Moves an experiment through its lifecycle (see {@link EXPERIMENT_TRANSITIONS}); writing the status it already
 * has is a no-op, so retried activities are harmless, and an illegal move is `INVALID_STATE`. Side effects, all in
 * the same transaction with an `experiment.status_changed` audit event:
 * - `paused` stops new assignments in its open round (submissions of claimed tasks are still taken);
 *   `running` reopens it;
 * - `cancelled` and `failed` close any open round (reason `cancelled` / `failed`);
 * - `labelingDeadlineAt` moves the open round's deadline (the workflow does not count paused time).
 */
export async function setExperimentStatus(db: Db, input: SetExperimentStatusInput): Promise<SetExperimentStatusResult> {
  const args = parseInput(inputSchema, input, 'experiment status change');
  return runTransaction(db, (tx) => setExperimentStatusInTx(tx, args));
}

/** {@link setExperimentStatus} inside an existing transaction (finalizeExperiment uses it). */
export async function setExperimentStatusInTx(tx: Tx, input: SetExperimentStatusInput): Promise<SetExperimentStatusResult> {
  const args = parseInput(inputSchema, input, 'experiment status change');
  const now = args.now ?? new Date();
  const locked = await tx.$queryRaw<{ status: ExperimentStatusName }[]>`SELECT "status"::text AS status FROM "Experiment" WHERE "id" = ${args.experimentId} FOR UPDATE`;
  if (locked.length === 0) throw new AppError('NOT_FOUND', `experiment ${args.experimentId} not found`, { experimentId: args.experimentId });
  const previous = locked[0].status;
  const deadline = args.labelingDeadlineAt === undefined ? undefined : new Date(args.labelingDeadlineAt);

  if (previous !== args.status && !EXPERIMENT_TRANSITIONS[previous].includes(args.status)) {
    throw new AppError('INVALID_STATE', `experiment ${args.experimentId} is ${previous} and cannot become ${args.status}`, { experimentId: args.experimentId, from: previous, to: args.status });
  }
  const changed = previous !== args.status;
  const data: Prisma.ExperimentUpdateInput = {};
  if (changed) {
    data.status = args.status;
    if (args.status === 'running') data.startedAt = (await tx.experiment.findUniqueOrThrow({ where: { id: args.experimentId } })).startedAt ?? now;
    if (args.status === 'failed') data.error = args.error ? `${args.error.type}: ${args.error.message}` : (args.reason ?? 'failed');
    if (args.status === 'completed' || args.status === 'failed' || args.status === 'cancelled') data.finishedAt = now;
  }
  if (args.roundIndex !== undefined && args.roundIndex !== null) data.currentRound = roundNumber(args.roundIndex);
  const experiment = Object.keys(data).length > 0 ? await tx.experiment.update({ where: { id: args.experimentId }, data }) : await tx.experiment.findUniqueOrThrow({ where: { id: args.experimentId } });

  const actor = args.actor;
  if (changed) {
    const live = await tx.round.findMany({ where: { experimentId: args.experimentId, status: { in: ['open', 'paused'] } } });
    for (const round of live) {
      if (args.status === 'cancelled' || args.status === 'failed') await closeRoundInTx(tx, round.id, args.status, actor, now);
      else if (args.status === 'paused' && round.status === 'open') await tx.round.update({ where: { id: round.id }, data: { status: 'paused' } });
      else if (args.status === 'running' && round.status === 'paused') await tx.round.update({ where: { id: round.id }, data: { status: 'open' } });
    }
  }
  if (deadline) {
    const moved = await tx.round.updateMany({ where: { experimentId: args.experimentId, status: { in: ['open', 'paused'] }, NOT: { deadline } }, data: { deadline } });
    if (moved.count > 0) {
      await recordAudit(tx, { experimentId: args.experimentId, actor, action: 'round.deadline_moved', subject: { type: 'experiment', id: args.experimentId }, data: { deadline: deadline.toISOString(), reason: args.reason ?? null } });
    }
  }
  if (changed) {
    await recordAudit(tx, {
      experimentId: args.experimentId,
      actor,
      action: 'experiment.status_changed',
      subject: { type: 'experiment', id: args.experimentId },
      data: {
        from: previous,
        to: args.status,
        phase: args.phase ?? null,
        roundIndex: args.roundIndex ?? null,
        reason: args.reason ?? null,
        error: args.error ?? null,
        idempotencyKey: args.idempotencyKey ?? null,
      },
    });
  }
  return { experiment: experimentView(experiment), previous, changed };
}
