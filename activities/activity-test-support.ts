/**
 * For activity tests (not used by production code): a private database with a running experiment, a file artifact
 * store in a temporary folder, the activities over a given engine, and a way to run one activity the way a worker
 * would — in a MockActivityEnvironment with an attempt number and heartbeat details — collecting its heartbeats.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Info } from '@temporalio/activity';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { randomUUID } from 'node:crypto';
import { createArtifactStore, FileArtifactStore, type ArtifactStore } from '../lib/artifacts';
import { createDb, type Db } from '../lib/db';
import { claimNextTask, createExperiment, createLabeler, setExperimentStatus, submitRanking } from '../lib/domain';
import { createBuiltinTask } from '../engine/task';
import { createTestDatabase, type TestDatabase } from '../test/test-database';
import { testS3 } from '../test/test-env';
import { activityKey, experimentWorkflowId } from '../workflows/experiment-contract';
import { createActivities } from './create-activities';
import type { ExperimentActivities } from './experiment-activity-types';
import type { ExperimentEngine } from './experiment-engine';

export interface ActivityTestBed {
  db: Db;
  tdb: TestDatabase;
  artifacts: ArtifactStore;
  /** The file store's folder (a file store is used unless `store: 's3'`). */
  artifactDir: string;
  close(): Promise<void>;
  /** A running experiment from spec lines after `name:`. */
  experiment(specLines?: string): Promise<{ experimentId: string; workflowId: string; key: (round: number | string, step: string) => string }>;
  /** The activities over `engine`. */
  activities(engine: ExperimentEngine): ExperimentActivities;
  /** Runs one activity in a mock activity context; heartbeats are collected in `heartbeats`. */
  run<I, O>(fn: (input: I) => Promise<O>, input: I, info?: Partial<Info>, onEnv?: (env: MockActivityEnvironment) => void): Promise<O>;
  heartbeats: unknown[];
  /** Claims and ranks every open task of the experiment with `labelers` simulated labelers (via the verbs). */
  labelEverything(experimentId: string, labelers?: number): Promise<number>;
}

/** `store: 's3'` keeps artifacts on the test run's S3 server (a fresh prefix) instead of in a folder. */
export async function createActivityTestBed(label: string, opts: { store?: 'file' | 's3' } = {}): Promise<ActivityTestBed> {
  const tdb = await createTestDatabase(label);
  const db = createDb(tdb.url, { poolSize: 5 });
  const artifactDir = fs.mkdtempSync(path.join(os.tmpdir(), 'hone-activities-'));
  const artifacts = opts.store === 's3' ? createArtifactStore({ kind: 's3', bucket: 'hone-test', prefix: `activities-${randomUUID()}`, ...testS3() }) : new FileArtifactStore(artifactDir);
  const heartbeats: unknown[] = [];
  const task = createBuiltinTask({ demonstrations: 50, pretrainTexts: 10 });
  let labelerCount = 0;
  return {
    db,
    tdb,
    artifacts,
    artifactDir,
    heartbeats,
    async close() {
      await db.$disconnect();
      await tdb.drop();
      fs.rmSync(artifactDir, { recursive: true, force: true });
    },
    async experiment(specLines = '') {
      const created = await createExperiment(db, { specYaml: `name: ${label.toLowerCase().replace(/[^a-z0-9-]/g, '-')}\n${specLines}`, createdBy: 'test', workflowIdFor: experimentWorkflowId });
      const experimentId = created.experiment.id;
      await setExperimentStatus(db, { experimentId, status: 'running', actor: 'test' });
      const workflowId = experimentWorkflowId(experimentId);
      return { experimentId, workflowId, key: (round: number | string, step: string) => activityKey(workflowId, round, step) };
    },
    activities: (engine) => createActivities({ db, artifacts, engine, config: { heartbeatEveryMs: 0 } }),
    async run<I, O>(fn: (input: I) => Promise<O>, input: I, info: Partial<Info> = {}, onEnv?: (env: MockActivityEnvironment) => void): Promise<O> {
      // Failing attempts are the point of many tests: keep the SDK's "Activity failed" warnings out of the output.
      const env = new MockActivityEnvironment({ attempt: 1, workflowExecution: { workflowId: 'experiment-test', runId: 'run-test' }, ...info }, { logger: new DefaultLogger('ERROR') });
      env.on('heartbeat', (d: unknown) => heartbeats.push(d));
      onEnv?.(env);
      return env.run(fn, input);
    },
    async labelEverything(experimentId, labelers = 2) {
      const ids: string[] = [];
      for (let i = 0; i < labelers; i++) ids.push((await createLabeler(db, { name: `sim-${label}-${++labelerCount}`, role: 'labeler', actor: 'test' })).labeler.id);
      let submitted = 0;
      for (let progress = true; progress; ) {
        progress = false;
        for (const [i, labelerId] of ids.entries()) {
          const t = await claimNextTask(db, { labelerId, experimentId });
          if (!t) continue;
          const sim = task.simulatedLabeler({ noise: 0.1, seed: i + 1 });
          const r = sim.rank(t.prompt.text, t.samples.map((s) => s.text), t.taskId);
          await submitRanking(db, { taskId: t.taskId, labelerId, ordering: r.order.map((j) => t.samples[j].id), quality: 5, flags: { followsInstruction: true, hallucination: false, harmful: false } });
          submitted += 1;
          progress = true;
        }
      }
      return submitted;
    },
  };
}
