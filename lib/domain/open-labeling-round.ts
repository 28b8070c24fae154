import { z } from 'zod';
import { Rng } from '../../engine/util/rng';
import { recordAudit } from '../audit';
import type { Db, Prisma } from '../db';
import { AppError } from '../errors';
import { quorumTasks, type ExperimentSpec, type QuorumSpec } from '../spec';
import { findRound } from './internal/find-round';
import { parseInput } from './internal/parse-input';
import { lockRoundExclusive } from './internal/round-lock';
import { runTransaction } from './internal/run-transaction';
import { roundIndexOf } from './views';

const quorumSchema = z.union([
  z.int().min(1),
  z.strictObject({ tasks: z.int().min(1) }),
  z.strictObject({ share: z.number().gt(0).max(1) }),
]);

const inputSchema = z.strictObject({
  experimentId: z.string().min(1),
  roundIndex: z.int().min(0),
  /** Completed tasks that end the round: a count, or the spec's quorum (`{ share }` / `{ tasks }`); default the spec's. */
  quorum: quorumSchema.optional(),
  /** When the round closes even without quorum; default now + the spec's labeling.deadline. */
  deadline: z.union([z.date(), z.iso.datetime({ offset: true })]).optional(),
  /** Share of tasks that a second labeler also ranks (0–1); default the spec's labeling.overlap. */
  overlapShare: z.number().min(0).max(1).optional(),
  /** Seed of the per-task sample shuffle and of the overlap draw. */
  seed: z.int().min(0).max(2 ** 31 - 1),
  /** How long a claim holds a task; default the spec's labeling.assignmentExpiry. */
  assignmentTtlMs: z.int().min(1000).max(30 * 86_400_000).optional(),
  actor: z.string().trim().min(1),
  now: z.date().optional(),
});
export type OpenLabelingRoundInput = z.input<typeof inputSchema>;

export interface OpenLabelingRoundResult {
  roundId: string;
  roundIndex: number;
  taskCount: number;
  /** Completed tasks that make the quorum (resolved against taskCount). */
  quorum: number;
  /** The deadline as stored (the first open wins on a retry). */
  deadlineAt: Date;
  overlapTasks: number;
  completedTasks: number;
  /** true when the round was open already (a retried activity): nothing was written. */
  replayed: boolean;
}

/**
 * Opens a sampled round for labeling: one RankingTask per prompt over its K samples, in the same transaction with
 * the round's settings and a `round.opened` audit event.
 *
 * - Samples are shown in an order shuffled per task (seeded by `seed` and the prompt key), so a position bias of
 *   labelers does not line up with generation order.
 * - Exactly round(overlapShare × tasks) tasks, drawn with the seed, need two labels (for agreement).
 * - Tasks are offered in a seeded shuffled order.
 *
 * Idempotent: once open (or closed), it returns the stored round. A paused experiment's round opens paused.
 */
export async function openLabelingRound(db: Db, input: OpenLabelingRoundInput): Promise<OpenLabelingRoundResult> {
  const args = parseInput(inputSchema, input, 'labeling round');
  const now = args.now ?? new Date();
  return runTransaction(
    db,
    async (tx) => {
      const found = await findRound(tx, args.experimentId, args.roundIndex);
      await lockRoundExclusive(tx, found.id);
      const round = await tx.round.findUniqueOrThrow({ where: { id: found.id } });
      if (round.status !== 'pending') {
        return {
          roundId: round.id,
          roundIndex: args.roundIndex,
          taskCount: round.tasksTotal,
          quorum: round.quorum,
          deadlineAt: round.deadline ?? now,
          overlapTasks: await tx.rankingTask.count({ where: { roundId: round.id, requiredLabels: 2 } }),
          completedTasks: round.tasksCompleted,
          replayed: true,
        };
      }
      const exp = await tx.experiment.findUniqueOrThrow({ where: { id: args.experimentId } });
      if (['completed', 'failed', 'cancelled'].includes(exp.status)) throw new AppError('INVALID_STATE', `experiment ${exp.id} is ${exp.status}; no round can open`);
      const spec = exp.spec as unknown as ExperimentSpec;

      const samples = await tx.sample.findMany({ where: { roundId: round.id }, select: { id: true, promptId: true, index: true, prompt: { select: { key: true } } }, orderBy: [{ promptId: 'asc' }, { index: 'asc' }] });
      if (samples.length === 0) throw new AppError('INVALID_STATE', `round ${args.roundIndex} of experiment ${exp.id} has no samples yet; store them first`, { roundIndex: args.roundIndex });
      const byPrompt = new Map<string, { key: string; ids: string[] }>();
      for (const s of samples) {
        const entry = byPrompt.get(s.promptId) ?? { key: s.prompt.key, ids: [] };
        entry.ids.push(s.id);
        byPrompt.set(s.promptId, entry);
      }
      // Sort by prompt key so the draw depends on the seed and the prompts, not on row ids.
      const prompts = [...byPrompt.entries()].sort(([, a], [, b]) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
      const n = prompts.length;
      const overlapShare = args.overlapShare ?? spec?.labeling?.overlap ?? 0;
      const overlapCount = Math.round(overlapShare * n);
      const root = Rng.fromSeed(args.seed);
      const overlapSet = new Set(root.fork('overlap').shuffle(prompts.map((_, i) => i)).slice(0, overlapCount));
      const order = root.fork('task-order').shuffle(prompts.map((_, i) => i));
      const positionOf = new Map(order.map((promptIdx, pos) => [promptIdx, pos]));
      const tasks: Prisma.RankingTaskCreateManyInput[] = prompts.map(([promptId, p], i) => ({
        roundId: round.id,
        promptId,
        sampleIds: root.fork(`shuffle/${p.key}`).shuffle([...p.ids]),
        position: positionOf.get(i)!,
        requiredLabels: overlapSet.has(i) ? 2 : 1,
      }));
      for (let i = 0; i < tasks.length; i += 5000) await tx.rankingTask.createMany({ data: tasks.slice(i, i + 5000) });

      const quorum = resolveQuorum(args.quorum ?? (spec?.labeling?.quorum as QuorumSpec | undefined) ?? { share: 1 }, n);
      const deadline = args.deadline !== undefined ? new Date(args.deadline) : new Date(now.getTime() + (spec?.labeling?.deadline ?? 2 * 86_400_000));
      const assignmentTtlMs = args.assignmentTtlMs ?? spec?.labeling?.assignmentExpiry ?? 30 * 60_000;
      const opened = await tx.round.update({
        where: { id: round.id },
        data: { status: exp.status === 'paused' ? 'paused' : 'open', quorum, deadline, overlap: overlapShare, tasksTotal: n, assignmentTtlMs, seed: args.seed, openedAt: now },
      });
      await recordAudit(tx, {
        experimentId: exp.id,
        actor: args.actor,
        action: 'round.opened',
        subject: { type: 'round', id: round.id },
        data: { roundIndex: roundIndexOf(opened.index), tasks: n, overlapTasks: overlapCount, quorum, deadline: deadline.toISOString(), seed: args.seed, assignmentTtlMs, k: prompts[0][1].ids.length },
      });
      return { roundId: round.id, roundIndex: args.roundIndex, taskCount: n, quorum, deadlineAt: deadline, overlapTasks: overlapCount, completedTasks: 0, replayed: false };
    },
    { timeoutMs: 120_000 },
  );
}

function resolveQuorum(q: number | QuorumSpec, taskCount: number): number {
  if (typeof q === 'number') return Math.min(q, taskCount);
  return quorumTasks(q, taskCount);
}
