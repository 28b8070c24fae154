import type { Db } from '../db';
import { checkRoundIndex, findRound } from './internal/find-round';
import type { RoundCounts } from './submit-ranking';

/**
 * A round's counts as the workflow needs them (its resync path when a signal was lost): tasks, tasks with all
 * their labels, ranking rows, quorum. Read from the round's counters, which change in the same transaction as the
 * rows they count.
 */
export async function countRankings(db: Db, input: { experimentId: string; roundIndex: number }): Promise<RoundCounts> {
  const r = await findRound(db, input.experimentId, checkRoundIndex(input.roundIndex));
  return { taskCount: r.tasksTotal, completedTasks: r.tasksCompleted, rankings: r.rankingsReceived, quorum: r.quorum };
}
