import { randomProjection, seededUniform } from '../autodiff/grad-check';
import { Graph } from '../autodiff/graph';
import { GRAD_TOL } from '../autodiff/test-util';
import { checkGradients } from '../autodiff/grad-check';
import { createSession, toOrt } from '../onnx/session';
import { type ModelConfig, trunkParamCount } from './config';
import { paramFeeds } from './feeds';
import { gptForward } from './gpt';
import { initGptWeights, rewardModelFromPolicy, valueModelFromReward } from './init';
import { paramShapes } from './param-names';

const tiny: ModelConfig = { vocabSize: 11, context: 6, width: 8, layers: 2, heads: 2 };

/** Weights large enough that every block visibly moves the loss (GPT-2's 0.02 would make most gradients tiny). */
function checkWeights(cfg: ModelConfig): Record<string, Float64Array> {
  const out: Record<string, Float64Array> = {};
  paramShapes(cfg, { valueHead: true, rewardHead: true }).forEach(({ name, shape }, i) => {
    const n = shape.reduce((a, b) => a * b, 1);
    const noise = seededUniform(100 + i, n, -0.3, 0.3);
    out[name] = /ln_\d\.weight|ln_f\.weight/.test(name) ? noise.map((v) => 1 + v) : noise;
  });
  return out;
}

describe('gptForward', () => {
  it('declares HF-GPT-2-named params with the shapes paramShapes lists', () => {
    const g = new Graph();
    const m = gptForward(g, tiny, { batch: 2, seq: 5 }, { valueHead: true, rewardHead: true });
    const want = paramShapes(tiny, { valueHead: true, rewardHead: true });
    expect(g.params.map((p) => [p.name, p.shape])).toEqual(want.map((p) => [p.name, p.shape]));
    expect(m.paramNames).toEqual(want.map((p) => p.name));
    expect(m.paramNames).toContain('transformer.h.1.attn.c_attn.weight');
    expect(m.logits.shape).toEqual([2, 5, 11]);
    expect(m.hidden.shape).toEqual([2, 5, 8]);
    expect(m.values?.shape).toEqual([2, 5]);
    expect(m.rewards?.shape).toEqual([2]);
    const trunk = paramShapes(tiny).reduce((s, p) => s + p.shape.reduce((a, b) => a * b, 1), 0);
    expect(trunkParamCount(tiny)).toBe(trunk);
  });

  it('names what is wrong with a shape or config', () => {
    expect(() => gptForward(new Graph(), tiny, { batch: 2, seq: 7 })).toThrow('seq 7 exceeds the model\'s context 6');
    expect(() => gptForward(new Graph(), { ...tiny, heads: 3 }, { batch: 1, seq: 2 })).toThrow('width 8 is not divisible by heads 3');
  });

  it('matches finite differences through LM, value and reward heads with a padding mask', async () => {
    const B = 2;
    const T = 5;
    const ids = BigInt64Array.from([0, 4, 4, 9, 2, 3, 10, 2, 0, 0], BigInt);
    const targets = BigInt64Array.from([4, 4, 9, 2, 1, 10, 2, 7, 0, 0], BigInt);
    // row 0 left-padded by one, row 1 right-padded by two
    const mask = Float64Array.from([0, 1, 1, 1, 1, 1, 1, 1, 0, 0]);
    const r = await checkGradients(
      (g) => {
        const m = gptForward(g, tiny, { batch: B, seq: T }, { valueHead: true, rewardHead: true });
        const lossMask = g.input('loss_mask', [B, T]);
        const ce = g.crossEntropy(m.logits, g.input('targets', [B, T], 'int64'), lossMask);
        return g.add(g.add(ce, randomProjection(g, g.mul(m.values!, lossMask), 3)), randomProjection(g, m.rewards!, 5));
      },
      { feeds: { ...checkWeights(tiny), input_ids: ids, targets, attention_mask: mask, loss_mask: mask }, maxCoords: 5 },
    );
    const detail = JSON.stringify(r);
    expect(r.checked).toBeGreaterThan(5 * 20);
    if (!(r.maxError < GRAD_TOL.f64)) throw new Error(`float64 gradient differs from finite differences: ${detail}`);
    if (!(r.float32 && r.float32.gradError < GRAD_TOL.f32Grad)) throw new Error(`float32 gradient differs from float64: ${detail}`);
  });

  it('gives a left-padded row the same outputs as the unpadded row, and reads the reward at its last token', async () => {
    const cfg: ModelConfig = { vocabSize: 13, context: 8, width: 16, layers: 2, heads: 4 };
    const T = 6;
    const g = new Graph();
    const m = gptForward(g, cfg, { batch: 3, seq: T }, { valueHead: true, rewardHead: true });
    const s = await createSession(g.build({ outputs: { logits: m.logits, values: m.values!, rewards: m.rewards!, tok: m.tokenRewards! } }), { threads: 1 });
    const w = initGptWeights(cfg, 3, { valueHead: true, rewardHead: true });
    for (const v of Object.values(w)) for (let i = 0; i < v.length; i++) v[i] += 0.05 * Math.sin(i); // make heads non-trivial
    const seq = [5, 1, 7, 2];
    // row 0: left-padded; row 1: right-padded; row 2: a different sequence filling the row
    const ids = BigInt64Array.from([0, 0, ...seq, ...seq, 0, 0, 3, 3, 4, 4, 5, 5], BigInt);
    const mask = Float32Array.from([0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 1, 1, 1, 1, 1, 1]);
    const out = await s.run({ ...paramFeeds(g.params, w), input_ids: toOrt(ids, [3, T]), attention_mask: toOrt(mask, [3, T]) });
    const V = cfg.vocabSize;
    const logits = out.logits.data as Float32Array;
    for (let t = 0; t < 4; t++) {
      for (let v = 0; v < V; v++) expect(logits[(0 * T + t + 2) * V + v]).toBeCloseTo(logits[(1 * T + t) * V + v], 5);
    }
    const rewards = out.rewards.data as Float32Array;
    const tok = out.tok.data as Float32Array;
    expect(rewards[0]).toBeCloseTo(rewards[1], 5);
    expect(rewards[0]).toBe(tok[0 * T + 5]);
    expect(rewards[1]).toBe(tok[1 * T + 3]);
    expect(rewards[2]).toBe(tok[2 * T + 5]);
    expect(rewards[2]).not.toBeCloseTo(rewards[1], 3);
  });

  it('a value network initialised from the reward model predicts the reward at the last token', async () => {
    const cfg: ModelConfig = { vocabSize: 13, context: 8, width: 16, layers: 1, heads: 2 };
    const policy = initGptWeights(cfg, 1, { valueHead: true });
    const rm = rewardModelFromPolicy(cfg, policy, 2);
    expect(Object.keys(rm).some((k) => k.startsWith('value_head'))).toBe(false);
    expect(rm['transformer.h.0.mlp.c_fc.weight']).toEqual(policy['transformer.h.0.mlp.c_fc.weight']);
    expect(rm['transformer.h.0.mlp.c_fc.weight']).not.toBe(policy['transformer.h.0.mlp.c_fc.weight']);
    const value = valueModelFromReward(rm, 'value.');
    // one graph: the policy trunk and a separate value trunk over the same inputs (build() keeps every input)
    const g = new Graph();
    const pol = gptForward(g, cfg, { batch: 1, seq: 4 }, { attentionMask: true });
    const val = gptForward(g, cfg, { batch: 1, seq: 4 }, { valueHead: true, prefix: 'value.', inputs: { inputIds: pol.inputIds, attentionMask: pol.attentionMask } });
    expect(val.paramNames[0]).toBe('value.transformer.wte.weight');
    const rg = new Graph();
    const rmf = gptForward(rg, cfg, { batch: 1, seq: 4 }, { rewardHead: true });
    const feeds = { input_ids: toOrt(BigInt64Array.from([3, 1, 4, 1], BigInt), [1, 4]), attention_mask: toOrt(new Float32Array(4).fill(1), [1, 4]) };
    const vs = await createSession(g.build({ outputs: { values: val.values! } }), { threads: 1 });
    const rs = await createSession(rg.build({ outputs: { rewards: rmf.rewards! } }), { threads: 1 });
    const vOut = await vs.run({ ...paramFeeds(g.params, { ...policy, ...value }), ...feeds });
    const rOut = await rs.run({ ...paramFeeds(rg.params, rm), ...feeds });
    expect((vOut.values.data as Float32Array)[3]).toBeCloseTo((rOut.rewards.data as Float32Array)[0], 6);
  });
});

describe('initGptWeights', () => {
  it('is seeded, GPT-2 scaled, and independent per tensor', () => {
    const cfg: ModelConfig = { vocabSize: 64, context: 16, width: 32, layers: 4, heads: 4 };
    const a = initGptWeights(cfg, 7);
    const b = initGptWeights(cfg, 7, { valueHead: true }, 'value.');
    const c = initGptWeights(cfg, 8);
    expect(a['transformer.h.2.attn.c_attn.weight']).toEqual(b['value.transformer.h.2.attn.c_attn.weight']);
    expect(a['transformer.h.2.attn.c_attn.weight']).not.toEqual(c['transformer.h.2.attn.c_attn.weight']);
    const std = (x: Float32Array): number => Math.sqrt(x.reduce((s, v) => s + v * v, 0) / x.length);
    expect(std(a['transformer.wte.weight'])).toBeCloseTo(0.02, 2);
    expect(std(a['transformer.h.0.mlp.c_fc.weight'])).toBeCloseTo(0.02, 2);
    expect(std(a['transformer.h.0.mlp.c_proj.weight']) / 0.02).toBeCloseTo(1 / Math.sqrt(8), 1);
    expect(std(a['transformer.wpe.weight'])).toBeCloseTo(0.01, 2);
    expect([...a['transformer.h.0.ln_1.weight']].every((v) => v === 1)).toBe(true);
    expect([...a['transformer.h.0.attn.c_attn.bias']].every((v) => v === 0)).toBe(true);
  });
});
