/**
 * The worker process's runtime on a dev server of its own: both task queues in one process run a whole experiment;
 * a graceful shutdown in the middle of PPO cancels the trainer, which saves what it finished, and the next worker
 * resumes from there instead of starting over.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { createActivityTestBed, type ActivityTestBed } from '../../activities/activity-test-support';
import type { HoneConfig } from '../../lib/config';
import { startTemporalDevServer, type TemporalDevServer } from '../../lib/services';
import { parseSpec, specSummary } from '../../lib/spec';
import { ScriptedEngine } from '../../test/scripted-engine';
import { testEnv } from '../../test/test-env';
import { CONTROL_TASK_QUEUE, experimentWorkflowId } from '../../workflows/experiment-contract';
import type { experimentWorkflow } from '../../workflows/experiment-workflow';
import { silentLogger } from '../server/logger';
import { startHoneWorker, type HoneWorker } from './run-worker';
import type { WorkerSettings } from './worker-settings';

jest.setTimeout(300_000);

let temporal: TemporalDevServer;
let bed: ActivityTestBed;
let connection: Connection;
let client: Client;
let tmp: string;
const workers: HoneWorker[] = [];

const SETTINGS: WorkerSettings = { queues: ['control', 'train'], trainConcurrency: 1, shutdownGraceSeconds: 0, shutdownForceSeconds: 30, heartbeatThrottleMs: 200, logLevel: 'warn' };
const SPEC_LINES = 'rounds: { count: 1, promptsPerRound: 4, completionsPerPrompt: 3 }\nlabeling: { overlap: 0, resyncEvery: 1s }\nppo: { iterations: 8, iterationsPerActivity: 8, checkpointEvery: 3, promptsPerIteration: 4, minibatch: 2 }\nevaluation: { heldoutPrompts: 8 }';

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hone-worker-'));
  [temporal, bed] = await Promise.all([startTemporalDevServer({ dataDir: path.join(tmp, 'temporal'), cliPath: testEnv('temporalCli'), uiPort: false }), createActivityTestBed('worker')]);
  connection = await Connection.connect({ address: temporal.address });
  client = new Client({ connection });
});

afterAll(async () => {
  await Promise.allSettled(workers.map((w) => w.shutdown()));
  await connection?.close();
  await bed?.close();
  await temporal?.stop();
  fs.rmSync(tmp, { recursive: true, force: true });
});

function config(): HoneConfig {
  return { dataDir: tmp, databaseUrl: bed.tdb.url, temporal: { address: temporal.address, namespace: 'default' }, artifacts: { kind: 'file', root: bed.artifactDir }, api: { host: '127.0.0.1', port: 0 } };
}

async function start(engine: ScriptedEngine): Promise<HoneWorker> {
  const w = await startHoneWorker({ config: config(), settings: SETTINGS, logger: silentLogger, createEngine: async () => engine });
  workers.push(w);
  return w;
}

async function until<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 120_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

it('a graceful shutdown during PPO keeps the finished iterations; the next worker resumes and completes the experiment', async () => {
  const first = new ScriptedEngine({ stepDelayMs: 400 });
  const w1 = await start(first);
  expect(w1.queues).toEqual(['hone-control', 'hone-train']);

  const { experimentId } = await bed.experiment(SPEC_LINES);
  const spec = specSummary(parseSpec(`name: worker\n${SPEC_LINES}`));
  const handle = await client.workflow.start<typeof experimentWorkflow>('experimentWorkflow', {
    taskQueue: CONTROL_TASK_QUEUE,
    workflowId: experimentWorkflowId(experimentId),
    args: [{ experimentId, spec, tuning: { heartbeatTimeoutMs: 5_000, retryInitialIntervalMs: 100 } }],
  });
  await until('the labeling round to open', async () => (await bed.db.round.findFirst({ where: { experimentId, status: 'open' } })) !== null);
  await bed.labelEverything(experimentId);
  await until('PPO iteration 4', async () => first.unitsStepped >= 4);

  await w1.shutdown();
  await w1.done;
  const ckpts = await bed.db.artifact.findMany({ where: { experimentId, kind: 'ppo_checkpoint' } });
  const newest = Math.max(...ckpts.map((c) => Number(((c.metadata as { summary: { iteration: number } }).summary).iteration)));
  // Nothing finished was lost: the state after the last finished iteration is stored.
  expect(newest).toBe(first.unitsStepped);
  expect(newest).toBeLessThan(8);

  const second = new ScriptedEngine();
  await start(second);
  const result = await handle.result();
  expect(result).toMatchObject({ status: 'completed', roundsCompleted: 1 });
  expect(second.openedStates[0]).toBe(newest); // resumed, not restarted
  expect(first.unitsStepped + second.unitsStepped).toBe(8);
  const resumed = await bed.db.auditEvent.findFirstOrThrow({ where: { experimentId, action: 'training.resumed' } });
  expect(resumed.data).toMatchObject({ trainer: 'ppo', fromIteration: newest });
  expect((await bed.db.experiment.findUniqueOrThrow({ where: { id: experimentId } })).status).toBe('completed');
});
