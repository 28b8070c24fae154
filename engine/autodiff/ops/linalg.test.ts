/**
 * @jest-environment ./engine/onnx/ort-test-environment.ts
 */
import { randomProjection } from '../grad-check';
import { Graph } from '../graph';
import { type GradCase, expectGradientsMatch } from '../test-util';

describe('matmul and linear gradients match finite differences', () => {
  const cases: GradCase[] = [
    { name: '2-D x 2-D', build: (g) => randomProjection(g, g.matmul(g.param('a', [3, 4]), g.param('b', [4, 5]))) },
    { name: '[B,T,K] x [K,N] weight form', build: (g) => randomProjection(g, g.matmul(g.param('a', [2, 3, 4]), g.param('w', [4, 5]))) },
    { name: 'batched 4-D', build: (g) => randomProjection(g, g.matmul(g.param('a', [2, 2, 3, 4]), g.param('b', [2, 2, 4, 3]))) },
    { name: 'broadcast batch dims', build: (g) => randomProjection(g, g.matmul(g.param('a', [2, 3, 4]), g.param('b', [1, 4, 5]))) },
    { name: 'rank-2 left operand against a batch', build: (g) => randomProjection(g, g.matmul(g.param('a', [3, 4]), g.param('b', [2, 4, 5]))) },
    {
      name: 'attention scores q·kᵀ with a transposed operand',
      build: (g) => {
        const q = g.param('q', [2, 2, 3, 4]);
        const k = g.param('k', [2, 2, 3, 4]);
        return randomProjection(g, g.matmul(q, g.swapLast(k)));
      },
    },
    { name: 'same tensor on both sides (xᵀx)', build: (g) => { const x = g.param('x', [3, 4]); return randomProjection(g, g.matmul(g.swapLast(x), x)); } },
    { name: 'linear with bias, rank 3', build: (g) => randomProjection(g, g.linear(g.param('x', [2, 3, 4]), g.param('w', [4, 5]), g.param('b', [5]))) },
    { name: 'linear without bias, rank 2', build: (g) => randomProjection(g, g.linear(g.param('x', [3, 4]), g.param('w', [4, 5]))) },
    { name: 'loss summed straight off a matmul (broadcast seed gradient)', build: (g) => g.sum(g.matmul(g.param('a', [2, 3, 4]), g.param('w', [4, 2]))) },
  ];
  it.each(cases)('$name', async ({ build, feeds }) => {
    await expectGradientsMatch(build, { feeds });
  });
});

describe('matmul at build time', () => {
  it('names both tensors, the inner dims and the shapes when they do not fit', () => {
    const g = new Graph();
    const h = g.input('h_3', [2, 5, 64]);
    const w = g.param('w_q_0', [128, 64]);
    expect(() => g.matmul(h, w)).toThrow('matmul(h_3, w_q_0): inner dims 64 vs 128 ([2,5,64] x [128,64])');
    expect(() => g.linear(h, w)).toThrow('linear(h_3, w_q_0): inner dims 64 vs 128');
    expect(() => g.linear(h, g.param('w', [64, 8]), g.param('b', [4]))).toThrow('linear(h_3, w, b): bias must be [8], got [4]');
  });

  it('emits the weight gradient of a [B,T,D]x[D,N] product as one Gemm without Transpose nodes', () => {
    const g = new Graph();
    const x = g.input('x', [2, 3, 4]);
    const w = g.param('w', [4, 5]);
    const loss = g.sum(g.tanh(g.matmul(x, w)));
    const [gw] = g.grad(loss, [w]);
    const text = Buffer.from(g.build({ outputs: { gw } })).toString('latin1');
    expect(text).toContain('Gemm');
    expect(text).not.toContain('Transpose');
  });
});
