import { z } from 'zod';
import type { Db } from '../db';
import type { Ranking } from '../db/generated/client';
import { AppError } from '../errors';
import { isTransientTransactionError, isUniqueViolation } from './internal/pg-error';
import { parseInput } from './internal/parse-input';
import { idSchema, textSchema } from './internal/schemas';
import type { ExperimentScope } from './internal/scope-filter';
import { uuidV7 } from './internal/uuid-v7';
import { groupedOrdering, normalizeOrdering } from './ranking-ordering';
import { roundIndexOf } from './views';

/** The labeler-facing fields of a ranking (shared with the HTTP body schema). */
export const rankingFieldsSchema = z.strictObject({
  /** Sample ids best → worst; an inner array groups samples judged equal. */
  ordering: z.array(z.union([z.string().min(1).max(100), z.array(z.string().min(1).max(100)).min(1).max(9)])).min(1).max(9),
  /** Overall quality of the best completion on InstructGPT's 1–7 Likert scale. */
  quality: z.int().min(1).max(7),
  /** The metadata InstructGPT's labelers set. */
  flags: z.strictObject({ followsInstruction: z.boolean(), hallucination: z.boolean(), harmful: z.boolean() }),
  note: textSchema(2000).optional(),
  /** Client-chosen id of this submission, kept for tracing retries. */
  clientRequestId: z.string().regex(/^[\x21-\x7e]{1,100}$/, { error: 'must be 1–100 printable ASCII characters without spaces' }).optional(),
  /** Time spent on the task, as measured by the client. */
  durationMs: z.int().min(0).max(7 * 86_400_000).optional(),
});

const inputSchema = rankingFieldsSchema.extend({
  taskId: idSchema,
  labelerId: idSchema,
  /** The experiments the caller's token may label; default all. */
  scope: z.union([z.literal('*'), z.array(z.string())]).optional(),
  now: z.date().optional(),
});
export type SubmitRankingInput = z.input<typeof inputSchema> & { scope?: ExperimentScope };

export interface RankingView {
  id: string;
  taskId: string;
  labelerId: string;
  /** Best → worst, ties as groups (ids inside a group sorted). */
  ordering: (string | string[])[];
  quality: number;
  flags: { followsInstruction: boolean; hallucination: boolean; harmful: boolean };
  note: string | null;
  durationMs: number | null;
  clientRequestId: string | null;
  submittedAt: Date;
}

export interface RoundCounts {
  taskCount: number;
  /** Tasks with all their required labels. */
  completedTasks: number;
  /** Ranking rows stored for the round. */
  rankings: number;
  quorum: number;
}

export interface SubmitRankingResult {
  ranking: RankingView;
  /** true when this exact ranking was stored before (a retried request): nothing was written now. */
  replayed: boolean;
  experimentId: string;
  /** The experiment's workflow, for the caller's signal. */
  workflowId: string | null;
  roundIndex: number;
  /** Whether this submission completed its task (its round's completed count went up). */
  taskCompleted: boolean;
  /** The round's counts just after the commit (absolute: what the workflow signal carries). */
  counts: RoundCounts;
}

export function rankingView(r: Ranking): RankingView {
  return {
    id: r.id,
    taskId: r.taskId,
    labelerId: r.labelerId,
    ordering: groupedOrdering(r.ordering, r.ties as string[][]),
    quality: r.quality,
    flags: r.flags as RankingView['flags'],
    note: r.note,
    durationMs: r.durationMs,
    clientRequestId: r.clientRequestId,
    submittedAt: r.submittedAt,
  };
}

/**
 * Stores a labeler's ranking of a task they hold. Validated: exactly the task's K sample ids, each once (ties as
 * groups), quality 1–7, the three flags; the caller must hold an assignment of the task that is active (or past its
 * expiry but not yet swept back to the pool); the round must not be closed (a paused round still takes rankings
 * of tasks already claimed).
 *
 * Exactly once: the ranking, its assignment's status, the task's completed count, the round's counters and a
 * `ranking.submitted` audit event commit in ONE transaction, and (task, labeler) is unique. A replay of the same
 * ranking returns the stored one with `replayed: true` — also after the round closed, so a client retrying after a
 * lost response learns its ranking was kept; a different ranking for the same task is a CONFLICT.
 *
 * The checks and writes run as one statement, `hone_submit_ranking` (migration labeling_hot_path_functions): the
 * same steps and lock order as a multi-statement transaction, in one round trip.
 */
export async function submitRanking(db: Db, input: SubmitRankingInput): Promise<SubmitRankingResult> {
  const args = parseInput(inputSchema, input, 'ranking');
  const now = args.now ?? new Date();
  // Canonical form without the task's samples (the function checks them): tie groups with their ids sorted.
  const groups = args.ordering.map((g) => (typeof g === 'string' ? [g] : [...g].sort()));
  const flat = groups.flat();
  const ties = groups.filter((g) => g.length > 1);
  const scope = args.scope === undefined || args.scope === '*' ? null : [...args.scope];
  const note = args.note ?? null;
  const call = () =>
    db.$queryRaw<{ r: SubmitOutcome | string }[]>`
      SELECT hone_submit_ranking(${args.taskId}, ${args.labelerId}, ${scope}::text[], ${flat}::text[], ${JSON.stringify(ties)}::jsonb, ${groups.length}::int,
        ${args.quality}::int, ${JSON.stringify(args.flags)}::jsonb, ${note}::text, ${args.durationMs ?? null}::int, ${args.clientRequestId ?? null}::text,
        ${now}::timestamptz, ${uuidV7(now.getTime())}) AS r`;
  let out: SubmitOutcome;
  for (let attempt = 1; ; attempt++) {
    try {
      const [row] = await call();
      out = typeof row.r === 'string' ? (JSON.parse(row.r) as SubmitOutcome) : row.r;
      break;
    } catch (e) {
      // A deadlock victim or a lost unique race rolled the whole statement back: call again (at most 4 times); the
      // second call of a lost race finds the other submission and answers replay or conflict.
      if (attempt >= 4 || !(isTransientTransactionError(e) || isUniqueViolation(e))) throw e;
      await new Promise((r) => setTimeout(r, 5 * attempt));
    }
  }
  return submitResult(out, args.taskId, args.ordering);
}

/** What `hone_submit_ranking` answers. */
interface SubmitOutcome {
  outcome: 'not_found' | 'forbidden_scope' | 'bad_ordering' | 'replay' | 'conflict' | 'round_closed' | 'round_pending' | 'not_assigned' | 'assignment_gone' | 'stored';
  experimentId: string;
  workflowId: string | null;
  roundNumber: number;
  sampleIds?: string[];
  ranking?: RankingRow;
  counts?: RoundCounts;
  taskCompleted?: boolean;
  closeReason?: string | null;
  assignmentStatus?: string;
  expiresAt?: string;
}

/** A Ranking row as `to_jsonb` writes it. */
interface RankingRow {
  id: string;
  taskId: string;
  labelerId: string;
  ordering: string[];
  ties: string[][];
  quality: number;
  flags: RankingView['flags'];
  note: string | null;
  durationMs: number | null;
  clientRequestId: string | null;
  submittedAt: string;
}

function rankingOf(row: RankingRow): Ranking {
  return { ...row, submittedAt: new Date(row.submittedAt) } as Ranking;
}

/** The function's outcome as the verb's result, or the AppError it stands for (same codes and words as ever). */
function submitResult(out: SubmitOutcome, taskId: string, ordering: SubmitRankingInput['ordering']): SubmitRankingResult {
  const base = { experimentId: out.experimentId, workflowId: out.workflowId, roundIndex: roundIndexOf(out.roundNumber) };
  switch (out.outcome) {
    case 'not_found':
      throw new AppError('NOT_FOUND', `task ${taskId} not found`, { taskId });
    case 'forbidden_scope':
      throw new AppError('FORBIDDEN', `your token is not scoped to experiment ${out.experimentId}`, { experimentId: out.experimentId });
    case 'bad_ordering':
      normalizeOrdering(ordering, out.sampleIds ?? [], taskId); // throws the precise VALIDATION_FAILED
      throw new AppError('INTERNAL', `ordering of task ${taskId} was refused by the database but passes validation`);
    case 'conflict': {
      const existing = rankingOf(out.ranking as RankingRow);
      throw new AppError('CONFLICT', `you already ranked task ${taskId} differently (ranking ${existing.id} at ${existing.submittedAt.toISOString()}); a submitted ranking cannot be changed`, { taskId, rankingId: existing.id });
    }
    case 'replay':
      return { ...base, ranking: rankingView(rankingOf(out.ranking as RankingRow)), replayed: true, taskCompleted: false, counts: out.counts as RoundCounts };
    case 'round_closed':
      throw new AppError('INVALID_STATE', `round ${base.roundIndex} of experiment ${out.experimentId} is closed (${out.closeReason ?? 'closed'}); it takes no more rankings`, { roundIndex: base.roundIndex, closeReason: out.closeReason ?? null });
    case 'round_pending':
      throw new AppError('INVALID_STATE', `round ${base.roundIndex} of experiment ${out.experimentId} is not open yet`);
    case 'not_assigned':
      throw new AppError('FORBIDDEN', `task ${taskId} is not assigned to you; get a task from the next-task endpoint first`, { taskId });
    case 'assignment_gone':
      throw new AppError(
        'INVALID_STATE',
        out.assignmentStatus === 'expired'
          ? `your assignment of task ${taskId} expired at ${new Date(out.expiresAt as string).toISOString()} and the task went back to the pool`
          : `your assignment of task ${taskId} was released (${out.assignmentStatus}); it takes no ranking from you`,
        { taskId, assignmentStatus: out.assignmentStatus },
      );
    case 'stored':
      return { ...base, ranking: rankingView(rankingOf(out.ranking as RankingRow)), replayed: false, taskCompleted: out.taskCompleted === true, counts: out.counts as RoundCounts };
  }
}
