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

/** Builds the {@link LabelingTaskView} of an assignment (one query: claims are hot). */
export async function labelingTaskView(tx: Tx | Db, assignmentId: string): Promise<LabelingTaskView> {
  const rows = await tx.$queryRaw<
    {
      assignedAt: Date;
      expiresAt: Date;
      taskId: string;
      sampleIds: string[];
      requiredLabels: number;
      experimentId: string;
      roundNumber: number;
      promptId: string;
      promptKey: string;
      promptText: string;
      completions: Record<string, string> | string | null;
    }[]
  >`
    SELECT a."assignedAt", a."expiresAt", t."id" AS "taskId", t."sampleIds", t."requiredLabels", r."experimentId", r."index" AS "roundNumber",
      p."id" AS "promptId", p."key" AS "promptKey", p."text" AS "promptText",
      (SELECT json_object_agg(s."id", s."completion") FROM "Sample" s WHERE s."id" = ANY(t."sampleIds")) AS completions
    FROM "TaskAssignment" a
    JOIN "RankingTask" t ON t."id" = a."taskId" JOIN "Round" r ON r."id" = t."roundId" JOIN "Prompt" p ON p."id" = t."promptId"
    WHERE a."id" = ${assignmentId}`;
  const v = rows[0];
  if (!v) throw new AppError('NOT_FOUND', `assignment ${assignmentId} not found`);
  const text: Record<string, string> = typeof v.completions === 'string' ? JSON.parse(v.completions) : (v.completions ?? {});
  return {
    taskId: v.taskId,
    experimentId: v.experimentId,
    roundIndex: roundIndexOf(v.roundNumber),
    round: v.roundNumber,
    k: v.sampleIds.length,
    requiredLabels: v.requiredLabels,
    prompt: { id: v.promptId, key: v.promptKey, text: v.promptText },
    samples: v.sampleIds.map((id) => ({ id, text: text[id] ?? '' })),
    assignment: { id: assignmentId, assignedAt: v.assignedAt, expiresAt: v.expiresAt },
  };
}

/** The jsonb `hone_task_view(assignmentId)` returns (migration labeling_hot_path_functions). */
export interface TaskViewJson {
  assignmentId: string;
  assignedAt: string;
  expiresAt: string;
  taskId: string;
  sampleIds: string[];
  requiredLabels: number;
  experimentId: string;
  roundNumber: number;
  promptId: string;
  promptKey: string;
  promptText: string;
  completions: Record<string, string> | null;
}

/** {@link LabelingTaskView} from the database function's jsonb (the same fields as {@link labelingTaskView} reads). */
export function taskViewFromJson(v: TaskViewJson): LabelingTaskView {
  const text = v.completions ?? {};
  return {
    taskId: v.taskId,
    experimentId: v.experimentId,
    roundIndex: roundIndexOf(v.roundNumber),
    round: v.roundNumber,
    k: v.sampleIds.length,
    requiredLabels: v.requiredLabels,
    prompt: { id: v.promptId, key: v.promptKey, text: v.promptText },
    samples: v.sampleIds.map((id) => ({ id, text: text[id] ?? '' })),
    assignment: { id: v.assignmentId, assignedAt: new Date(v.assignedAt), expiresAt: new Date(v.expiresAt) },
  };
}
