/**
 * Simulated labelers over real HTTP against the real API: they rank a round of the built-in task's prompts, ride
 * out an API restart in the middle (retrying with back-off), and every ranking the API accepted is stored once.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { createBuiltinTask } from '../../engine/task';
import { FileArtifactStore } from '../../lib/artifacts';
import { createDb, type Db } from '../../lib/db';
import { createExperiment, createLabeler, getRankingsForTraining, openLabelingRound, registerArtifact, setExperimentStatus, storeSamples } from '../../lib/domain';
import { sha } from '../../lib/domain/test-support';
import { createTestDatabase, type TestDatabase } from '../../test/test-database';
import { testEnv } from '../../test/test-env';
import { silentLogger } from '../server/logger';
import { startServer, type RunningServer } from '../server/start-server';
import { ApiClient } from './api-client';
import { runSimulatedLabelers, type LabelerEvent } from './simulated-labelers';

let tdb: TestDatabase;
let db: Db;
let connection: Connection;
let artifactsDir: string;

beforeAll(async () => {
  tdb = await createTestDatabase('sim-labelers');
  db = createDb(tdb.url, { poolSize: 10 });
  connection = await Connection.connect({ address: testEnv('temporalAddress') });
  artifactsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'hone-sim-'));
});
afterAll(async () => {
  await db?.$disconnect();
  await tdb?.drop();
  await connection?.close();
  fs.rmSync(artifactsDir, { recursive: true, force: true });
});

const serve = (port = 0): Promise<RunningServer> =>
  startServer({ deps: { db, temporalClient: new Client({ connection }), artifacts: new FileArtifactStore(artifactsDir), logger: silentLogger }, port, shutdownGraceMs: 200 });

/** An experiment (no workflow) with round 0 open: `n` task prompts × 3 completions, a share of tasks overlapped. */
async function openRound(n: number): Promise<{ experimentId: string; overlapTasks: number }> {
  const task = createBuiltinTask({ demonstrations: 50, pretrainTexts: 10 });
  const { experiment } = await createExperiment(db, { specYaml: `name: sim\nrounds: { promptsPerRound: ${n}, completionsPerPrompt: 3 }`, createdBy: 'test' });
  await setExperimentStatus(db, { experimentId: experiment.id, status: 'running', actor: 'test' });
  const policy = await registerArtifact(db, { key: `sim/${experiment.id}/policy`, uri: `file:///x/${experiment.id}`, sha256: sha(experiment.id), bytes: 1, kind: 'policy', experimentId: experiment.id, createdBy: 'test' });
  const items = task.trainPrompts.slice(0, n).map((p, i) => ({
    prompt: { key: p.id, text: p.text },
    // The first prompt's completions are identical: the oracle ties them all, and the labeler must still rank them.
    completions: (i === 0 ? [0, 0, 0] : [0, 1, 2]).map((j) => ({ text: task.demonstrations[j].completion, tokens: 8, policyArtifactId: policy.artifact.id })),
  }));
  await storeSamples(db, { experimentId: experiment.id, roundIndex: 0, items, idempotencyKey: `sim/${experiment.id}/samples`, actor: 'test' });
  const opened = await openLabelingRound(db, { experimentId: experiment.id, roundIndex: 0, overlapShare: 0.25, seed: 3, actor: 'test' });
  return { experimentId: experiment.id, overlapTasks: opened.overlapTasks };
}

it('labels a round through an API restart; every accepted ranking is stored exactly once', async () => {
  const { experimentId, overlapTasks } = await openRound(16);
  const admin = await createLabeler(db, { name: 'sim-admin', role: 'admin', actor: 'test' });
  let server = await serve();
  const port = server.port;
  const api = new ApiClient(server.url, admin.token);
  const events: LabelerEvent[] = [];
  let restarted: Promise<void> | undefined;
  const done = async () => {
    const r = await db.round.findFirstOrThrow({ where: { experimentId } });
    return r.tasksCompleted === r.tasksTotal;
  };
  const result = await runSimulatedLabelers({
    api,
    experimentId,
    labelers: 3,
    noise: 0.1,
    seed: 5,
    signal: new AbortController().signal,
    isDone: done,
    pollMs: 100,
    onEvent: (e) => {
      events.push(e);
      // After a few rankings, take the API down for a second and bring it back on the same port.
      if (e.type === 'submitted' && !restarted && events.filter((x) => x.type === 'submitted').length === 4) {
        restarted = (async () => {
          await server.close();
          await new Promise((r) => setTimeout(r, 1_000));
          server = await serve(port);
        })();
      }
    },
  });
  await restarted;
  await server.close();

  const rows = await db.ranking.count({ where: { task: { round: { experimentId } } } });
  expect(rows).toBe(16 + overlapTasks);
  expect(result.submitted).toBe(rows); // accepted once each; a retried submission comes back as a replay
  expect(result.skipped).toBe(0);
  expect(result.retries).toBeGreaterThan(0);
  expect(events.some((e) => e.type === 'api-unreachable')).toBe(true);
  expect(events.some((e) => e.type === 'api-back')).toBe(true);
  const labelers = await db.labeler.findMany({ where: { name: { startsWith: `sim-${experimentId.slice(-8)}-` } } });
  expect(labelers).toHaveLength(3);
  // Nobody ranked a task twice, and overlapped tasks have two different labelers.
  const perTask = await db.ranking.groupBy({ by: ['taskId'], where: { task: { round: { experimentId } } }, _count: { labelerId: true } });
  expect(perTask.filter((t) => t._count.labelerId === 2)).toHaveLength(overlapTasks);
});

it('ranks the same round the same way whichever labeler claims which task: two runs give the same training data', async () => {
  const admin = await createLabeler(db, { name: 'sim-admin-repro', role: 'admin', actor: 'test' });
  const server = await serve();
  try {
    // The same round twice (same prompts, completions and shuffle seed), labeled by pools of different sizes, so
    // tasks go to different accounts in a different order. Noise 0.3 makes rankings drawn per labeler differ.
    const runs = [];
    for (const labelers of [3, 2]) {
      const { experimentId, overlapTasks } = await openRound(12);
      const done = async () => {
        const r = await db.round.findFirstOrThrow({ where: { experimentId } });
        return r.tasksCompleted === r.tasksTotal;
      };
      await runSimulatedLabelers({ api: new ApiClient(server.url, admin.token), experimentId, labelers, noise: 0.3, seed: 5, signal: new AbortController().signal, isDone: done, pollMs: 50 });
      const training = await getRankingsForTraining(db, { experimentId, uptoRound: 0 });
      expect(training).toHaveLength(12 + overlapTasks);
      runs.push(training.map((r) => ({ prompt: r.prompt.key, overlap: r.overlap, completions: r.completions.map((c) => [c.text, c.rank]), ties: r.ties.map((g) => g.length) })));
    }
    expect(runs[0].some((r) => r.overlap)).toBe(true);
    expect(runs[1]).toEqual(runs[0]);
  } finally {
    await server.close();
  }
});
