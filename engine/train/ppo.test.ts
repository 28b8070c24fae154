import { type TrainerState, serializeTrainerState } from '../checkpoint/trainer-state';
import type { ModelBundle } from '../models/bundle';
import { runPpo, type PpoIterationMetrics } from './ppo';
import { tinyRlhfModels, tinyWorld } from './rlhf-test-fixture';

const world = tinyWorld(7);
const prompts = world.task.trainPrompts.slice(0, 40).map((p) => p.text);
const base = { promptsPerIteration: 16, minibatch: 8, epochs: 2, maxNewTokens: 16, lr: 3e-3, valueLr: 3e-3, initKlCoef: 0.01, seed: 3 };
const withoutTime = (h: PpoIterationMetrics[]) => h.map(({ seconds: _s, sampleSeconds: _a, scoreSeconds: _b, updateSeconds: _c, ...rest }) => rest);
let sft: ModelBundle;
let rewardModel: ModelBundle;
beforeAll(async () => {
  ({ sft, rewardModel } = await tinyRlhfModels(world));
}, 120_000);

describe('runPpo', () => {
  it('raises the reward-model score on a tiny run and logs every metric', async () => {
    const r = await runPpo({ policy: sft, reference: sft, rewardModel, prompts }, { ...base, iterations: 12 });
    expect(r.history).toHaveLength(12);
    // rewards are in units of the reference samples' std; measured 0.7 → 1.3 over the run
    const mean = (xs: PpoIterationMetrics[]): number => xs.reduce((s, h) => s + h.meanReward, 0) / xs.length;
    expect(mean(r.history.slice(6))).toBeGreaterThan(mean(r.history.slice(0, 2)) + 0.3);
    const m = r.history[11];
    for (const k of ['meanReward', 'klPerSequence', 'klPerToken', 'klCoef', 'clipFraction', 'entropy', 'valueLoss', 'policyLoss', 'approxKl', 'responseLength', 'eosShare'] as const) {
      expect(Number.isFinite(m[k])).toBe(true);
    }
    // the policy moved away from the reference, and the first rollout was sampled from the reference itself
    expect(r.history[0].klPerSequence).toBeCloseTo(0, 4);
    expect(m.klPerSequence).toBeGreaterThan(0.1);
    expect(m.responseLength).toBeLessThanOrEqual(16);
    expect(r.iterationsDone).toBe(12);
    expect(Object.keys(r.policy.weights).some((n) => n.startsWith('value.'))).toBe(false);
  }, 120_000);

  it('continues bit-identically from a checkpoint (interrupted vs straight run)', async () => {
    const opts = { ...base, iterations: 4, ptxCoef: 0.5, ptxBatch: 4 };
    const input = { policy: sft, reference: sft, rewardModel, prompts, pretrainTexts: world.task.pretrainTexts };
    const straight = await runPpo(input, opts);
    let saved: TrainerState | undefined;
    await expect(
      runPpo(input, {
        ...opts,
        checkpointEvery: 2,
        onCheckpoint: (s) => {
          saved = s;
          throw new Error('worker killed');
        },
      }),
    ).rejects.toThrow('worker killed');
    expect(saved?.step).toBe(2);
    const resumed = await runPpo(input, { ...opts, resumeFrom: serializeTrainerState(saved as TrainerState) });
    expect(resumed.iterationsDone).toBe(4);
    for (const [name, w] of Object.entries(straight.policy.weights)) expect(Buffer.from(resumed.policy.weights[name].buffer).equals(Buffer.from(w.buffer))).toBe(true);
    for (const [name, w] of Object.entries(straight.valueWeights)) expect(Buffer.from(resumed.valueWeights[name].buffer).equals(Buffer.from(w.buffer))).toBe(true);
    expect(withoutTime(resumed.history)).toEqual(withoutTime(straight.history));
    expect(resumed.klCoef).toBe(straight.klCoef);
    expect(straight.history[3].ptxLoss).toBeGreaterThan(0);
  }, 120_000);

  it('runs in chunks with stopAfter and refuses a checkpoint with other options', async () => {
    const input = { policy: sft, reference: sft, rewardModel, prompts };
    const first = await runPpo(input, { ...base, iterations: 3, stopAfter: 1 });
    expect(first.iterationsDone).toBe(1);
    expect(first.checkpoint.step).toBe(1);
    await expect(runPpo(input, { ...base, iterations: 3, lr: 1e-3, resumeFrom: first.checkpoint })).rejects.toThrow('option lr');
    await expect(runPpo(input, { ...base, iterations: 3, ptxCoef: 1 })).rejects.toThrow('ptxCoef > 0 needs pretrainTexts');
  }, 120_000);
});
