/**
 * Labeling under contention, against real Postgres: many labelers claiming and submitting at once must never
 * over-assign a task, give anyone a task twice, lose an accepted ranking or store one twice — also while the
 * round is being closed.
 */
import { createDb, type Db } from '../db';
import { createTestDatabase, type TestDatabase } from '../../test/test-database';
import { isAppError } from '../errors';
import { claimNextTask } from './claim-next-task';
import { closeLabelingRound } from './close-labeling-round';
import { submitRanking, type SubmitRankingResult } from './submit-ranking';
import { orderingBySampleIndex, seedLabelers, seedLabelingRound } from './test-support';

let tdb: TestDatabase;
let db: Db;
let labelers: { id: string; token: string }[];
beforeAll(async () => {
  tdb = await createTestDatabase('concurrency');
  db = createDb(tdb.url, { poolSize: 20 });
  labelers = await seedLabelers(db, 200, 'crowd');
});
afterAll(async () => {
  await db.$disconnect();
  await tdb.drop();
});

const flags = { followsInstruction: true, hallucination: false, harmful: false };

/** The invariants that must hold for a round at any time. */
async function expectConsistent(roundId: string): Promise<void> {
  const tasks = await db.rankingTask.findMany({ where: { roundId }, include: { assignments: true, rankings: true } });
  for (const t of tasks) {
    const held = t.assignments.filter((a) => a.status === 'active' || a.status === 'submitted').length;
    expect(held).toBeLessThanOrEqual(t.requiredLabels);
    expect(t.assignedLabels).toBe(held);
    expect(t.completedLabels).toBe(t.rankings.length);
    expect(t.assignments.filter((a) => a.status === 'submitted').length).toBe(t.rankings.length);
    expect(new Set(t.assignments.map((a) => a.labelerId)).size).toBe(t.assignments.length);
    expect(t.status === 'complete').toBe(t.rankings.length >= t.requiredLabels);
  }
  const round = await db.round.findUniqueOrThrow({ where: { id: roundId } });
  expect(round.rankingsReceived).toBe(tasks.reduce((s, t) => s + t.rankings.length, 0));
  expect(round.tasksCompleted).toBe(tasks.filter((t) => t.status === 'complete').length);
  const active = await db.taskAssignment.groupBy({ by: ['labelerId'], where: { status: 'active', task: { roundId } }, _count: true });
  for (const a of active) expect(a._count).toBe(1);
}

it('200 simultaneous claims: no task over-assigned, none twice to one labeler, every slot filled once', async () => {
  const r = await seedLabelingRound(db, { prompts: 150, k: 4, overlap: 0.3, seed: 11 });
  const slots = r.taskCount + r.overlapTasks; // 150 + 45
  const claims = await Promise.all(labelers.map((l) => claimNextTask(db, { labelerId: l.id, experimentId: r.experimentId })));
  await expectConsistent(r.roundId);
  // SKIP LOCKED may send a claimer away while the only free slot is locked by another claim; a retry finds it.
  const empty = labelers.filter((_l, i) => claims[i] === null);
  for (const l of empty) claims[labelers.indexOf(l)] = await claimNextTask(db, { labelerId: l.id, experimentId: r.experimentId });
  const given = claims.filter((c) => c !== null);
  expect(given).toHaveLength(slots);
  expect(claims.filter((c) => c === null)).toHaveLength(labelers.length - slots);
  const perTask = new Map<string, number>();
  for (const c of given) perTask.set(c!.taskId, (perTask.get(c!.taskId) ?? 0) + 1);
  expect(perTask.size).toBe(r.taskCount);
  await expectConsistent(r.roundId);
});

it('200 labelers claim and submit (each submission sent twice at once) until the round is done: nothing lost or doubled', async () => {
  const r = await seedLabelingRound(db, { prompts: 120, k: 4, overlap: 0.25, seed: 12 });
  const accepted: SubmitRankingResult[] = [];
  const replayed: SubmitRankingResult[] = [];
  const failures: unknown[] = [];
  await Promise.all(
    labelers.map(async (l) => {
      let misses = 0;
      while (misses < 3) {
        const t = await claimNextTask(db, { labelerId: l.id, experimentId: r.experimentId });
        if (!t) {
          misses++;
          await new Promise((res) => setTimeout(res, 20));
          continue;
        }
        misses = 0;
        const input = { taskId: t.taskId, labelerId: l.id, ordering: orderingBySampleIndex(t.samples), quality: 5, flags };
        const outcomes = await Promise.allSettled([submitRanking(db, input), submitRanking(db, input)]);
        for (const o of outcomes) {
          if (o.status === 'rejected') failures.push(o.reason);
          else (o.value.replayed ? replayed : accepted).push(o.value);
        }
      }
    }),
  );
  expect(failures).toEqual([]);
  const rankings = await db.ranking.findMany({ where: { task: { roundId: r.roundId } } });
  expect(accepted).toHaveLength(r.taskCount + r.overlapTasks);
  expect(replayed).toHaveLength(accepted.length);
  expect(rankings).toHaveLength(accepted.length);
  expect(new Set(accepted.map((a) => a.ranking.id))).toEqual(new Set(rankings.map((x) => x.id)));
  expect(new Set(replayed.map((a) => a.ranking.id))).toEqual(new Set(rankings.map((x) => x.id)));
  expect(Math.max(...accepted.map((a) => a.counts.completedTasks))).toBe(r.taskCount);
  await expectConsistent(r.roundId);
  expect(await db.round.findUniqueOrThrow({ where: { id: r.roundId } })).toMatchObject({ tasksCompleted: r.taskCount, rankingsReceived: accepted.length });
  expect(await db.auditEvent.count({ where: { action: 'ranking.submitted', experimentId: r.experimentId } })).toBe(accepted.length);
});

it('closing the round while 100 labelers work: every accepted ranking is kept, none lands after the close', async () => {
  const r = await seedLabelingRound(db, { prompts: 150, k: 3, overlap: 0.2, seed: 13 });
  const crew = labelers.slice(0, 100);
  const accepted: SubmitRankingResult[] = [];
  const refused: string[] = [];
  let closing: Promise<unknown> | undefined;
  await Promise.all(
    crew.map(async (l) => {
      for (;;) {
        const t = await claimNextTask(db, { labelerId: l.id, experimentId: r.experimentId });
        if (!t) return;
        try {
          accepted.push(await submitRanking(db, { taskId: t.taskId, labelerId: l.id, ordering: orderingBySampleIndex(t.samples), quality: 4, flags }));
        } catch (e) {
          if (isAppError(e) && e.code === 'INVALID_STATE') {
            refused.push(e.message);
            return;
          }
          throw e;
        }
        if (accepted.length === 40) closing ??= closeLabelingRound(db, { experimentId: r.experimentId, roundIndex: 0, reason: 'manual', actor: 'test' });
      }
    }),
  );
  const closed = (await closing) as Awaited<ReturnType<typeof closeLabelingRound>>;
  expect(closed.closed).toBe(true);
  const rankings = await db.ranking.findMany({ where: { task: { roundId: r.roundId } } });
  expect(rankings).toHaveLength(accepted.length);
  expect(new Set(rankings.map((x) => x.id))).toEqual(new Set(accepted.map((a) => a.ranking.id)));
  expect(closed.rankings).toBe(accepted.length);
  for (const m of refused) expect(m).toMatch(/is closed \(manual\)|was released/);
  expect(await db.taskAssignment.count({ where: { status: 'active', task: { roundId: r.roundId } } })).toBe(0);
  // The audit log orders commits of one round: every accepted ranking's event precedes the close.
  const closeEvent = await db.auditEvent.findFirstOrThrow({ where: { action: 'round.closed', subjectId: r.roundId } });
  const last = await db.auditEvent.findFirst({ where: { action: 'ranking.submitted', experimentId: r.experimentId }, orderBy: { id: 'desc' } });
  expect(last!.id < closeEvent.id).toBe(true);
  await expectConsistent(r.roundId);
});
