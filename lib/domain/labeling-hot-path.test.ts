/**
 * The one-statement claim and submit (migration labeling_hot_path_functions) answer every case the way the verbs
 * always did: the rows and audit events they write, and the errors of the rarer paths (a claim swept back to the
 * pool, a released claim, a disabled or unknown labeler).
 */
import { createDb, type Db } from '../db';
import { createTestDatabase, type TestDatabase } from '../../test/test-database';
import { claimNextTask } from './claim-next-task';
import { closeLabelingRound } from './close-labeling-round';
import { disableLabeler } from './disable-labeler';
import { releaseExpiredAssignments } from './release-expired-assignments';
import { submitRanking } from './submit-ranking';
import { labelingSnapshot, orderingBySampleIndex, seedLabelers, seedLabelingRound } from './test-support';

let tdb: TestDatabase;
let db: Db;
beforeAll(async () => {
  tdb = await createTestDatabase('hot_path');
  db = createDb(tdb.url, { poolSize: 5 });
});
afterAll(async () => {
  await db.$disconnect();
  await tdb.drop();
});

const flags = { followsInstruction: false, hallucination: true, harmful: false };

it('writes the assignment, the ranking, the counters and both audit events exactly as specified', async () => {
  const r = await seedLabelingRound(db, { prompts: 2, k: 3, assignmentTtlMs: 90_000 });
  const [a] = await seedLabelers(db, 1, 'hot-writer');
  const now = new Date(Date.now() + 5_000);
  const task = await claimNextTask(db, { labelerId: a.id, now: new Date(now.getTime() - 1000) });
  if (!task) throw new Error('no task');
  const assignment = await db.taskAssignment.findUniqueOrThrow({ where: { id: task.assignment.id } });
  expect(assignment).toMatchObject({ status: 'active', labelerId: a.id, taskId: task.taskId });
  expect(assignment.expiresAt.getTime() - assignment.assignedAt.getTime()).toBe(90_000);
  const assigned = await db.auditEvent.findFirstOrThrow({ where: { action: 'task.assigned', subjectId: task.taskId } });
  expect(assigned).toMatchObject({ experimentId: r.experimentId, actor: `labeler:${a.id}`, subjectType: 'task' });
  expect(assigned.data).toEqual({ assignmentId: assignment.id, roundIndex: 0, expiresAt: assignment.expiresAt.toISOString() });

  const [x, y, z] = orderingBySampleIndex(task.samples);
  const res = await submitRanking(db, { taskId: task.taskId, labelerId: a.id, ordering: [[z, y].sort().reverse(), x], quality: 3, flags, note: 'Fine — ñ 👍', durationMs: 4321, clientRequestId: 'req-1', now });
  expect(res).toMatchObject({ replayed: false, taskCompleted: true, roundIndex: 0, experimentId: r.experimentId, counts: { taskCount: 2, completedTasks: 1, rankings: 1, quorum: 2 } });
  const stored = await db.ranking.findFirstOrThrow({ where: { taskId: task.taskId } });
  const tie = [y, z].sort();
  expect(stored).toMatchObject({ id: res.ranking.id, labelerId: a.id, ordering: [...tie, x], ties: [tie], quality: 3, flags, note: 'Fine — ñ 👍', durationMs: 4321, clientRequestId: 'req-1', submittedAt: now });
  expect(res.ranking).toEqual({ id: stored.id, taskId: task.taskId, labelerId: a.id, ordering: [tie, x], quality: 3, flags, note: 'Fine — ñ 👍', durationMs: 4321, clientRequestId: 'req-1', submittedAt: now });
  expect(await db.taskAssignment.findUniqueOrThrow({ where: { id: assignment.id } })).toMatchObject({ status: 'submitted', completedAt: now });
  expect(await db.rankingTask.findUniqueOrThrow({ where: { id: task.taskId } })).toMatchObject({ status: 'complete', completedLabels: 1, assignedLabels: 1, updatedAt: now });
  expect(await db.round.findUniqueOrThrow({ where: { id: r.roundId } })).toMatchObject({ tasksCompleted: 1, rankingsReceived: 1, updatedAt: now });
  const submitted = await db.auditEvent.findFirstOrThrow({ where: { action: 'ranking.submitted', subjectId: stored.id } });
  expect(submitted).toMatchObject({ experimentId: r.experimentId, actor: `labeler:${a.id}`, subjectType: 'ranking' });
  expect(submitted.data).toEqual({ taskId: task.taskId, roundIndex: 0, k: 3, quality: 3, ties: 1, taskCompleted: true, clientRequestId: 'req-1' });
  // The same content again (ids of a tie in another order, flags' keys in another order) is a replay.
  const again = await submitRanking(db, { taskId: task.taskId, labelerId: a.id, ordering: [tie, x], quality: 3, flags: { harmful: false, hallucination: true, followsInstruction: false }, note: 'Fine — ñ 👍' });
  expect(again).toMatchObject({ replayed: true, ranking: { id: stored.id }, counts: { completedTasks: 1 } });
});

it('refuses a claim that was swept back to the pool, and one that was released by a close, writing nothing', async () => {
  const r = await seedLabelingRound(db, { prompts: 2, k: 2, assignmentTtlMs: 1_000 });
  const [a, b] = await seedLabelers(db, 2, 'hot-late');
  const t0 = new Date();
  const ta = await claimNextTask(db, { labelerId: a.id, experimentId: r.experimentId, now: t0 });
  if (!ta) throw new Error('no task');
  expect(await releaseExpiredAssignments(db, { now: new Date(t0.getTime() + 5_000) })).toEqual({ released: 1 });
  const before = await labelingSnapshot(db);
  const expiresAt = new Date(t0.getTime() + 1_000).toISOString();
  await expect(submitRanking(db, { taskId: ta.taskId, labelerId: a.id, ordering: ta.samples.map((s) => s.id), quality: 4, flags })).rejects.toMatchObject({
    code: 'INVALID_STATE',
    message: `your assignment of task ${ta.taskId} expired at ${expiresAt} and the task went back to the pool`,
    details: { taskId: ta.taskId, assignmentStatus: 'expired' },
  });
  expect(await labelingSnapshot(db)).toEqual(before);

  const tb = await claimNextTask(db, { labelerId: b.id, experimentId: r.experimentId });
  if (!tb) throw new Error('no task');
  await closeLabelingRound(db, { experimentId: r.experimentId, roundIndex: 0, reason: 'manual', actor: 'test' });
  await expect(submitRanking(db, { taskId: tb.taskId, labelerId: b.id, ordering: tb.samples.map((s) => s.id), quality: 4, flags })).rejects.toMatchObject({ code: 'INVALID_STATE', message: expect.stringContaining('is closed (manual)') });
});

it('refuses claims of unknown and disabled labelers, and hands out nothing past the deadline', async () => {
  const r = await seedLabelingRound(db, { prompts: 1, k: 2, deadline: new Date(Date.now() + 60_000) });
  const [a] = await seedLabelers(db, 1, 'hot-gone');
  await expect(claimNextTask(db, { labelerId: '0190a000-0000-7000-8000-000000000000' })).rejects.toMatchObject({ code: 'NOT_FOUND', message: 'labeler 0190a000-0000-7000-8000-000000000000 not found' });
  expect(await claimNextTask(db, { labelerId: a.id, experimentId: r.experimentId, now: new Date(Date.now() + 120_000) })).toBeNull();
  await disableLabeler(db, { labelerId: a.id, actor: 'test' });
  await expect(claimNextTask(db, { labelerId: a.id, experimentId: r.experimentId })).rejects.toMatchObject({ code: 'FORBIDDEN', message: `labeler ${a.id} is disabled` });
});
