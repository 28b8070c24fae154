import { createDb, type Db } from '../db';
import { createTestDatabase, type TestDatabase } from '../../test/test-database';
import { claimNextTask } from './claim-next-task';
import { closeLabelingRound } from './close-labeling-round';
import { countRankings } from './count-rankings';
import { getRankingsForTraining } from './get-rankings-for-training';
import { labelingAgreement } from './labeling-agreement';
import { openLabelingRound } from './open-labeling-round';
import { releaseExpiredAssignments } from './release-expired-assignments';
import { roundProgress } from './round-progress';
import { setExperimentStatus } from './set-experiment-status';
import { submitRanking } from './submit-ranking';
import { labelingSnapshot, orderingBySampleIndex, seedLabelers, seedLabelingRound } from './test-support';

let tdb: TestDatabase;
let db: Db;
beforeAll(async () => {
  tdb = await createTestDatabase('labeling');
  db = createDb(tdb.url, { poolSize: 5 });
});
afterAll(async () => {
  await db.$disconnect();
  await tdb.drop();
});

const flags = { followsInstruction: true, hallucination: false, harmful: false };

describe('openLabelingRound', () => {
  it('creates one task per prompt over its K samples, shuffled per task with the seed, and an exact overlap share', async () => {
    const r = await seedLabelingRound(db, { prompts: 20, k: 4, overlap: 0.25, seed: 3 });
    expect(r).toMatchObject({ taskCount: 20, overlapTasks: 5, quorum: 20 });
    const tasks = await db.rankingTask.findMany({ where: { roundId: r.roundId }, include: { prompt: true } });
    expect(tasks).toHaveLength(20);
    expect(tasks.filter((t) => t.requiredLabels === 2)).toHaveLength(5);
    expect(new Set(tasks.map((t) => t.position))).toEqual(new Set(Array.from({ length: 20 }, (_, i) => i)));
    let notInGenerationOrder = 0;
    for (const t of tasks) {
      const samples = await db.sample.findMany({ where: { promptId: t.promptId, roundId: r.roundId }, orderBy: { index: 'asc' } });
      expect([...t.sampleIds].sort()).toEqual(samples.map((s) => s.id).sort());
      if (t.sampleIds.join() !== samples.map((s) => s.id).join()) notInGenerationOrder++;
    }
    // A uniform shuffle of 4 leaves generation order with probability 1/24: most tasks are reordered.
    expect(notInGenerationOrder).toBeGreaterThan(12);
    // The first sample position is not systematically sample 0.
    const firstIndex = await Promise.all(tasks.map(async (t) => (await db.sample.findUniqueOrThrow({ where: { id: t.sampleIds[0] } })).index));
    expect(new Set(firstIndex).size).toBeGreaterThan(1);
  });

  it('draws the same tasks for the same seed and prompts, and other ones for another seed', async () => {
    const shape = async (seed: number) => {
      const r = await seedLabelingRound(db, { prompts: 12, k: 3, overlap: 0.5, seed });
      const tasks = await db.rankingTask.findMany({ where: { roundId: r.roundId }, include: { prompt: true } });
      const samples = await db.sample.findMany({ where: { roundId: r.roundId } });
      const idx = new Map(samples.map((s) => [s.id, s.index]));
      return tasks
        .map((t) => `${t.prompt.key}:${t.position}:${t.requiredLabels}:${t.sampleIds.map((id) => idx.get(id)).join('')}`)
        .sort()
        .join('|');
    };
    const a = await shape(5);
    expect(await shape(5)).toBe(a);
    expect(await shape(6)).not.toBe(a);
  });

  it('is idempotent: opening again returns the stored round and writes nothing', async () => {
    const r = await seedLabelingRound(db, { prompts: 4 });
    const before = await labelingSnapshot(db);
    const again = await openLabelingRound(db, { experimentId: r.experimentId, roundIndex: 0, quorum: 1, seed: 99, actor: 'test', deadline: new Date(Date.now() + 10) });
    expect(again).toMatchObject({ replayed: true, taskCount: 4, quorum: 4 });
    expect(await labelingSnapshot(db)).toEqual(before);
  });

  it('refuses a round without samples and an unknown experiment', async () => {
    const r = await seedLabelingRound(db, { prompts: 2 });
    await expect(openLabelingRound(db, { experimentId: r.experimentId, roundIndex: 5, seed: 1, actor: 'test' })).rejects.toMatchObject({ code: 'NOT_FOUND', message: expect.stringContaining('no round 5') });
    await expect(openLabelingRound(db, { experimentId: 'nope', roundIndex: 0, seed: 1, actor: 'test' })).rejects.toMatchObject({ code: 'NOT_FOUND', message: expect.stringContaining('experiment nope not found') });
  });
});

describe('claimNextTask', () => {
  it('hands each single-label task to one labeler, an overlap task to a second, and nobody the same task twice', async () => {
    const r = await seedLabelingRound(db, { prompts: 4, overlap: 0.5, seed: 1 });
    const [a, b, c] = await seedLabelers(db, 3, 'claim');
    const seen = new Map<string, Set<string>>();
    // Each labeler claims and submits until nothing is left for them.
    for (const l of [a, b, c]) {
      seen.set(l.id, new Set());
      for (;;) {
        const t = await claimNextTask(db, { labelerId: l.id, experimentId: r.experimentId });
        if (!t) break;
        expect(seen.get(l.id)!.has(t.taskId)).toBe(false);
        seen.get(l.id)!.add(t.taskId);
        await submitRanking(db, { taskId: t.taskId, labelerId: l.id, ordering: orderingBySampleIndex(t.samples), quality: 5, flags });
      }
    }
    // a took everything once; b took only the 2 overlap tasks (second label); c got nothing.
    expect(seen.get(a.id)!.size).toBe(4);
    expect(seen.get(b.id)!.size).toBe(2);
    expect(seen.get(c.id)!.size).toBe(0);
    expect(await countRankings(db, { experimentId: r.experimentId, roundIndex: 0 })).toEqual({ taskCount: 4, completedTasks: 4, rankings: 6, quorum: 4 });
  });

  it('returns the labeler’s active task again instead of a second one (resumed)', async () => {
    const r = await seedLabelingRound(db, { prompts: 3 });
    const [l] = await seedLabelers(db, 1, 'resume');
    const first = await claimNextTask(db, { labelerId: l.id, experimentId: r.experimentId });
    const again = await claimNextTask(db, { labelerId: l.id, experimentId: r.experimentId });
    expect(first?.resumed).toBe(false);
    expect(again).toMatchObject({ taskId: first!.taskId, resumed: true });
    expect(first!.samples).toHaveLength(4);
    expect(first!.prompt.text).toMatch(/^Write a sentence/);
  });

  it('expires a claim after its TTL: the task goes back to the pool, never to the same labeler', async () => {
    const r = await seedLabelingRound(db, { prompts: 1, assignmentTtlMs: 5_000 });
    const [a, b] = await seedLabelers(db, 2, 'expiry');
    const t0 = new Date();
    const t = await claimNextTask(db, { labelerId: a.id, experimentId: r.experimentId, now: t0 });
    expect(t).not.toBeNull();
    expect(await claimNextTask(db, { labelerId: b.id, experimentId: r.experimentId, now: new Date(t0.getTime() + 1000) })).toBeNull();
    // Past the expiry, but not yet swept: a's submission is still taken ("just expired, not reclaimed").
    // (Checked in submitRanking's tests.) Now the sweep runs as part of b's claim:
    const later = new Date(t0.getTime() + 6_000);
    const tb = await claimNextTask(db, { labelerId: b.id, experimentId: r.experimentId, now: later });
    expect(tb?.taskId).toBe(t!.taskId);
    expect(await claimNextTask(db, { labelerId: a.id, experimentId: r.experimentId, now: later })).toBeNull();
    const assignments = await db.taskAssignment.findMany({ where: { taskId: t!.taskId }, orderBy: { assignedAt: 'asc' } });
    expect(assignments.map((x) => [x.labelerId, x.status])).toEqual([
      [a.id, 'expired'],
      [b.id, 'active'],
    ]);
    expect((await db.rankingTask.findUniqueOrThrow({ where: { id: t!.taskId } })).assignedLabels).toBe(1);
    await expect(submitRanking(db, { taskId: t!.taskId, labelerId: a.id, ordering: orderingBySampleIndex(t!.samples), quality: 3, flags })).rejects.toMatchObject({
      code: 'INVALID_STATE',
      message: expect.stringContaining('expired'),
    });
    expect(await db.auditEvent.count({ where: { action: 'assignment.expired', experimentId: r.experimentId } })).toBe(1);
  });

  it('gives nothing from a paused, closed or out-of-scope round, or after the deadline', async () => {
    const r = await seedLabelingRound(db, { prompts: 2, deadline: new Date(Date.now() + 60_000) });
    const [l] = await seedLabelers(db, 1, 'gates');
    await setExperimentStatus(db, { experimentId: r.experimentId, status: 'paused', actor: 'test' });
    expect(await claimNextTask(db, { labelerId: l.id, experimentId: r.experimentId })).toBeNull();
    await setExperimentStatus(db, { experimentId: r.experimentId, status: 'running', actor: 'test' });
    expect(await claimNextTask(db, { labelerId: l.id, experimentId: r.experimentId, scope: ['some-other-experiment'] }).catch((e) => e)).toMatchObject({ code: 'FORBIDDEN' });
    expect(await claimNextTask(db, { labelerId: l.id, scope: ['some-other-experiment'] })).toBeNull();
    expect(await claimNextTask(db, { labelerId: l.id, experimentId: r.experimentId, now: new Date(Date.now() + 120_000) })).toBeNull();
    await closeLabelingRound(db, { experimentId: r.experimentId, roundIndex: 0, reason: 'manual', actor: 'test' });
    expect(await claimNextTask(db, { labelerId: l.id, experimentId: r.experimentId })).toBeNull();
  });
});

describe('submitRanking', () => {
  it('stores a valid ranking with ties, updates every counter in one go, and replays an identical one', async () => {
    const r = await seedLabelingRound(db, { prompts: 2 });
    const [l] = await seedLabelers(db, 1, 'submit');
    const t = (await claimNextTask(db, { labelerId: l.id, experimentId: r.experimentId }))!;
    const [s0, s1, s2, s3] = t.samples.map((s) => s.id);
    const input = { taskId: t.taskId, labelerId: l.id, ordering: [s2, [s0, s3], s1], quality: 6, flags, note: 'Beide gut — 👍 “quotes”', clientRequestId: 'req-1', durationMs: 4200 };
    const res = await submitRanking(db, input);
    expect(res).toMatchObject({ replayed: false, taskCompleted: true, roundIndex: 0, counts: { taskCount: 2, completedTasks: 1, rankings: 1, quorum: 2 } });
    expect(res.ranking.ordering).toEqual([s2, [s0, s3].sort(), s1]);
    const stored = await db.ranking.findUniqueOrThrow({ where: { id: res.ranking.id } });
    expect(stored.ties).toEqual([[s0, s3].sort()]);
    expect(stored.note).toBe('Beide gut — 👍 “quotes”');
    expect((await db.taskAssignment.findFirstOrThrow({ where: { taskId: t.taskId } })).status).toBe('submitted');
    expect(await db.rankingTask.findUniqueOrThrow({ where: { id: t.taskId } })).toMatchObject({ status: 'complete', completedLabels: 1, assignedLabels: 1 });

    const before = await labelingSnapshot(db);
    // The same ranking again (ties listed in another order, another request id): a replay, nothing written.
    const replay = await submitRanking(db, { ...input, ordering: [s2, [s3, s0], s1], clientRequestId: 'req-2' });
    expect(replay).toMatchObject({ replayed: true, ranking: { id: res.ranking.id }, counts: { completedTasks: 1, rankings: 1 } });
    await expect(submitRanking(db, { ...input, quality: 2 })).rejects.toMatchObject({ code: 'CONFLICT', message: expect.stringContaining('already ranked task') });
    expect(await labelingSnapshot(db)).toEqual(before);
    expect(await db.auditEvent.count({ where: { action: 'ranking.submitted', subjectId: res.ranking.id } })).toBe(1);
  });

  it('takes a ranking whose claim expired but was not yet swept back to the pool', async () => {
    const r = await seedLabelingRound(db, { prompts: 1, assignmentTtlMs: 1_000 });
    const [l] = await seedLabelers(db, 1, 'late');
    const t = (await claimNextTask(db, { labelerId: l.id, experimentId: r.experimentId }))!;
    const res = await submitRanking(db, { taskId: t.taskId, labelerId: l.id, ordering: orderingBySampleIndex(t.samples), quality: 4, flags, now: new Date(Date.now() + 5_000) });
    expect(res.replayed).toBe(false);
    expect(await releaseExpiredAssignments(db, { now: new Date(Date.now() + 10_000) })).toEqual({ released: 0 });
  });

  it.each([
    ['a sample missing', (ids: string[]) => ({ ordering: ids.slice(0, 3) }), /ranks 3 samples but task .* has K=4/],
    ['a sample twice', (ids: string[]) => ({ ordering: [ids[0], ids[0], ids[1], ids[2]] }), /appears more than once/],
    ['an unknown sample', (ids: string[]) => ({ ordering: [ids[0], ids[1], ids[2], 'not-a-sample'] }), /is not one of task/],
    ['one tie of everything', (ids: string[]) => ({ ordering: [ids] }), /ties every sample/],
    ['an empty tie group', (ids: string[]) => ({ ordering: [...ids, []] }), /ordering\[4\]/],
    ['quality 0', () => ({ quality: 0 }), /quality/],
    ['quality 8', () => ({ quality: 8 }), /quality/],
    ['quality 2.5', () => ({ quality: 2.5 }), /quality/],
    ['a flag missing', () => ({ flags: { followsInstruction: true, hallucination: false } }), /flags.harmful/],
    ['a NUL in the note', () => ({ note: 'a\u0000b' }), /note: contains a control character/],
    ['a lone surrogate in the note', () => ({ note: 'x\ud800y' }), /note: contains a control character or invalid Unicode/],
    ['an unknown field', () => ({ extra: 1 }), /Unrecognized key/],
  ])('refuses %s with VALIDATION_FAILED and writes nothing', async (_name, patch, message) => {
    const r = await seedLabelingRound(db, { prompts: 1 });
    const [l] = await seedLabelers(db, 1, `bad-${Math.random().toString(36).slice(2, 8)}`);
    const t = (await claimNextTask(db, { labelerId: l.id, experimentId: r.experimentId }))!;
    const before = await labelingSnapshot(db);
    const input = { taskId: t.taskId, labelerId: l.id, ordering: t.samples.map((s) => s.id) as unknown[], quality: 5, flags: flags as unknown, ...patch(t.samples.map((s) => s.id)) };
    await expect(submitRanking(db, input as never)).rejects.toMatchObject({ code: 'VALIDATION_FAILED', message: expect.stringMatching(message) });
    expect(await labelingSnapshot(db)).toEqual(before);
  });

  it('refuses another labeler’s task (FORBIDDEN) and a closed round (INVALID_STATE), writing nothing', async () => {
    const r = await seedLabelingRound(db, { prompts: 2 });
    const [a, b] = await seedLabelers(db, 2, 'owner');
    const ta = (await claimNextTask(db, { labelerId: a.id, experimentId: r.experimentId }))!;
    const before = await labelingSnapshot(db);
    await expect(submitRanking(db, { taskId: ta.taskId, labelerId: b.id, ordering: orderingBySampleIndex(ta.samples), quality: 5, flags })).rejects.toMatchObject({ code: 'FORBIDDEN', message: expect.stringContaining('not assigned to you') });
    expect(await labelingSnapshot(db)).toEqual(before);
    await closeLabelingRound(db, { experimentId: r.experimentId, roundIndex: 0, reason: 'deadline', actor: 'test' });
    const afterClose = await labelingSnapshot(db);
    await expect(submitRanking(db, { taskId: ta.taskId, labelerId: a.id, ordering: orderingBySampleIndex(ta.samples), quality: 5, flags })).rejects.toMatchObject({ code: 'INVALID_STATE', message: expect.stringContaining('is closed (deadline)') });
    expect(await labelingSnapshot(db)).toEqual(afterClose);
    await expect(submitRanking(db, { taskId: '0190a000-0000-7000-8000-000000000000', labelerId: a.id, ordering: ['x', 'y'], quality: 5, flags })).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('still answers a replay after the round closed, so a retrying client learns its ranking was kept', async () => {
    const r = await seedLabelingRound(db, { prompts: 2 });
    const [l] = await seedLabelers(db, 1, 'replay-closed');
    const t = (await claimNextTask(db, { labelerId: l.id, experimentId: r.experimentId }))!;
    const input = { taskId: t.taskId, labelerId: l.id, ordering: orderingBySampleIndex(t.samples), quality: 5, flags };
    const first = await submitRanking(db, input);
    await closeLabelingRound(db, { experimentId: r.experimentId, roundIndex: 0, reason: 'manual', actor: 'test' });
    expect(await submitRanking(db, input)).toMatchObject({ replayed: true, ranking: { id: first.ranking.id } });
  });
});

describe('closeLabelingRound', () => {
  it('cancels open tasks, releases active claims, keeps rankings, and is idempotent', async () => {
    const r = await seedLabelingRound(db, { prompts: 3 });
    const [a, b] = await seedLabelers(db, 2, 'closer');
    const ta = (await claimNextTask(db, { labelerId: a.id, experimentId: r.experimentId }))!;
    await submitRanking(db, { taskId: ta.taskId, labelerId: a.id, ordering: orderingBySampleIndex(ta.samples), quality: 5, flags });
    const tb = (await claimNextTask(db, { labelerId: b.id, experimentId: r.experimentId }))!;
    const closed = await closeLabelingRound(db, { experimentId: r.experimentId, roundIndex: 0, reason: 'quorum', actor: 'workflow:x' });
    expect(closed).toEqual({ taskCount: 3, completedTasks: 1, rankings: 1, quorum: 3, closedBy: 'quorum', closed: true, releasedAssignments: 1, cancelledTasks: 2 });
    expect(await db.taskAssignment.findFirstOrThrow({ where: { taskId: tb.taskId } })).toMatchObject({ status: 'released' });
    expect(await db.rankingTask.findUniqueOrThrow({ where: { id: tb.taskId } })).toMatchObject({ status: 'cancelled', assignedLabels: 0 });
    const before = await labelingSnapshot(db);
    expect(await closeLabelingRound(db, { experimentId: r.experimentId, roundIndex: 0, reason: 'manual', actor: 'test' })).toMatchObject({ closed: false, closedBy: 'quorum', completedTasks: 1 });
    expect(await labelingSnapshot(db)).toEqual(before);
  });

  it('happens when the experiment is cancelled', async () => {
    const r = await seedLabelingRound(db, { prompts: 2 });
    await setExperimentStatus(db, { experimentId: r.experimentId, status: 'cancelled', actor: 'workflow:x' });
    expect(await db.round.findUniqueOrThrow({ where: { id: r.roundId } })).toMatchObject({ status: 'closed', closeReason: 'cancelled' });
  });
});

describe('progress, agreement and training data', () => {
  it('reports round progress with per-labeler throughput, agreement on overlap tasks, and rankings for training', async () => {
    const r = await seedLabelingRound(db, { prompts: 6, overlap: 1, seed: 2 });
    const [a, b] = await seedLabelers(db, 2, 'stats');
    for (const l of [a, b]) {
      for (;;) {
        const t = await claimNextTask(db, { labelerId: l.id, experimentId: r.experimentId });
        if (!t) break;
        const ordering = orderingBySampleIndex(t.samples);
        // b swaps the middle pair on every other task: 1 of 6 pairs disagrees there.
        if (l === b && t.prompt.key.endsWith('0') === false && Number(t.prompt.key.slice(-1)) % 2 === 1) [ordering[1], ordering[2]] = [ordering[2], ordering[1]];
        await submitRanking(db, { taskId: t.taskId, labelerId: l.id, ordering, quality: 5, flags, durationMs: 1000 });
      }
    }
    const p = await roundProgress(db, { experimentId: r.experimentId, roundIndex: 0 });
    expect(p).toMatchObject({ done: 6, quorum: 6, taskCount: 6, rankings: 12, overlapTasks: 6, activeAssignments: 0, quorumProgress: 1 });
    expect(p.perLabeler.map((x) => [x.name, x.rankings])).toEqual([
      ['stats-0', 6],
      ['stats-1', 6],
    ]);
    const ag = await labelingAgreement(db, { experimentId: r.experimentId, roundIndex: 0 });
    expect(ag.tasks).toBe(6);
    expect(ag.pairwise.pairs).toBe(36);
    expect(ag.pairwise.agreement).toBeCloseTo(33 / 36, 12); // prompts 1, 3, 5 have one swapped pair each
    expect(ag.krippendorffAlpha.value).toBeGreaterThan(0.7);
    expect(ag.reference.agreement).toBe(0.726);

    const training = await getRankingsForTraining(db, { experimentId: r.experimentId, uptoRound: 0 });
    expect(training).toHaveLength(12);
    expect(training.filter((x) => x.overlap)).toHaveLength(12);
    const one = training.find((x) => x.labelerId === a.id)!;
    expect(one.completions.map((c) => c.rank)).toEqual([0, 1, 2, 3]);
    expect(one.completions[0].text).toMatch(/^completion 0 of prompt/);
    expect(one.prompt.text).toMatch(/^Write a sentence/);
  });

  it('orders training data by what was judged, not by ids or submission time (two runs of one experiment agree)', async () => {
    const r = await seedLabelingRound(db, { prompts: 2, overlap: 1, seed: 4 });
    const [a, b] = await seedLabelers(db, 2, 'order');
    // a submits first, worst-first; b second, in the shown order with the last two samples tied.
    const shownOrder = new Map<string, string[]>();
    for (const l of [a, b]) {
      for (;;) {
        const t = await claimNextTask(db, { labelerId: l.id, experimentId: r.experimentId });
        if (!t) break;
        const shown = t.samples.map((s) => s.id);
        shownOrder.set(t.taskId, shown);
        const ordering = l === a ? [...shown].reverse() : [shown[0], shown[1], [shown[3], shown[2]]];
        await submitRanking(db, { taskId: t.taskId, labelerId: l.id, ordering, quality: 5, flags });
      }
    }
    const training = await getRankingsForTraining(db, { experimentId: r.experimentId, uptoRound: 0 });
    expect(training).toHaveLength(4);
    for (const [taskId, shown] of shownOrder) {
      const [first, second] = training.filter((x) => x.taskId === taskId);
      // positions [[0],[1],[2,3]] sort before [[3],[2],[1],[0]], whoever submitted first
      expect(first.labelerId).toBe(b.id);
      expect(second.labelerId).toBe(a.id);
      // a tie group lists its samples in the shown order, not by id
      expect(first.completions.map((c) => [c.sampleId, c.rank])).toEqual([[shown[0], 0], [shown[1], 1], [shown[2], 2], [shown[3], 2]]);
      expect(first.ties).toEqual([[shown[2], shown[3]]]);
      expect(second.completions.map((c) => c.sampleId)).toEqual([...shown].reverse());
    }
  });
});
