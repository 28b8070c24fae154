import type { Db } from '../db';
import { AppError } from '../errors';
import { checkRoundIndex } from './internal/find-round';
import { groupedOrdering } from './ranking-ordering';
import { roundIndexOf, roundNumber } from './views';

export interface TrainingRanking {
  rankingId: string;
  taskId: string;
  roundIndex: number;
  labelerId: string;
  prompt: { id: string; key: string; text: string };
  /** Completions best first; tied ones share a `rank` (0-based group index). */
  completions: { sampleId: string; text: string; rank: number; tokenCount: number }[];
  /** Groups of sample ids judged equal (pairs inside a group carry no preference). */
  ties: string[][];
  quality: number;
  flags: { followsInstruction: boolean; hallucination: boolean; harmful: boolean };
  /** true for tasks in the overlap share: the same task appears once per labeler, kept distinct. */
  overlap: boolean;
  submittedAt: Date;
}

/**
 * Every ranking of rounds 0..uptoRound (0-based, inclusive), as the reward model fitting reads them: per ranking
 * the prompt, its completions' texts in rank order, the ties and the labeler. Overlap tasks yield one entry per
 * labeler, so the caller decides whether to keep both, one, or neither. Ordered by round, task order, submission.
 */
export async function getRankingsForTraining(db: Db, input: { experimentId: string; uptoRound: number }): Promise<TrainingRanking[]> {
  checkRoundIndex(input.uptoRound);
  const exists = await db.experiment.count({ where: { id: input.experimentId } });
  if (!exists) throw new AppError('NOT_FOUND', `experiment ${input.experimentId} not found`, { experimentId: input.experimentId });
  const rankings = await db.ranking.findMany({
    where: { task: { round: { experimentId: input.experimentId, index: { lte: roundNumber(input.uptoRound) } } } },
    include: { task: { select: { id: true, requiredLabels: true, position: true, prompt: true, round: { select: { index: true } } } } },
  });
  rankings.sort(
    (x, y) =>
      x.task.round.index - y.task.round.index ||
      x.task.position - y.task.position ||
      x.submittedAt.getTime() - y.submittedAt.getTime() ||
      (x.id < y.id ? -1 : 1),
  );
  const sampleIds = [...new Set(rankings.flatMap((r) => r.ordering))];
  const samples = new Map<string, { completion: string; tokenCount: number }>();
  for (let i = 0; i < sampleIds.length; i += 10_000) {
    for (const s of await db.sample.findMany({ where: { id: { in: sampleIds.slice(i, i + 10_000) } }, select: { id: true, completion: true, tokenCount: true } })) samples.set(s.id, s);
  }
  return rankings.map((r) => {
    const groups = groupedOrdering(r.ordering, r.ties as string[][]);
    const completions = groups.flatMap((g, rank) =>
      (typeof g === 'string' ? [g] : g).map((id) => ({ sampleId: id, text: samples.get(id)?.completion ?? '', tokenCount: samples.get(id)?.tokenCount ?? 0, rank })),
    );
    return {
      rankingId: r.id,
      taskId: r.taskId,
      roundIndex: roundIndexOf(r.task.round.index),
      labelerId: r.labelerId,
      prompt: { id: r.task.prompt.id, key: r.task.prompt.key, text: r.task.prompt.text },
      completions,
      ties: r.ties as string[][],
      quality: r.quality,
      flags: r.flags as TrainingRanking['flags'],
      overlap: r.task.requiredLabels > 1,
      submittedAt: r.submittedAt,
    };
  });
}
