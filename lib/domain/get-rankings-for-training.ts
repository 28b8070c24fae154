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

const compareStrings = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Every ranking of rounds 0..uptoRound (0-based, inclusive), as the reward model fitting reads them: per ranking
 * the prompt, its completions' texts in rank order, the ties and the labeler. Overlap tasks yield one entry per
 * labeler, so the caller decides whether to keep both, one, or neither. Ordered by round and task order; the two
 * rankings of an overlap task by what they say (the positions of their samples in the task's shown order), and the
 * samples of a tie group (in `completions` and `ties`) in the shown order. So the texts, their order and their ranks
 * do not depend on ids or submission times, which differ between two runs of the same experiment: the same
 * judgements give the same training data.
 */
export async function getRankingsForTraining(db: Db, input: { experimentId: string; uptoRound: number }): Promise<TrainingRanking[]> {
  checkRoundIndex(input.uptoRound);
  const exists = await db.experiment.count({ where: { id: input.experimentId } });
  if (!exists) throw new AppError('NOT_FOUND', `experiment ${input.experimentId} not found`, { experimentId: input.experimentId });
  const rankings = await db.ranking.findMany({
    where: { task: { round: { experimentId: input.experimentId, index: { lte: roundNumber(input.uptoRound) } } } },
    include: { task: { select: { id: true, requiredLabels: true, position: true, sampleIds: true, prompt: true, round: { select: { index: true } } } } },
  });
  // Each ranking's groups with their samples in the task's shown order, and as positions in that order: the key
  // that orders an overlap task's two rankings (equal judgements, equal keys).
  const shown = new Map(
    rankings.map((r) => {
      const at = new Map(r.task.sampleIds.map((id, i) => [id, i]));
      const pos = (id: string): number => at.get(id) ?? Number.MAX_SAFE_INTEGER;
      const groups = groupedOrdering(r.ordering, r.ties as string[][]).map((g) => (typeof g === 'string' ? [g] : [...g]).sort((a, b) => pos(a) - pos(b)));
      return [r.id, { groups, key: JSON.stringify(groups.map((g) => g.map(pos))) }];
    }),
  );
  rankings.sort(
    (x, y) =>
      x.task.round.index - y.task.round.index ||
      x.task.position - y.task.position ||
      compareStrings(shown.get(x.id)?.key ?? '', shown.get(y.id)?.key ?? '') ||
      x.submittedAt.getTime() - y.submittedAt.getTime() ||
      compareStrings(x.id, y.id),
  );
  const sampleIds = [...new Set(rankings.flatMap((r) => r.ordering))];
  const samples = new Map<string, { completion: string; tokenCount: number }>();
  for (let i = 0; i < sampleIds.length; i += 10_000) {
    for (const s of await db.sample.findMany({ where: { id: { in: sampleIds.slice(i, i + 10_000) } }, select: { id: true, completion: true, tokenCount: true } })) samples.set(s.id, s);
  }
  return rankings.map((r) => {
    const groups = shown.get(r.id)?.groups ?? [];
    const completions = groups.flatMap((g, rank) =>
      g.map((id) => ({ sampleId: id, text: samples.get(id)?.completion ?? '', tokenCount: samples.get(id)?.tokenCount ?? 0, rank })),
    );
    return {
      rankingId: r.id,
      taskId: r.taskId,
      roundIndex: roundIndexOf(r.task.round.index),
      labelerId: r.labelerId,
      prompt: { id: r.task.prompt.id, key: r.task.prompt.key, text: r.task.prompt.text },
      completions,
      ties: groups.filter((g) => g.length > 1),
      quality: r.quality,
      flags: r.flags as TrainingRanking['flags'],
      overlap: r.task.requiredLabels > 1,
      submittedAt: r.submittedAt,
    };
  });
}
