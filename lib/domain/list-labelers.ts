import type { Db } from '../db';
import { taskPairCounts } from './agreement-stats';
import { labelerView, type LabelerView } from './labeler-view';
import { groupedOrdering } from './ranking-ordering';

export interface LabelerStats {
  rankings: number;
  activeAssignments: number;
  expiredAssignments: number;
  lastRankingAt: Date | null;
  /** Median seconds from claim to submission. */
  medianSecondsPerTask: number | null;
  /** Rankings per hour between the first claim and the last submission. */
  rankingsPerHour: number | null;
  /** Pairwise agreement with the other labeler on shared (overlap) tasks; null without any. */
  agreement: number | null;
  /** Sample pairs behind `agreement`. */
  agreementPairs: number;
}

/** Every labeler with throughput and agreement statistics, by name. */
export async function listLabelers(db: Db, input: { experimentId?: string } = {}): Promise<(LabelerView & { stats: LabelerStats })[]> {
  const labelers = await db.labeler.findMany({ include: { tokens: true }, orderBy: { name: 'asc' } });
  const expFilter = input.experimentId ?? null;
  const stats = await db.$queryRaw<{ labelerId: string; rankings: number; active: number; expired: number; last_at: Date | null; median_s: number | null; first_at: Date | null }[]>`
    SELECT a."labelerId",
      count(*) FILTER (WHERE a."status" = 'submitted')::int AS rankings,
      count(*) FILTER (WHERE a."status" = 'active')::int AS active,
      count(*) FILTER (WHERE a."status" = 'expired')::int AS expired,
      max(a."completedAt") FILTER (WHERE a."status" = 'submitted') AS last_at,
      percentile_cont(0.5) WITHIN GROUP (ORDER BY EXTRACT(EPOCH FROM (a."completedAt" - a."assignedAt"))) FILTER (WHERE a."status" = 'submitted') AS median_s,
      min(a."assignedAt") AS first_at
    FROM "TaskAssignment" a JOIN "RankingTask" t ON t."id" = a."taskId" JOIN "Round" r ON r."id" = t."roundId"
    WHERE (${expFilter}::text IS NULL OR r."experimentId" = ${expFilter}::text)
    GROUP BY a."labelerId"`;
  const byId = new Map(stats.map((s) => [s.labelerId, s]));

  // Agreement: every task with two or more rankings, each labeler against the other(s).
  const shared = await db.rankingTask.findMany({
    where: { completedLabels: { gte: 2 }, ...(expFilter ? { round: { experimentId: expFilter } } : {}) },
    select: { rankings: { select: { labelerId: true, ordering: true, ties: true } } },
  });
  const agree = new Map<string, { agree: number; pairs: number }>();
  for (const t of shared) {
    const groups = t.rankings.map((r) => ({ id: r.labelerId, g: groupedOrdering(r.ordering, r.ties as string[][]).map((x) => (typeof x === 'string' ? [x] : x)) }));
    for (let i = 0; i < groups.length; i++) {
      for (let j = i + 1; j < groups.length; j++) {
        const c = taskPairCounts({ a: groups[i].g, b: groups[j].g });
        for (const id of [groups[i].id, groups[j].id]) {
          const acc = agree.get(id) ?? { agree: 0, pairs: 0 };
          acc.agree += c.agree;
          acc.pairs += c.pairs;
          agree.set(id, acc);
        }
      }
    }
  }
  return labelers.map((l) => {
    const s = byId.get(l.id);
    const a = agree.get(l.id);
    const spanH = s?.first_at && s.last_at ? (s.last_at.getTime() - s.first_at.getTime()) / 3_600_000 : 0;
    return {
      ...labelerView(l),
      stats: {
        rankings: s?.rankings ?? 0,
        activeAssignments: s?.active ?? 0,
        expiredAssignments: s?.expired ?? 0,
        lastRankingAt: s?.last_at ?? null,
        medianSecondsPerTask: s?.median_s == null ? null : Number(s.median_s),
        rankingsPerHour: s && spanH > 0 ? s.rankings / spanH : null,
        agreement: a && a.pairs > 0 ? a.agree / a.pairs : null,
        agreementPairs: a?.pairs ?? 0,
      },
    };
  });
}
