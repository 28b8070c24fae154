/**
 * @jest-environment ./engine/onnx/ort-test-environment.ts
 */
import type * as ort from 'onnxruntime-node';
import { Graph } from '../autodiff/graph';
import { buildTinyGpt, initTinyGpt } from '../autodiff/tiny-gpt';
import { createSession, toOrt } from '../onnx/session';
import { AdamW } from './adamw';
import { clipScale, globalGradNorm } from './clip-grad';
import { warmupCosine } from './schedule';

const cfg = { vocab: 13, ctx: 8, dim: 16, layers: 1, heads: 2 };
const B = 4;

async function train(steps: number): Promise<{ losses: number[]; weights: Record<string, Float32Array> }> {
  const g = new Graph();
  const m = buildTinyGpt(g, cfg, B);
  const grads = g.gradients(m.loss);
  const outputs = { loss: m.loss, ...Object.fromEntries(Object.entries(grads).map(([k, t]) => [`grad.${k}`, t])) };
  const session = await createSession(g.build({ outputs }), { threads: 2 });
  const init = initTinyGpt(g, 5, 0.1);
  const weights = Object.fromEntries(g.params.map((p) => [p.name, Float32Array.from(init[p.name])]));
  const opt = new AdamW(g.params, { weightDecay: 0.01 });
  const lr = warmupCosine({ peakLr: 3e-2, warmupSteps: 5, totalSteps: steps, minLr: 3e-3 });
  // a repeating pattern, so that the next token is predictable from the context
  const seq = BigInt64Array.from({ length: B * (cfg.ctx + 1) }, (_, i) => BigInt((i * 5) % cfg.vocab));
  const ids = new BigInt64Array(B * cfg.ctx);
  const targets = new BigInt64Array(B * cfg.ctx);
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < cfg.ctx; t++) {
      ids[b * cfg.ctx + t] = seq[b * (cfg.ctx + 1) + t];
      targets[b * cfg.ctx + t] = seq[b * (cfg.ctx + 1) + t + 1];
    }
  }
  const fixed: Record<string, ort.Tensor> = {
    ids: toOrt(ids, [B, cfg.ctx]),
    targets: toOrt(targets, [B, cfg.ctx]),
    loss_mask: toOrt(new Float32Array(B * cfg.ctx).fill(1), [B, cfg.ctx]),
  };
  const losses: number[] = [];
  for (let s = 0; s < steps; s++) {
    const feeds = { ...fixed };
    for (const p of g.params) feeds[p.name] = toOrt(weights[p.name], p.shape);
    const out = await session.run(feeds);
    losses.push(Number(out.loss.data[0]));
    const gr = Object.fromEntries(g.params.map((p) => [p.name, out[`grad.${p.name}`].data as Float32Array]));
    opt.step(weights, gr, { lr: lr(opt.stepCount + 1), gradScale: clipScale(globalGradNorm(Object.values(gr)), 1) });
  }
  return { losses, weights };
}

describe('training the reference GPT with AdamW on onnxruntime gradients', () => {
  it('drives the loss down and is bit-for-bit reproducible', async () => {
    const a = await train(40);
    expect(a.losses[0]).toBeGreaterThan(2);
    expect(a.losses[39]).toBeLessThan(a.losses[0] * 0.25);
    const b = await train(40);
    expect(b.losses).toEqual(a.losses);
    for (const [name, w] of Object.entries(a.weights)) expect(Buffer.from(b.weights[name].buffer).equals(Buffer.from(w.buffer))).toBe(true);
  });
});
