import { z } from 'zod';
import { recordAudit } from '../audit';
import type { Db, Prisma, Tx } from '../db';
import type { Ranking } from '../db/generated/client';
import { AppError } from '../errors';
import { canonicalJson } from './internal/canonical-json';
import { isUniqueViolation } from './internal/pg-error';
import { parseInput } from './internal/parse-input';
import { lockRoundShared } from './internal/round-lock';
import { runTransaction } from './internal/run-transaction';
import { idSchema, textSchema } from './internal/schemas';
import { inScope, type ExperimentScope } from './internal/scope-filter';
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
 */
export async function submitRanking(db: Db, input: SubmitRankingInput): Promise<SubmitRankingResult> {
  const args = parseInput(inputSchema, input, 'ranking');
  const now = args.now ?? new Date();
  // One read for everything the checks need, including an earlier ranking of this task by this labeler.
  const found = await db.$queryRaw<{ id: string; sampleIds: string[]; roundId: string; roundNumber: number; experimentId: string; workflowId: string | null; rankingId: string | null }[]>`
    SELECT t."id", t."sampleIds", t."roundId", r."index" AS "roundNumber", r."experimentId", e."workflowId", rk."id" AS "rankingId"
    FROM "RankingTask" t JOIN "Round" r ON r."id" = t."roundId" JOIN "Experiment" e ON e."id" = r."experimentId"
    LEFT JOIN "Ranking" rk ON rk."taskId" = t."id" AND rk."labelerId" = ${args.labelerId}
    WHERE t."id" = ${args.taskId}`;
  const task = found[0];
  if (!task) throw new AppError('NOT_FOUND', `task ${args.taskId} not found`, { taskId: args.taskId });
  const experimentId = task.experimentId;
  if (!inScope(args.scope as ExperimentScope | undefined, experimentId)) throw new AppError('FORBIDDEN', `your token is not scoped to experiment ${experimentId}`, { experimentId });
  const norm = normalizeOrdering(args.ordering, task.sampleIds, task.id);
  const content = { ordering: norm.flat, ties: norm.ties, quality: args.quality, flags: args.flags, note: args.note ?? null };
  const base = { experimentId, workflowId: task.workflowId, roundIndex: roundIndexOf(task.roundNumber) };

  const replay = async (tx: Tx | Db, existing: Ranking): Promise<SubmitRankingResult> => {
    const stored = { ordering: existing.ordering, ties: existing.ties, quality: existing.quality, flags: existing.flags, note: existing.note };
    if (canonicalJson(stored) !== canonicalJson(content)) {
      throw new AppError('CONFLICT', `you already ranked task ${task.id} differently (ranking ${existing.id} at ${existing.submittedAt.toISOString()}); a submitted ranking cannot be changed`, { taskId: task.id, rankingId: existing.id });
    }
    const r = await tx.round.findUniqueOrThrow({ where: { id: task.roundId } });
    return { ...base, ranking: rankingView(existing), replayed: true, taskCompleted: false, counts: countsOf(r) };
  };

  if (task.rankingId) return replay(db, await db.ranking.findUniqueOrThrow({ where: { id: task.rankingId } }));

  try {
    return await runTransaction(db, async (tx) => {
      await lockRoundShared(tx, task.roundId);
      // A new statement after the lock: it sees a close that committed while we waited.
      const [round] = await tx.$queryRaw<{ status: string; closeReason: string | null }[]>`SELECT "status"::text AS status, "closeReason" FROM "Round" WHERE "id" = ${task.roundId}`;
      if (round.status === 'closed') {
        throw new AppError('INVALID_STATE', `round ${base.roundIndex} of experiment ${experimentId} is closed (${round.closeReason ?? 'closed'}); it takes no more rankings`, { roundIndex: base.roundIndex, closeReason: round.closeReason });
      }
      if (round.status === 'pending') throw new AppError('INVALID_STATE', `round ${base.roundIndex} of experiment ${experimentId} is not open yet`);
      // Row lock on the assignment: a concurrent duplicate of this submission waits here, then finds it submitted.
      const took = await tx.taskAssignment.updateMany({ where: { taskId: task.id, labelerId: args.labelerId, status: 'active' }, data: { status: 'submitted', completedAt: now } });
      if (took.count === 0) {
        const existing = await tx.ranking.findUnique({ where: { taskId_labelerId: { taskId: task.id, labelerId: args.labelerId } } });
        if (existing) return replay(tx, existing);
        const a = await tx.taskAssignment.findUnique({ where: { taskId_labelerId: { taskId: task.id, labelerId: args.labelerId } } });
        if (!a) throw new AppError('FORBIDDEN', `task ${task.id} is not assigned to you; get a task from the next-task endpoint first`, { taskId: task.id });
        throw new AppError(
          'INVALID_STATE',
          a.status === 'expired'
            ? `your assignment of task ${task.id} expired at ${a.expiresAt.toISOString()} and the task went back to the pool`
            : `your assignment of task ${task.id} was released (${a.status}); it takes no ranking from you`,
          { taskId: task.id, assignmentStatus: a.status },
        );
      }
      const ranking = await tx.ranking.create({
        data: {
          taskId: task.id,
          labelerId: args.labelerId,
          ordering: norm.flat,
          ties: norm.ties,
          quality: args.quality,
          flags: args.flags as Prisma.InputJsonObject,
          note: args.note ?? null,
          durationMs: args.durationMs ?? null,
          clientRequestId: args.clientRequestId ?? null,
          submittedAt: now,
        },
      });
      // The task's and the round's counters in one statement (lock order: task, then round).
      const [c] = await tx.$queryRaw<{ taskCompleted: boolean; tasksTotal: number; tasksCompleted: number; rankingsReceived: number; quorum: number }[]>`
        WITH t AS (
          UPDATE "RankingTask" SET "completedLabels" = "completedLabels" + 1,
            "status" = CASE WHEN "completedLabels" + 1 >= "requiredLabels" THEN 'complete'::"RankingTaskStatus" ELSE "status" END,
            "updatedAt" = ${now}
          WHERE "id" = ${task.id}
          RETURNING ("completedLabels" >= "requiredLabels") AS done
        )
        UPDATE "Round" SET "rankingsReceived" = "rankingsReceived" + 1,
          "tasksCompleted" = "tasksCompleted" + (SELECT CASE WHEN done THEN 1 ELSE 0 END FROM t),
          "updatedAt" = ${now}
        WHERE "id" = ${task.roundId}
        RETURNING (SELECT done FROM t) AS "taskCompleted", "tasksTotal", "tasksCompleted", "rankingsReceived", "quorum"`;
      const taskCompleted = c.taskCompleted;
      const r = c;
      await recordAudit(tx, {
        experimentId,
        actor: `labeler:${args.labelerId}`,
        action: 'ranking.submitted',
        subject: { type: 'ranking', id: ranking.id },
        data: { taskId: task.id, roundIndex: base.roundIndex, k: task.sampleIds.length, quality: args.quality, ties: norm.ties.length, taskCompleted, clientRequestId: args.clientRequestId ?? null },
      });
      return { ...base, ranking: rankingView(ranking), replayed: false, taskCompleted, counts: countsOf(r) };
    });
  } catch (e) {
    // Belt and braces: if two submissions ever raced past the assignment lock, the unique index decides.
    if (isUniqueViolation(e)) {
      const existing = await db.ranking.findUnique({ where: { taskId_labelerId: { taskId: task.id, labelerId: args.labelerId } } });
      if (existing) return replay(db, existing);
    }
    throw e;
  }
}

function countsOf(r: { tasksTotal: number; tasksCompleted: number; rankingsReceived: number; quorum: number }): RoundCounts {
  return { taskCount: r.tasksTotal, completedTasks: r.tasksCompleted, rankings: r.rankingsReceived, quorum: r.quorum };
}
