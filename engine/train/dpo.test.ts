import { type TrainerState, serializeTrainerState } from '../checkpoint/trainer-state';
import type { ModelBundle } from '../models/bundle';
import { runDpo } from './dpo';
import { easyRankings, tinyWorld } from './rlhf-test-fixture';
import { trainSft } from './sft';
import { taskSftData } from './sft-task';

const world = tinyWorld(5);
const rankings = easyRankings(world, 200, 13);
let sft: ModelBundle;
beforeAll(async () => {
  const data = taskSftData(world.task, { evalCount: 10 });
  sft = (await trainSft({ config: world.config, tokenizer: world.tokenizer, examples: data.train }, { steps: 150, batchSize: 16, lr: 1e-2, seed: 1 })).bundle;
}, 120_000);

describe('runDpo', () => {
  it('learns the held-out preferences with a growing implicit reward margin', async () => {
    const r = await runDpo({ policy: sft, reference: sft, rankings }, { steps: 60, lr: 3e-3, beta: 0.5, batch: 8, seed: 2 });
    // at the start the policy is the reference: every margin is 0
    expect(r.metrics.history[0].margin).toBeCloseTo(0, 4);
    expect(r.metrics.heldoutAccuracy).toBeGreaterThan(0.7);
    expect(r.metrics.heldoutMargin).toBeGreaterThan(0.1);
    expect(r.metrics.trainMargin).toBeGreaterThan(r.metrics.history[0].margin);
    expect(r.metrics.finalLoss).toBeLessThan(Math.log(2));
  }, 120_000);

  it('resumes bit-identically', async () => {
    const opts = { steps: 6, lr: 1e-3, beta: 0.2, batch: 4, seed: 3 };
    const input = { policy: sft, reference: sft, rankings: rankings.slice(0, 40) };
    const straight = await runDpo(input, opts);
    let saved: TrainerState | undefined;
    await expect(
      runDpo(input, {
        ...opts,
        checkpointEvery: 4,
        onCheckpoint: (s) => {
          saved = s;
          throw new Error('stop');
        },
      }),
    ).rejects.toThrow('stop');
    const resumed = await runDpo(input, { ...opts, resumeFrom: serializeTrainerState(saved as TrainerState) });
    for (const [name, w] of Object.entries(straight.policy.weights)) expect(Buffer.from(resumed.policy.weights[name].buffer).equals(Buffer.from(w.buffer))).toBe(true);
    expect(resumed.metrics).toEqual(straight.metrics);
  }, 120_000);
});
