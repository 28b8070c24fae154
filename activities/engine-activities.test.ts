/**
 * The activities on the real engine (engine/ through engine-adapter.ts) with a tiny model: one round from SFT to
 * evaluation, a PPO step that dies and resumes bit-identically, and cancellation of a running trainer.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CancelledFailure } from '@temporalio/activity';
import { deserializeModel, deserializeTrainerState, exportHfFolder } from '../engine';
import { parseSpec } from '../lib/spec';
import { createActivityTestBed, type ActivityTestBed } from './activity-test-support';
import { createEngineAdapter } from './engine-adapter';
import type { ExperimentActivities, PpoHeartbeat } from './experiment-activity-types';
import type { ExperimentEngine } from './experiment-engine';

jest.setTimeout(300_000);

const TINY = [
  'seed: 3',
  'model: { sft: { steps: 30, batch: 8, warmupSteps: 3, architecture: { context: 48, width: 32, layers: 1, heads: 2 } } }',
  'task: { corpusSize: 400 }',
  'rounds: { count: 1, promptsPerRound: 6, completionsPerPrompt: 3, sampling: { maxNewTokens: 12 } }',
  'labeling: { overlap: 0 }',
  'rewardModel: { steps: 10, batch: 4 }',
  'ppo: { iterations: 4, epochs: 1, promptsPerIteration: 4, minibatch: 4, checkpointEvery: 1, iterationsPerActivity: 4 }',
  'evaluation: { heldoutPrompts: 8 }',
].join('\n');

let bed: ActivityTestBed;
const engine = createEngineAdapter({ ortThreads: 1 });
beforeAll(async () => {
  bed = await createActivityTestBed('engine-activities');
});
afterAll(async () => {
  await engine.close();
  await bed.close();
});

/** The real engine, except that the PPO trainer dies once before running unit `failBeforeUnit`. */
function dyingOnce(failBeforeUnit: number): ExperimentEngine {
  let failed = false;
  return {
    ...engine,
    async openPpo(spec, args) {
      const t = await engine.openPpo(spec, args);
      return {
        get done() {
          return t.done;
        },
        step: (signal) => {
          if (!failed && t.done + 1 === failBeforeUnit) {
            failed = true;
            return Promise.reject(new Error(`worker died before PPO iteration ${failBeforeUnit} (test)`));
          }
          return t.step(signal);
        },
        saveState: () => t.saveState(),
        exportPolicy: () => t.exportPolicy(),
        close: () => t.close(),
      };
    },
  };
}

describe('activities on the real engine (tiny model)', () => {
  let acts: ExperimentActivities;
  let ids: { experimentId: string; key: (r: number | string, s: string) => string };
  let prep: Awaited<ReturnType<ExperimentActivities['preparePolicy']>>;
  let rm: Awaited<ReturnType<ExperimentActivities['fitRewardModel']>>;
  let ppoInput: Parameters<ExperimentActivities['runPpoEpochs']>[0];

  beforeAll(async () => {
    acts = bed.activities(engine);
    ids = await bed.experiment(TINY);
  });

  it('SFT, sampling, labeling and the reward model', async () => {
    const { experimentId, key } = ids;
    prep = await bed.run(acts.preparePolicy, { experimentId, idempotencyKey: key('prepare', 'prepare-policy'), seed: 11 });
    expect(prep.sft?.steps).toBe(30);
    expect(prep.sft?.finalLoss).toBeGreaterThan(0);
    const gen = await bed.run(acts.generateSamples, { experimentId, idempotencyKey: key(0, 'generate-samples'), roundIndex: 0, policyArtifactId: prep.policyArtifactId, seed: 12 });
    expect(gen).toMatchObject({ prompts: 6, completions: 18 });
    const samples = await bed.db.sample.findMany({ where: { round: { experimentId } } });
    expect(samples.every((s) => s.tokenCount > 0 && s.logprob !== null && s.logprob < 0)).toBe(true);
    await bed.run(acts.openLabelingRound, { experimentId, idempotencyKey: key(0, 'open-labeling'), roundIndex: 0, samplesArtifactId: gen.samplesArtifactId, deadlineAt: new Date(Date.now() + 3_600_000).toISOString() });
    await bed.labelEverything(experimentId);
    await bed.run(acts.closeLabelingRound, { experimentId, idempotencyKey: key(0, 'close-labeling'), roundIndex: 0, reason: 'quorum' });
    rm = await bed.run(acts.fitRewardModel, { experimentId, idempotencyKey: key(0, 'fit-reward-model'), roundIndex: 0, initFromArtifactId: prep.referenceArtifactId, seed: 13 });
    expect(rm.rankingsUsed).toBeGreaterThan(0);
    expect(rm.heldoutAccuracy).toBeGreaterThanOrEqual(0);
    expect(rm.heldoutAccuracy).toBeLessThanOrEqual(1);
    expect(await bed.db.metric.count({ where: { experimentId, round: 0, name: 'sft/loss' } })).toBe(30);
    ppoInput = { experimentId, idempotencyKey: key(0, 'ppo-0-4'), roundIndex: 0, policyArtifactId: prep.policyArtifactId, referenceArtifactId: prep.referenceArtifactId, rewardModelArtifactId: rm.rewardModelArtifactId, fromIteration: 0, toIteration: 4, iterationsTotal: 4, seed: 14 };
  });

  it('PPO that dies at iteration 3 resumes from its checkpoint and ends with the same policy as an uninterrupted run', async () => {
    const straight = await bed.run(acts.runPpoEpochs, ppoInput);
    expect(straight.iterationsDone).toBe(4);
    expect(Number.isFinite(straight.metrics.klMean)).toBe(true);

    const dying = bed.activities(dyingOnce(3));
    const input = { ...ppoInput, idempotencyKey: ids.key(0, 'ppo-0-4-again') };
    bed.heartbeats.length = 0;
    await expect(bed.run(dying.runPpoEpochs, input)).rejects.toThrow(/worker died/);
    const last = bed.heartbeats[bed.heartbeats.length - 1] as PpoHeartbeat;
    expect(last.iteration).toBe(2);
    const resumed = await bed.run(dying.runPpoEpochs, input, { attempt: 2, heartbeatDetails: last });
    expect(resumed.resumedFromIteration).toBe(2);
    const [a, b] = await Promise.all([straight.policyArtifactId, resumed.policyArtifactId].map((id) => bed.db.artifact.findUniqueOrThrow({ where: { id } })));
    expect(b.sha256).toBe(a.sha256); // bit-identical to never having stopped
    expect(resumed.metrics).toEqual(straight.metrics);
  });

  it('from the second round on, PPO runs with ppo.laterRounds’ iterations and epochs', async () => {
    const bytes = async (id: string) => bed.artifacts.get((await bed.db.artifact.findUniqueOrThrow({ where: { id } })).uri);
    const spec = parseSpec(`name: later-rounds\n${TINY}\nppo: { iterations: 4, epochs: 1, promptsPerIteration: 4, minibatch: 4, laterRounds: { iterations: 2, epochs: 3 } }`.replace(/^ppo: .*\n/m, ''));
    const args = { policy: await bytes(prep.policyArtifactId), reference: await bytes(prep.referenceArtifactId), rewardModel: await bytes(rm.rewardModelArtifactId), seed: 4 };
    const optionsOf = async (roundIndex: number) => {
      const t = await engine.openPpo(spec, { ...args, roundIndex });
      try {
        await t.step(new AbortController().signal);
        return deserializeTrainerState(await t.saveState()).options;
      } finally {
        await t.close();
      }
    };
    expect(await optionsOf(0)).toMatchObject({ iterations: 4, epochs: 1 });
    expect(await optionsOf(1)).toMatchObject({ iterations: 2, epochs: 3, promptsPerIteration: 4 });
  });

  it('evaluate: win rate against the SFT reference on held-out prompts', async () => {
    const { experimentId, key } = ids;
    const ev = await bed.run(acts.evaluate, { experimentId, idempotencyKey: key(0, 'evaluate'), roundIndex: 0, policyArtifactId: (await bed.db.artifact.findUniqueOrThrow({ where: { key: `${key(0, 'ppo-0-4')}/policy` } })).id, referenceArtifactId: prep.referenceArtifactId, rewardModelArtifactId: rm.rewardModelArtifactId, seed: 15 });
    expect(ev.heldoutPrompts).toBe(8);
    expect(ev.winRate).toBeGreaterThanOrEqual(ev.winRateCi95[0]);
    expect(ev.winRate).toBeLessThanOrEqual(ev.winRateCi95[1]);
    expect(Number.isFinite(ev.klMean) && Number.isFinite(ev.rmScore)).toBe(true);
  });

  it('a cancelled PPO stops after the running iteration and keeps it', async () => {
    const input = { ...ppoInput, idempotencyKey: ids.key(0, 'ppo-cancelled') };
    const err = await bed
      .run(acts.runPpoEpochs, input, {}, (env) => {
        env.on('heartbeat', (d: PpoHeartbeat) => {
          if (d.iteration === 1) env.cancel();
        });
      })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CancelledFailure);
    const ckpts = await bed.db.artifact.findMany({ where: { createdByActivity: input.idempotencyKey, kind: 'ppo_checkpoint' } });
    expect(ckpts.length).toBeGreaterThanOrEqual(1);
    expect(await bed.db.artifact.count({ where: { key: `${input.idempotencyKey}/policy` } })).toBe(0);
  });

  it('imports an ONNX model folder as the policy instead of SFT; a folder that is no model fails for good', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hone-onnx-'));
    try {
      const sft = await bed.db.artifact.findUniqueOrThrow({ where: { id: prep.policyArtifactId } });
      await exportHfFolder(deserializeModel(await bed.artifacts.get(sft.uri)), path.join(dir, 'model'));
      const { experimentId, key } = await bed.experiment(`model: { onnxFolder: ${path.join(dir, 'model')} }\nrounds: { promptsPerRound: 4, completionsPerPrompt: 2 }`);
      const imported = await bed.run(acts.preparePolicy, { experimentId, idempotencyKey: key('prepare', 'prepare-policy'), seed: 1 });
      expect(imported).toMatchObject({ source: 'onnx' });
      expect(imported.referenceArtifactId).toBe(imported.policyArtifactId);
      const gen = await bed.run(acts.generateSamples, { experimentId, idempotencyKey: key(0, 'generate-samples'), roundIndex: 0, policyArtifactId: imported.policyArtifactId, seed: 2 });
      expect(gen.completions).toBe(8);

      fs.mkdirSync(path.join(dir, 'empty'));
      const bad = await bed.experiment(`model: { onnxFolder: ${path.join(dir, 'empty')} }`);
      await expect(bed.run(acts.preparePolicy, { experimentId: bad.experimentId, idempotencyKey: bad.key('prepare', 'prepare-policy'), seed: 1 })).rejects.toMatchObject({ type: 'MODEL_INVALID', nonRetryable: true });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
