import { Rng } from '../../engine/util/rng';
import type { Db } from '../db';
import { krippendorffAlpha, pairwiseAgreement, rankUnits, type DoublyRanked, type PairwiseAgreement } from './agreement-stats';
import { checkRoundIndex, findRound } from './internal/find-round';
import { groupedOrdering } from './ranking-ordering';

/** InstructGPT's reported inter-annotator agreement among training labelers (Ouyang et al., 2022, §3.4 / §5.x). */
export const INSTRUCTGPT_AGREEMENT = {
  agreement: 0.726,
  plusMinus: 0.015,
  source: 'Ouyang et al. 2022, "Training language models to follow instructions with human feedback": training labelers agree with each other 72.6 ± 1.5% of the time',
} as const;

export interface LabelingAgreement {
  experimentId: string;
  roundIndex: number;
  /** Tasks ranked by two labelers (the overlap share, once both labels are in). */
  tasks: number;
  pairwise: PairwiseAgreement;
  krippendorffAlpha: {
    value: number | null;
    /** Percentile bootstrap over tasks; null with fewer than two tasks. */
    ci95: [number, number] | null;
    metric: 'interval';
    values: 'mid-ranks (1-based) of each sample within its task';
    /** Samples with two ranks. */
    units: number;
    bootstrap: { resamples: number; seed: number };
  };
  reference: typeof INSTRUCTGPT_AGREEMENT;
}

/**
 * Agreement between labelers on the round's doubly-ranked tasks: pairwise agreement with a 95% CI and
 * Krippendorff's α (interval metric on within-task mid-ranks, with a seeded bootstrap CI), beside InstructGPT's
 * 72.6 ± 1.5%. Definitions and choices: see agreement-stats.ts. A task with more than two rankings (not produced
 * by claimNextTask) uses its first two.
 */
export async function labelingAgreement(db: Db, input: { experimentId: string; roundIndex: number; bootstrapSeed?: number; resamples?: number }): Promise<LabelingAgreement> {
  const round = await findRound(db, input.experimentId, checkRoundIndex(input.roundIndex));
  const tasks = await db.rankingTask.findMany({
    where: { roundId: round.id, rankings: { some: {} } },
    select: { id: true, rankings: { select: { ordering: true, ties: true, submittedAt: true, id: true }, orderBy: [{ submittedAt: 'asc' }, { id: 'asc' }] } },
    orderBy: { position: 'asc' },
  });
  const doubly: DoublyRanked[] = tasks
    .filter((t) => t.rankings.length >= 2)
    .map((t) => {
      const [a, b] = t.rankings.slice(0, 2).map((r) => groupedOrdering(r.ordering, r.ties as string[][]).map((g) => (typeof g === 'string' ? [g] : g)));
      return { a, b };
    });
  return agreementOf(input.experimentId, input.roundIndex, doubly, input.bootstrapSeed ?? 0, input.resamples ?? 1000);
}

/** The statistics of {@link labelingAgreement} over given doubly-ranked tasks (exported for tests and reports). */
export function agreementOf(experimentId: string, roundIndex: number, doubly: DoublyRanked[], seed: number, resamples: number): LabelingAgreement {
  const units = rankUnits(doubly);
  const value = krippendorffAlpha(units, 'interval');
  let ci95: [number, number] | null = null;
  if (doubly.length >= 2 && value !== null) {
    const rng = Rng.fromSeed(seed);
    const perTask = doubly.map((t) => rankUnits([t]));
    const draws: number[] = [];
    for (let b = 0; b < resamples; b++) {
      const sample: number[][] = [];
      for (let i = 0; i < perTask.length; i++) sample.push(...perTask[rng.int(perTask.length)]);
      const a = krippendorffAlpha(sample, 'interval');
      if (a !== null) draws.push(a);
    }
    draws.sort((x, y) => x - y);
    if (draws.length > 0) ci95 = [quantile(draws, 0.025), quantile(draws, 0.975)];
  }
  return {
    experimentId,
    roundIndex,
    tasks: doubly.length,
    pairwise: pairwiseAgreement(doubly),
    krippendorffAlpha: { value, ci95, metric: 'interval', values: 'mid-ranks (1-based) of each sample within its task', units: units.length, bootstrap: { resamples, seed } },
    reference: INSTRUCTGPT_AGREEMENT,
  };
}

function quantile(sorted: number[], q: number): number {
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}
