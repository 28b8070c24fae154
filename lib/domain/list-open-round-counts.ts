import type { Db } from '../db';
import { roundIndexOf } from './views';

/** One open labeling round's count, addressed to the workflow that waits on it. */
export interface OpenRoundCount {
  experimentId: string;
  workflowId: string;
  /** 0-based. */
  roundIndex: number;
  completedTasks: number;
}

/**
 * The completed-task count of every labeling round that is open (or paused) in an unfinished experiment that has a
 * workflow: what the API sends its workflows when it starts, so that a count whose signal a
 * crashed predecessor never sent (it was queued, or the ranking was stored just before the crash) still reaches
 * the workflow at once instead of at its next periodic resync.
 */
export async function listOpenRoundCounts(db: Db): Promise<OpenRoundCount[]> {
  const rounds = await db.round.findMany({
    where: { status: { in: ['open', 'paused'] }, experiment: { status: { notIn: ['completed', 'failed', 'cancelled'] }, workflowId: { not: null } } },
    select: { index: true, tasksCompleted: true, experiment: { select: { id: true, workflowId: true } } },
    orderBy: [{ experimentId: 'asc' }, { index: 'asc' }],
  });
  return rounds.map((r) => ({ experimentId: r.experiment.id, workflowId: r.experiment.workflowId as string, roundIndex: roundIndexOf(r.index), completedTasks: r.tasksCompleted }));
}
