import { AdamW } from '../optim/adamw';
import { Rng } from '../util/rng';
import { serializeSafetensors } from './safetensors';
import { type TrainerState, deserializeTrainerState, serializeTrainerState } from './trainer-state';

function state(): TrainerState {
  const params = [{ name: 'value.w', shape: [2, 3] }, { name: 'b', shape: [3] }];
  const opt = new AdamW(params, { weightDecay: 0.05 });
  const weights = { 'value.w': Float32Array.from([1, 2, 3, 4, 5, 6]), b: Float32Array.from([0.5, -0.5, 0]) };
  opt.step(weights, { 'value.w': new Float32Array(6).fill(0.1), b: Float32Array.from([1, 2, 3]) }, { lr: 0.01 });
  const rng = Rng.fromSeed('x');
  rng.uniform();
  return {
    format: 'hone.trainer.v1',
    trainer: 'ppo',
    step: 1,
    config: { vocabSize: 10, context: 4, width: 4, layers: 1, heads: 2 },
    weights,
    optimizers: { value: opt.exportState() },
    rng: { sample: rng.state() },
    data: { order: { epoch: 2, position: 7 }, note: 'x' },
    options: { lr: 0.01, nested: [1, { a: true }] },
    tensors: { 'running/mean': Float32Array.from([0.25]) },
  };
}

describe('trainer state', () => {
  it('round-trips through one safetensors file exactly', () => {
    const s = state();
    const back = deserializeTrainerState(serializeTrainerState(s));
    expect(back).toEqual(s);
    // the restored optimizer continues like the original
    const a = AdamW.fromState(s.optimizers.value);
    const b = AdamW.fromState(back.optimizers.value);
    const wa = { 'value.w': s.weights['value.w'].slice(), b: s.weights.b.slice() };
    const wb = { 'value.w': back.weights['value.w'].slice(), b: back.weights.b.slice() };
    const g = { 'value.w': new Float32Array(6).fill(-0.3), b: Float32Array.from([0.1, 0, -1]) };
    a.step(wa, g);
    b.step(wb, g);
    expect(wb).toEqual(wa);
    expect(Rng.fromState(back.rng.sample).uniform()).toBe(Rng.fromState(s.rng.sample).uniform());
  });

  it('names what is wrong', () => {
    expect(() => deserializeTrainerState(serializeSafetensors({}, { format: 'hone.model.v1' }))).toThrow('__metadata__.format is "hone.model.v1", expected hone.trainer.v1');
    const bytes = serializeTrainerState(state());
    const text = Buffer.from(bytes).toString('latin1').replace('"rng":"{', '"rng":"[');
    expect(() => deserializeTrainerState(Uint8Array.from(Buffer.from(text, 'latin1')))).toThrow('__metadata__.rng is not JSON');
    expect(() => serializeTrainerState({ ...state(), optimizers: { 'a/b': state().optimizers.value } })).toThrow("optimizer name \"a/b\" must not contain '/'");
  });
});
