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

/** {@link LabelingTaskView} from the database function's jsonb. */
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
