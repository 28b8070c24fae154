import { AdamW } from '../optim/adamw';
import { type TrainerCheckpoint, checkResumable, deserializeTrainerCheckpoint, fingerprintOf, serializeTrainerCheckpoint } from './trainer-checkpoint';

describe('trainer checkpoints', () => {
  it('round-trip weights, optimizer moments and JSON state exactly', () => {
    const opt = new AdamW([{ name: 'a', shape: [2, 2] }]);
    const w = { a: Float32Array.from([1, 2, 3, 4]) };
    opt.step(w, { a: Float32Array.from([0.1, -0.2, 0.3, 0.4]) });
    const ckpt: TrainerCheckpoint<{ note: string }> = {
      format: 'hone.trainer-checkpoint.v1',
      trainer: 'ppo',
      step: 3,
      fingerprint: fingerprintOf({ b: 2, a: 1 }),
      weights: { policy: w, value: { 'value.x': Float32Array.from([0.5]) } },
      optimizers: { policy: opt.exportState() },
      state: { note: 'hi' },
    };
    const back = deserializeTrainerCheckpoint<{ note: string }>(serializeTrainerCheckpoint(ckpt));
    expect(back.step).toBe(3);
    expect(back.state).toEqual({ note: 'hi' });
    expect(Array.from(back.weights.policy.a)).toEqual([1, 2, 3, 4].map((x, i) => w.a[i]));
    expect(Array.from(back.weights.value['value.x'])).toEqual([0.5]);
    const restored = AdamW.fromState(back.optimizers.policy);
    const w2 = { a: w.a.slice() };
    opt.step(w, { a: Float32Array.from([1, 1, 1, 1]) });
    restored.step(w2, { a: Float32Array.from([1, 1, 1, 1]) });
    expect(Array.from(w2.a)).toEqual(Array.from(w.a));
    expect(() => checkResumable(back, 'dpo', back.fingerprint)).toThrow('a ppo checkpoint cannot resume dpo');
    expect(() => checkResumable(back, 'ppo', fingerprintOf({ a: 1, b: 3 }))).toThrow('other options');
    expect(() => checkResumable(back, 'ppo', fingerprintOf({ a: 1, b: 2 }))).not.toThrow();
  });
});
