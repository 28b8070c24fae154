import type { Db, Tx } from '../db';
import { AppError } from '../errors';
import { roundIndexOf } from './views';

/** A ranking task as a labeler sees it: the prompt and its K completions in the task's (shuffled) order. */
export interface LabelingTaskView {
  taskId: string;
  experimentId: string;
  roundIndex: number;
  round: number;
  /** K. */
  k: number;
  /** 2 for tasks in the overlap share (a second labeler ranks them too). */
  requiredLabels: number;
  prompt: { id: string; key: string; text: string };
  /** Completions in the order to show them; rank them by these ids. */
  samples: { id: string; text: string }[];
  assignment: { id: string; assignedAt: Date; expiresAt: Date };
}

/** Builds the {@link LabelingTaskView} of an assignment. */
export async function labelingTaskView(tx: Tx | Db, assignmentId: string): Promise<LabelingTaskView> {
  const a = await tx.taskAssignment.findUnique({
    where: { id: assignmentId },
    include: { task: { include: { prompt: true, round: { select: { experimentId: true, index: true } } } } },
  });
  if (!a) throw new AppError('NOT_FOUND', `assignment ${assignmentId} not found`);
  const samples = await tx.sample.findMany({ where: { id: { in: a.task.sampleIds } }, select: { id: true, completion: true } });
  const text = new Map(samples.map((s) => [s.id, s.completion]));
  return {
    taskId: a.task.id,
    experimentId: a.task.round.experimentId,
    roundIndex: roundIndexOf(a.task.round.index),
    round: a.task.round.index,
    k: a.task.sampleIds.length,
    requiredLabels: a.task.requiredLabels,
    prompt: { id: a.task.prompt.id, key: a.task.prompt.key, text: a.task.prompt.text },
    samples: a.task.sampleIds.map((id) => ({ id, text: text.get(id) ?? '' })),
    assignment: { id: a.id, assignedAt: a.assignedAt, expiresAt: a.expiresAt },
  };
}
