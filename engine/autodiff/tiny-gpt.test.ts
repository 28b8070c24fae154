/**
 * @jest-environment ./engine/onnx/ort-test-environment.ts
 */
import { checkGradients, seededUniform } from './grad-check';
import { Graph } from './graph';
import { GRAD_TOL } from './test-util';
import { buildTinyGpt, initTinyGpt } from './tiny-gpt';

describe('whole-model gradient of a 2-layer GPT', () => {
  it.each([17, 20])('matches finite differences for sampled coordinates of every parameter (opset %i)', async (opset) => {
    const cfg = { vocab: 11, ctx: 5, dim: 8, layers: 2, heads: 2 };
    const B = 2;
    const probe = new Graph();
    buildTinyGpt(probe, cfg, B);
    // larger-than-GPT-2 init so that every block contributes visibly to the loss
    const params = initTinyGpt(probe, 3, 0.3);
    // perturb gains and biases off their trivial values so their gradients are generic
    for (const [name, v] of Object.entries(params)) {
      if (name.endsWith('.g') || name.endsWith('.b')) {
        const noise = seededUniform(name.length * 31, v.length, -0.2, 0.2);
        for (let i = 0; i < v.length; i++) v[i] += noise[i];
      }
    }
    const ids = BigInt64Array.from([1, 4, 4, 9, 0, 3, 10, 2, 2, 7], BigInt);
    const targets = BigInt64Array.from([4, 4, 9, 0, 3, 10, 2, 2, 7, 5], BigInt);
    const mask = Float64Array.from([0, 1, 1, 1, 1, 0, 0, 1, 1, 1]);
    const r = await checkGradients((g) => buildTinyGpt(g, cfg, B).loss, {
      feeds: { ...params, ids, targets, loss_mask: mask },
      maxCoords: 6,
      opset,
    });
    const detail = JSON.stringify(r);
    expect(r.checked).toBeGreaterThan(6 * probe.params.length * 0.8);
    expect(r.loss).toBeGreaterThan(1);
    if (!(r.maxError < GRAD_TOL.f64)) throw new Error(`float64 gradient differs from finite differences: ${detail}`);
    if (!(r.float32 && r.float32.gradError < GRAD_TOL.f32Grad)) throw new Error(`float32 gradient differs from float64: ${detail}`);
  });
});
