import { z } from 'zod';
import { recordAudit } from '../audit';
import type { Db } from '../db';
import { AppError } from '../errors';
import { parseInput } from './internal/parse-input';
import { runTransaction } from './internal/run-transaction';
import { roundSummaryMetrics, type MetricPoint, type RoundSummary } from './round-summary-metrics';
import { roundNumber } from './views';

const METRIC_NAME = /^[a-z][a-z0-9_]*(\/[a-z0-9_]+)+$/;
const metricSchema = z.strictObject({
  name: z.string().regex(METRIC_NAME, { error: 'must look like "area/metric" (lowercase, digits, _)' }),
  step: z.int().min(0),
  value: z.number().refine(Number.isFinite, { error: 'must be a finite number' }),
});

export interface RecordRoundSummaryInput {
  experimentId: string;
  summary: RoundSummary;
  /** Rounds planned now (an extension raises it); stored on the experiment. */
  roundsTotal?: number;
  /** Further points, e.g. per-iteration PPO logs: `{ name: 'ppo/kl_mean', step: 3, value: 0.4 }`. */
  metrics?: MetricPoint[];
  actor: string;
  idempotencyKey?: string;
}

export interface RecordRoundSummaryResult {
  /** Metric rows written now. */
  inserted: number;
  /** Rows that an earlier attempt wrote already (same values). */
  existing: number;
}

/**
 * Stores a finished round's metrics (one row per name and step; see {@link roundSummaryMetrics}) and a
 * `round.summarized` audit event, in one transaction. Idempotent by (experiment, round, name, step): a retry
 * writes nothing more; a retry whose values differ from the stored ones is a CONFLICT (it would mean two different
 * outcomes for one step).
 */
export async function recordRoundSummary(db: Db, input: RecordRoundSummaryInput): Promise<RecordRoundSummaryResult> {
  const s = input.summary;
  if (!s || typeof s.roundIndex !== 'number' || !Number.isInteger(s.roundIndex) || s.roundIndex < 0) throw new AppError('VALIDATION_FAILED', 'summary.roundIndex must be an integer ≥ 0');
  if (!input.actor?.trim()) throw new AppError('VALIDATION_FAILED', 'actor is required');
  const raw = [...roundSummaryMetrics(s), ...(input.metrics ?? [])];
  const bad = raw.find((p) => typeof p?.value !== 'number' || !Number.isFinite(p.value));
  if (bad) throw new AppError('VALIDATION_FAILED', `metric ${bad.name} at step ${bad.step} is ${String(bad.value)}; metric values must be finite numbers`, { name: bad.name });
  const points = parseInput(z.array(metricSchema).max(100_000), raw, 'round summary metrics');
  const seen = new Set<string>();
  for (const p of points) {
    const k = `${p.name}@${p.step}`;
    if (seen.has(k)) throw new AppError('VALIDATION_FAILED', `metric ${p.name} at step ${p.step} is given twice`);
    seen.add(k);
  }
  const round = roundNumber(s.roundIndex);
  return runTransaction(db, async (tx) => {
    const exp = await tx.experiment.findUnique({ where: { id: input.experimentId } });
    if (!exp) throw new AppError('NOT_FOUND', `experiment ${input.experimentId} not found`, { experimentId: input.experimentId });
    const created = await tx.metric.createMany({ data: points.map((p) => ({ experimentId: input.experimentId, round, name: p.name, step: p.step, value: p.value })), skipDuplicates: true });
    if (created.count < points.length) {
      const stored = await tx.metric.findMany({ where: { experimentId: input.experimentId, round, name: { in: [...new Set(points.map((p) => p.name))] } } });
      const byKey = new Map(stored.map((m) => [`${m.name}@${m.step}`, m.value]));
      const differing = points.filter((p) => byKey.get(`${p.name}@${p.step}`) !== p.value);
      if (differing.length > 0) {
        const d = differing[0];
        throw new AppError('CONFLICT', `metric ${d.name} at step ${d.step} of round ${s.roundIndex} is already stored as ${byKey.get(`${d.name}@${d.step}`)}, not ${d.value}`, { name: d.name, step: d.step });
      }
    }
    if (created.count > 0) {
      if (input.roundsTotal !== undefined && input.roundsTotal !== exp.roundsPlanned) {
        await tx.experiment.update({ where: { id: exp.id }, data: { roundsPlanned: input.roundsTotal } });
      }
      await recordAudit(tx, {
        experimentId: exp.id,
        actor: input.actor,
        action: 'round.summarized',
        subject: { type: 'experiment', id: exp.id },
        data: {
          roundIndex: s.roundIndex,
          samplesArtifactId: s.samples.samplesArtifactId,
          rewardModelArtifactId: s.rewardModel.rewardModelArtifactId,
          policyArtifactId: s.training.policyArtifactId,
          trainer: s.training.trainer,
          closedBy: s.labeling.closedBy,
          completedTasks: s.labeling.completedTasks,
          rankings: s.labeling.rankings,
          heldoutAccuracy: s.rewardModel.heldoutAccuracy,
          winRate: s.evaluation.winRate,
          klMean: s.evaluation.klMean,
          startedAt: s.startedAt,
          finishedAt: s.finishedAt,
          idempotencyKey: input.idempotencyKey ?? null,
        },
      });
    }
    return { inserted: created.count, existing: points.length - created.count };
  });
}
