import type { Db } from '../db';
import { checkRoundIndex, findRound } from './internal/find-round';
import { roundView, type RoundView } from './views';

export interface LabelerThroughput {
  labelerId: string;
  name: string;
  rankings: number;
  /** Tasks the labeler holds right now. */
  active: number;
  /** Claims that expired without a submission. */
  expired: number;
  /** Median seconds from claim to submission; null without submissions. */
  medianSecondsPerTask: number | null;
  /** Rankings per hour over the labeler's span in this round (first claim to last submission). */
  rankingsPerHour: number | null;
}

export interface RoundProgress {
  round: RoundView;
  done: number;
  quorum: number;
  taskCount: number;
  rankings: number;
  deadline: Date | null;
  /** Share of the quorum reached (0–1). */
  quorumProgress: number;
  overlapTasks: number;
  activeAssignments: number;
  perLabeler: LabelerThroughput[];
}

/** How far a round is: done / quorum / deadline, and per-labeler throughput. */
export async function roundProgress(db: Db, input: { experimentId: string; roundIndex: number }): Promise<RoundProgress> {
  const round = await findRound(db, input.experimentId, checkRoundIndex(input.roundIndex));
  const [overlapTasks, rows] = await Promise.all([
    db.rankingTask.count({ where: { roundId: round.id, requiredLabels: 2 } }),
    db.$queryRaw<{ labelerId: string; name: string; rankings: number; active: number; expired: number; median_s: number | null; first_at: Date | null; last_at: Date | null }[]>`
      SELECT a."labelerId", l."name",
        count(*) FILTER (WHERE a."status" = 'submitted')::int AS rankings,
        count(*) FILTER (WHERE a."status" = 'active')::int AS active,
        count(*) FILTER (WHERE a."status" = 'expired')::int AS expired,
        percentile_cont(0.5) WITHIN GROUP (ORDER BY EXTRACT(EPOCH FROM (a."completedAt" - a."assignedAt"))) FILTER (WHERE a."status" = 'submitted') AS median_s,
        min(a."assignedAt") AS first_at,
        max(a."completedAt") FILTER (WHERE a."status" = 'submitted') AS last_at
      FROM "TaskAssignment" a JOIN "RankingTask" t ON t."id" = a."taskId" JOIN "Labeler" l ON l."id" = a."labelerId"
      WHERE t."roundId" = ${round.id}
      GROUP BY a."labelerId", l."name"
      ORDER BY rankings DESC, l."name"`,
  ]);
  const perLabeler = rows.map((r) => {
    const spanH = r.first_at && r.last_at ? (r.last_at.getTime() - r.first_at.getTime()) / 3_600_000 : 0;
    return {
      labelerId: r.labelerId,
      name: r.name,
      rankings: r.rankings,
      active: r.active,
      expired: r.expired,
      medianSecondsPerTask: r.median_s === null ? null : Number(r.median_s),
      rankingsPerHour: spanH > 0 ? r.rankings / spanH : null,
    };
  });
  return {
    round: roundView(round),
    done: round.tasksCompleted,
    quorum: round.quorum,
    taskCount: round.tasksTotal,
    rankings: round.rankingsReceived,
    deadline: round.deadline,
    quorumProgress: round.quorum > 0 ? Math.min(1, round.tasksCompleted / round.quorum) : 0,
    overlapTasks,
    activeAssignments: perLabeler.reduce((s, l) => s + l.active, 0),
    perLabeler,
  };
}
