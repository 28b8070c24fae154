import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FileArtifactStore } from '../artifacts';
import { createDb, type Db } from '../db';
import { createTestDatabase, type TestDatabase } from '../../test/test-database';
import { claimNextTask } from './claim-next-task';
import { createExperiment } from './create-experiment';
import { finalizeExperiment, reportKey } from './finalize-experiment';
import { getAuditTrail } from './get-audit-trail';
import { getExperiment } from './get-experiment';
import { listExperiments } from './list-experiments';
import { listMetrics } from './list-metrics';
import { recordRoundSummary } from './record-round-summary';
import type { RoundSummary } from './round-summary-metrics';
import { registerArtifact } from './register-artifact';
import { EXPERIMENT_TRANSITIONS, setExperimentStatus } from './set-experiment-status';
import { labelingSnapshot, seedLabelers, seedLabelingRound, sha } from './test-support';

let tdb: TestDatabase;
let db: Db;
beforeAll(async () => {
  tdb = await createTestDatabase('experiments');
  db = createDb(tdb.url, { poolSize: 4 });
});
afterAll(async () => {
  await db.$disconnect();
  await tdb.drop();
});

const newExperiment = async (name = 'exp') => (await createExperiment(db, { specYaml: `name: ${name}\nseed: 9\nrounds: { count: 3 }\n`, createdBy: 'cli' })).experiment;

describe('createExperiment', () => {
  it('stores the YAML and its parsed form, pending, with the workflow id and an audit event', async () => {
    const r = await createExperiment(db, { specYaml: 'name: first\nseed: 4\n', createdBy: 'labeler:x', workflowIdFor: (id) => `experiment-${id}` });
    expect(r.experiment).toMatchObject({ name: 'first', status: 'pending', seed: 4, roundsPlanned: 2, createdBy: 'labeler:x', currentRound: 0 });
    expect(r.experiment.workflowId).toBe(`experiment-${r.experiment.id}`);
    expect(r.experiment.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    const detail = await getExperiment(db, r.experiment.id);
    expect(detail.specYaml).toBe('name: first\nseed: 4\n');
    expect(detail.spec).toMatchObject({ name: 'first', seed: 4, rounds: { count: 2 } });
    const events = await db.auditEvent.findMany({ where: { experimentId: r.experiment.id } });
    expect(events.map((e) => e.action)).toEqual(['experiment.created']);
    expect(events[0].data).toMatchObject({ specHash: r.specHash });
  });

  it('refuses an invalid spec with every problem, its path and line, writing nothing', async () => {
    const before = await labelingSnapshot(db);
    const err = await createExperiment(db, { specYaml: 'name: Bad Name\nrounds:\n  count: 0\n  promtsPerRound: 3\n', createdBy: 'cli' }).catch((e) => e);
    expect(err).toMatchObject({ code: 'VALIDATION_FAILED' });
    expect(err.details.issues.map((i: { path: string }) => i.path).sort()).toEqual(['name', 'rounds.count', 'rounds.promtsPerRound']);
    expect(err.message).toMatch(/spec:4:\d+ rounds\.promtsPerRound/);
    expect(await labelingSnapshot(db)).toEqual(before);
    await expect(createExperiment(db, { specYaml: '  ', createdBy: 'cli' })).rejects.toMatchObject({ code: 'VALIDATION_FAILED', message: expect.stringContaining('empty') });
  });
});

describe('listExperiments and getExperiment', () => {
  it('pages newest first, filters by status and scope, and says NOT_FOUND for unknown ids', async () => {
    const made = [];
    for (let i = 0; i < 5; i++) made.push(await newExperiment(`page-${i}`));
    const ids = made.map((e) => e.id);
    const p1 = await listExperiments(db, { experimentIds: ids, limit: 2 });
    const p2 = await listExperiments(db, { experimentIds: ids, limit: 2, cursor: p1.nextCursor! });
    const p3 = await listExperiments(db, { experimentIds: ids, limit: 2, cursor: p2.nextCursor! });
    expect([...p1.items, ...p2.items, ...p3.items].map((e) => e.name)).toEqual(['page-4', 'page-3', 'page-2', 'page-1', 'page-0']);
    expect(p3.nextCursor).toBeNull();
    await setExperimentStatus(db, { experimentId: ids[1], status: 'running', actor: 'test' });
    expect((await listExperiments(db, { experimentIds: ids, status: 'running' })).items.map((e) => e.id)).toEqual([ids[1]]);
    await expect(listExperiments(db, { limit: 0 })).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    await expect(getExperiment(db, 'missing')).rejects.toMatchObject({ code: 'NOT_FOUND', message: 'experiment missing not found' });
  });
});

describe('setExperimentStatus', () => {
  const all = ['pending', 'running', 'paused', 'completed', 'failed', 'cancelled'] as const;
  /** Drives a fresh experiment into `from` through legal moves. */
  async function experimentIn(from: (typeof all)[number]): Promise<string> {
    const e = await newExperiment('status');
    const path: Record<string, string[]> = { pending: [], running: ['running'], paused: ['running', 'paused'], completed: ['running', 'completed'], failed: ['failed'], cancelled: ['cancelled'] };
    for (const s of path[from]) await setExperimentStatus(db, { experimentId: e.id, status: s as never, actor: 'test' });
    return e.id;
  }

  it.each(all.flatMap((from) => (['running', 'paused', 'completed', 'failed', 'cancelled'] as const).map((to) => [from, to] as const)))('%s → %s is allowed only if legal (and a no-op to itself)', async (from, to) => {
    const id = await experimentIn(from);
    const before = await labelingSnapshot(db);
    const legal = EXPERIMENT_TRANSITIONS[from].includes(to);
    if (from === to) {
      expect(await setExperimentStatus(db, { experimentId: id, status: to, actor: 'test' })).toMatchObject({ changed: false, previous: from });
      expect(await labelingSnapshot(db)).toEqual(before);
    } else if (legal) {
      const r = await setExperimentStatus(db, { experimentId: id, status: to, actor: 'workflow:w', phase: 'training', roundIndex: 1, error: to === 'failed' ? { type: 'TRAINING_DIVERGED', message: 'nan loss' } : undefined });
      expect(r).toMatchObject({ changed: true, previous: from, experiment: { status: to, currentRound: 2 } });
      if (to === 'failed') expect(r.experiment.error).toBe('TRAINING_DIVERGED: nan loss');
      if (['completed', 'failed', 'cancelled'].includes(to)) expect(r.experiment.finishedAt).not.toBeNull();
      const ev = await db.auditEvent.findFirstOrThrow({ where: { experimentId: id, action: 'experiment.status_changed' }, orderBy: { id: 'desc' } });
      expect(ev.data).toMatchObject({ from, to, phase: 'training', roundIndex: 1 });
    } else {
      await expect(setExperimentStatus(db, { experimentId: id, status: to, actor: 'test' })).rejects.toMatchObject({ code: 'INVALID_STATE', message: `experiment ${id} is ${from} and cannot become ${to}` });
      expect(await labelingSnapshot(db)).toEqual(before);
    }
  });

  it('pauses and reopens the open round, and moves its deadline', async () => {
    const r = await seedLabelingRound(db, { prompts: 2 });
    await setExperimentStatus(db, { experimentId: r.experimentId, status: 'paused', actor: 'workflow:w' });
    expect((await db.round.findUniqueOrThrow({ where: { id: r.roundId } })).status).toBe('paused');
    const deadline = new Date('2031-01-02T03:04:05.000Z');
    await setExperimentStatus(db, { experimentId: r.experimentId, status: 'running', actor: 'workflow:w', labelingDeadlineAt: deadline.toISOString() });
    expect(await db.round.findUniqueOrThrow({ where: { id: r.roundId } })).toMatchObject({ status: 'open', deadline });
    expect(await db.auditEvent.count({ where: { experimentId: r.experimentId, action: 'round.deadline_moved' } })).toBe(1);
  });

  it('closes the open round and releases its claims on failure', async () => {
    const r = await seedLabelingRound(db, { prompts: 2 });
    const [l] = await seedLabelers(db, 1, 'fail');
    await claimNextTask(db, { labelerId: l.id, experimentId: r.experimentId });
    await setExperimentStatus(db, { experimentId: r.experimentId, status: 'failed', actor: 'workflow:w', error: { type: 'X', message: 'y' } });
    expect(await db.round.findUniqueOrThrow({ where: { id: r.roundId } })).toMatchObject({ status: 'closed', closeReason: 'failed' });
    expect(await db.taskAssignment.count({ where: { status: 'active', labelerId: l.id } })).toBe(0);
  });

  it('refuses unknown experiments and bad input', async () => {
    await expect(setExperimentStatus(db, { experimentId: 'nope', status: 'running', actor: 'x' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(setExperimentStatus(db, { experimentId: 'x', status: 'bogus' as never, actor: 'x' })).rejects.toMatchObject({ code: 'VALIDATION_FAILED', message: expect.stringContaining('status') });
  });
});

function summary(roundIndex: number, winRate = 0.7): RoundSummary {
  return {
    roundIndex,
    samples: { samplesArtifactId: 's', prompts: 4, completions: 16 },
    labeling: { taskCount: 4, quorum: 4, completedTasks: 4, rankings: 5, closedBy: 'quorum' },
    rewardModel: { rewardModelArtifactId: 'rm', heldoutAccuracy: 0.8, pairsUsed: 24 },
    training: { trainer: 'ppo', policyArtifactId: 'p', iterations: 12, metrics: { meanReward: 0.5, klMean: 1.1, klCoef: 0.2, clipFraction: 0.1, entropy: 2.3, valueLoss: 0.4, policyLoss: -0.02 } },
    evaluation: { winRate, winRateCi95: [winRate - 0.1, winRate + 0.1], klMean: 1.2, rmScore: 0.3, heldoutPrompts: 64 },
    startedAt: '2026-01-01T00:00:00.000Z',
    finishedAt: '2026-01-01T01:00:00.000Z',
  };
}

describe('recordRoundSummary', () => {
  it('writes the metrics once; a retry writes nothing; different values for the same step are a conflict', async () => {
    const e = await newExperiment('metrics');
    const r1 = await recordRoundSummary(db, { experimentId: e.id, summary: summary(0), roundsTotal: 4, actor: 'workflow:w', metrics: [{ name: 'ppo/kl_mean', step: 3, value: 0.7 }] });
    expect(r1.existing).toBe(0);
    expect(r1.inserted).toBeGreaterThan(20);
    const before = await labelingSnapshot(db);
    expect(await recordRoundSummary(db, { experimentId: e.id, summary: summary(0), roundsTotal: 4, actor: 'workflow:w', metrics: [{ name: 'ppo/kl_mean', step: 3, value: 0.7 }] })).toEqual({ inserted: 0, existing: r1.inserted });
    expect(await labelingSnapshot(db)).toEqual(before);
    await expect(recordRoundSummary(db, { experimentId: e.id, summary: summary(0, 0.9), actor: 'workflow:w' })).rejects.toMatchObject({ code: 'CONFLICT', message: expect.stringContaining('eval/win_rate') });
    const m = await listMetrics(db, { experimentId: e.id, prefix: 'eval/' });
    expect(m.find((x) => x.name === 'eval/win_rate')).toMatchObject({ round: 1, step: 0, value: 0.7 });
    expect((await listMetrics(db, { experimentId: e.id, name: 'ppo/kl_mean' })).map((x) => [x.step, x.value])).toEqual([
      [3, 0.7],
      [12, 1.1],
    ]);
    expect((await getExperiment(db, e.id)).roundsPlanned).toBe(4);
    expect(await db.auditEvent.count({ where: { experimentId: e.id, action: 'round.summarized' } })).toBe(1);
    await expect(recordRoundSummary(db, { experimentId: e.id, summary: { ...summary(1), evaluation: { ...summary(1).evaluation, winRate: NaN } }, actor: 'w' })).rejects.toMatchObject({ code: 'VALIDATION_FAILED', message: expect.stringContaining('finite') });
  });
});

describe('finalizeExperiment and the audit trail', () => {
  it('writes a deterministic report artifact with lineage, completes the experiment once, and lists the timeline', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hone-report-'));
    const artifacts = new FileArtifactStore(dir);
    try {
      const r = await seedLabelingRound(db, { prompts: 2 });
      const sft = await registerArtifact(db, { key: `t/${r.experimentId}/sft`, uri: 'file:///x/sft', sha256: sha('sft'), bytes: 10, kind: 'policy', experimentId: r.experimentId, createdBy: 'test', parents: [{ artifactId: r.policyArtifactId, role: 'init' }] });
      await recordRoundSummary(db, { experimentId: r.experimentId, summary: summary(0), actor: 'workflow:w' });
      const input = { experimentId: r.experimentId, idempotencyKey: 'wf/final/finalize', roundsCompleted: 1, roundsTotal: 1, policyArtifactId: sft.artifact.id, referenceArtifactId: r.policyArtifactId, actor: 'workflow:w' };
      const first = await finalizeExperiment({ db, artifacts }, input);
      expect(first.changed).toBe(true);
      const again = await finalizeExperiment({ db, artifacts }, input);
      expect(again).toEqual({ reportArtifactId: first.reportArtifactId, changed: false });
      const report = await db.artifact.findUniqueOrThrow({ where: { id: first.reportArtifactId }, include: { parents: true } });
      expect(report).toMatchObject({ key: reportKey(r.experimentId), kind: 'report' });
      expect(report.parents.map((p) => p.role).sort()).toEqual(['policy', 'reference']);
      const body = JSON.parse((await artifacts.get(report.uri)).toString('utf8'));
      expect(body).toMatchObject({ format: 'hone.report.v1', roundsCompleted: 1, rounds: [{ roundIndex: 0, metrics: { 'eval/win_rate': 0.7 } }] });
      expect(body.lineage.nodes.map((n: { id: string }) => n.id)).toEqual(expect.arrayContaining([sft.artifact.id, r.policyArtifactId]));
      expect((await getExperiment(db, r.experimentId)).status).toBe('completed');

      const trail = await getAuditTrail(db, r.experimentId);
      expect(trail.events.map((e) => e.action)).toEqual([
        'experiment.created',
        'experiment.status_changed',
        'artifact.registered',
        'samples.stored',
        'round.opened',
        'artifact.registered',
        'round.summarized',
        'artifact.registered',
        'experiment.status_changed',
        'experiment.finalized',
      ]);
      expect(trail.artifacts.map((a) => a.kind).sort()).toEqual(['policy', 'policy', 'report']);
      expect(trail.edges).toEqual(expect.arrayContaining([{ childId: sft.artifact.id, parentId: r.policyArtifactId, role: 'init' }]));
      const paged = await getAuditTrail(db, r.experimentId, { limit: 3 });
      expect(paged.events).toHaveLength(3);
      expect((await getAuditTrail(db, r.experimentId, { afterId: paged.nextAfterId! })).events[0].id).toBe(trail.events[3].id);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
