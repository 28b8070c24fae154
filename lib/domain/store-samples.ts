import { createHash } from 'node:crypto';
import { z } from 'zod';
import { recordAudit } from '../audit';
import type { Db, Prisma } from '../db';
import { AppError } from '../errors';
import { withIdempotencyKey } from './internal/idempotency';
import { parseInput } from './internal/parse-input';
import { runTransaction } from './internal/run-transaction';
import { roundNumber } from './views';

const promptSchema = z.union([
  z.string().min(1).max(20_000),
  z.strictObject({
    /** Stable key from the task (e.g. `train/0042`): the same prompt in two rounds is one Prompt row. */
    key: z.string().min(1).max(200),
    text: z.string().min(1).max(20_000),
    split: z.enum(['train', 'heldout']).optional(),
    metadata: z.record(z.string(), z.unknown()).optional(),
  }),
]);

const completionSchema = z.strictObject({
  text: z.string().max(100_000),
  /** Generated token ids, or just their number. */
  tokens: z.union([z.int().min(0), z.array(z.int().min(0)).max(100_000)]),
  /** Sum of per-token log-probabilities under the generating policy. */
  logprob: z.number().refine(Number.isFinite, { error: 'must be finite' }).nullable().optional(),
  policyArtifactId: z.string().min(1),
});

const inputSchema = z.strictObject({
  experimentId: z.string().min(1),
  roundIndex: z.int().min(0),
  items: z
    .array(z.strictObject({ prompt: promptSchema, completions: z.array(completionSchema).min(2).max(9) }))
    .min(1)
    .max(100_000),
  /** The activity's idempotency key: a retry with it returns the first attempt's result and writes nothing. */
  idempotencyKey: z.string().min(1).max(512),
  actor: z.string().trim().min(1),
});
export type StoreSamplesInput = z.input<typeof inputSchema>;

export interface StoreSamplesResult {
  roundId: string;
  roundIndex: number;
  prompts: number;
  samples: number;
  /** K, the completions per prompt. */
  completionsPerPrompt: number;
  /** true when an earlier call with this idempotency key stored them (nothing was written now). */
  replayed: boolean;
}

/** A prompt given as plain text gets a key derived from its text, so the same text is one row. */
function promptOf(p: z.output<typeof promptSchema>): { key: string; text: string; split: string; metadata: Prisma.InputJsonObject } {
  if (typeof p === 'string') return { key: `text/${createHash('sha256').update(p).digest('hex').slice(0, 24)}`, text: p, split: 'train', metadata: {} };
  return { key: p.key, text: p.text, split: p.split ?? 'train', metadata: (p.metadata ?? {}) as Prisma.InputJsonObject };
}

/**
 * Stores one round's prompts and their K completions each (creating the round row, status `pending`) with a
 * `samples.stored` audit event, in one transaction, keyed by `idempotencyKey`: a retried activity never duplicates
 * rows. A round takes samples once: a second, different call for a round that has samples is a CONFLICT, as is a
 * prompt key reused with different text. Every prompt has the same K (2–9), which the ranking tasks need.
 */
export async function storeSamples(db: Db, input: StoreSamplesInput): Promise<StoreSamplesResult> {
  const args = parseInput(inputSchema, input, 'samples');
  const prompts = args.items.map((it) => promptOf(it.prompt));
  const k = args.items[0].completions.length;
  const keys = new Set<string>();
  args.items.forEach((it, i) => {
    if (it.completions.length !== k) throw new AppError('VALIDATION_FAILED', `items[${i}] has ${it.completions.length} completions; every prompt of a round needs the same K (${k}, from items[0])`);
    if (keys.has(prompts[i].key)) throw new AppError('VALIDATION_FAILED', `items[${i}]: prompt ${JSON.stringify(prompts[i].key)} appears twice`);
    keys.add(prompts[i].key);
  });
  const policyIds = [...new Set(args.items.flatMap((it) => it.completions.map((c) => c.policyArtifactId)))];

  const { result, replayed } = await runTransaction(
    db,
    (tx) =>
      withIdempotencyKey(tx, { key: args.idempotencyKey, operation: 'samples.store', request: args, experimentId: args.experimentId }, async () => {
        const exp = await tx.experiment.findUnique({ where: { id: args.experimentId }, select: { id: true, status: true } });
        if (!exp) throw new AppError('NOT_FOUND', `experiment ${args.experimentId} not found`, { experimentId: args.experimentId });
        if (['completed', 'failed', 'cancelled'].includes(exp.status)) throw new AppError('INVALID_STATE', `experiment ${args.experimentId} is ${exp.status}; it takes no more samples`);
        const found = await tx.artifact.findMany({ where: { id: { in: policyIds } }, select: { id: true } });
        const missing = policyIds.filter((id) => !found.some((f) => f.id === id));
        if (missing.length > 0) throw new AppError('NOT_FOUND', `policy artifact ${missing.join(', ')} not found (register it before storing its samples)`, { missing });

        const index = roundNumber(args.roundIndex);
        let round = await tx.round.findUnique({ where: { experimentId_index: { experimentId: args.experimentId, index } } });
        if (round && (await tx.sample.count({ where: { roundId: round.id } })) > 0) {
          throw new AppError('CONFLICT', `round ${args.roundIndex} of experiment ${args.experimentId} already has samples from another step; a round is sampled once`, { roundIndex: args.roundIndex });
        }
        round ??= await tx.round.create({ data: { experimentId: args.experimentId, index, quorum: 0, policyArtifactId: policyIds.length === 1 ? policyIds[0] : null } });

        await tx.prompt.createMany({ data: prompts.map((p) => ({ experimentId: args.experimentId, ...p })), skipDuplicates: true });
        const rows = await tx.prompt.findMany({ where: { experimentId: args.experimentId, key: { in: [...keys] } } });
        const byKey = new Map(rows.map((r) => [r.key, r]));
        for (const p of prompts) {
          const row = byKey.get(p.key);
          if (!row) throw new AppError('INTERNAL', `prompt ${p.key} vanished while storing samples`);
          if (row.text !== p.text) throw new AppError('CONFLICT', `prompt ${JSON.stringify(p.key)} is stored with different text; prompt keys must identify one text`, { key: p.key });
        }
        const samples: Prisma.SampleCreateManyInput[] = args.items.flatMap((it, i) =>
          it.completions.map((c, j) => ({
            promptId: byKey.get(prompts[i].key)!.id,
            roundId: round.id,
            index: j,
            completion: c.text,
            tokenCount: typeof c.tokens === 'number' ? c.tokens : c.tokens.length,
            logprob: c.logprob ?? null,
            policyArtifactId: c.policyArtifactId,
          })),
        );
        for (let i = 0; i < samples.length; i += 5000) await tx.sample.createMany({ data: samples.slice(i, i + 5000) });
        await recordAudit(tx, {
          experimentId: args.experimentId,
          actor: args.actor,
          action: 'samples.stored',
          subject: { type: 'round', id: round.id },
          data: { roundIndex: args.roundIndex, prompts: prompts.length, samples: samples.length, completionsPerPrompt: k, policyArtifactIds: policyIds.slice(0, 20), idempotencyKey: args.idempotencyKey },
        });
        return { roundId: round.id, roundIndex: args.roundIndex, prompts: prompts.length, samples: samples.length, completionsPerPrompt: k };
      }),
    { timeoutMs: 120_000 },
  );
  return { ...(result as Omit<StoreSamplesResult, 'replayed'>), replayed };
}
