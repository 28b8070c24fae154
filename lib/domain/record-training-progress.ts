import { z } from 'zod';
import { recordAudit } from '../audit';
import type { Db, Prisma } from '../db';
import { AppError } from '../errors';
import { parseInput } from './internal/parse-input';
import { runTransaction } from './internal/run-transaction';
import { roundNumber } from './views';

const METRIC_NAME = /^[a-z][a-z0-9_]*(\/[a-z0-9_]+)+$/;

const inputSchema = z.strictObject({
  experimentId: z.string().min(1),
  /** 0-based round the training belongs to, or null for steps before the first round (SFT). */
  roundIndex: z.int().min(0).nullable(),
  /** Per-step values, e.g. `{ name: 'ppo/iter/mean_reward', step: 7, value: 0.4 }`. */
  points: z
    .array(
      z.strictObject({
        name: z.string().regex(METRIC_NAME, { error: 'must look like "area/metric" (lowercase, digits, _)' }),
        step: z.int().min(0),
        value: z.number().refine(Number.isFinite, { error: 'must be a finite number' }),
      }),
    )
    .max(10_000),
  /** An event to record in the same transaction (e.g. `training.resumed`). */
  event: z
    .strictObject({
      action: z.string().regex(/^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$/),
      subject: z.strictObject({ type: z.string().min(1), id: z.string().min(1) }),
      data: z.record(z.string(), z.unknown()).optional(),
    })
    .optional(),
  actor: z.string().trim().min(1),
});
export type RecordTrainingProgressInput = z.input<typeof inputSchema>;

/**
 * Records a long training step's progress while it runs: per-step metric rows (reward, KL, loss, … at each PPO
 * iteration) and, optionally, one audit event (a resume from a checkpoint, say) in the same transaction.
 *
 * Idempotent by (experiment, round, name, step): a retried attempt that passes the same step again keeps the first
 * value (these are logs of what happened, not the round's results, which `recordRoundSummary` records with a
 * conflict check). Returns how many metric rows were new.
 */
export async function recordTrainingProgress(db: Db, input: RecordTrainingProgressInput): Promise<{ inserted: number }> {
  const args = parseInput(inputSchema, input, 'training progress');
  const round = args.roundIndex === null ? 0 : roundNumber(args.roundIndex);
  return runTransaction(db, async (tx) => {
    const exists = await tx.experiment.count({ where: { id: args.experimentId } });
    if (!exists) throw new AppError('NOT_FOUND', `experiment ${args.experimentId} not found`, { experimentId: args.experimentId });
    const created = args.points.length > 0 ? await tx.metric.createMany({ data: args.points.map((p) => ({ experimentId: args.experimentId, round, ...p })), skipDuplicates: true }) : { count: 0 };
    if (args.event) {
      await recordAudit(tx, {
        experimentId: args.experimentId,
        actor: args.actor,
        action: args.event.action,
        subject: args.event.subject,
        data: { roundIndex: args.roundIndex, ...(args.event.data ?? {}) } as Prisma.InputJsonObject,
      });
    }
    return { inserted: created.count };
  });
}
