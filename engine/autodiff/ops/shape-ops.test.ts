/**
 * @jest-environment ./engine/onnx/ort-test-environment.ts
 */
import { randomProjection } from '../grad-check';
import { Graph } from '../graph';
import { type GradCase, expectGradientsMatch } from '../test-util';

describe('shape op gradients match finite differences', () => {
  const cases: GradCase[] = [
    { name: 'reshape with an inferred dim', build: (g) => randomProjection(g, g.tanh(g.reshape(g.param('a', [2, 3, 4]), [6, -1]))) },
    { name: 'transpose', build: (g) => randomProjection(g, g.tanh(g.transpose(g.param('a', [2, 3, 4]), [2, 0, 1]))) },
    { name: 'slice with negative bounds on two axes', build: (g) => randomProjection(g, g.tanh(g.slice(g.param('a', [4, 5]), [1, -3], [-1, 5], [0, 1]))) },
    {
      name: 'concat of three tensors, one used twice',
      build: (g) => {
        const a = g.param('a', [2, 2]);
        return randomProjection(g, g.tanh(g.concat([a, g.param('b', [2, 3]), g.exp(a)], 1)));
      },
    },
    {
      name: 'split with one piece unused',
      build: (g) => {
        const [p, , r] = g.split(g.param('a', [2, 7]), [2, 3, 2], -1);
        return randomProjection(g, g.mul(p, r));
      },
    },
    { name: 'expand', build: (g) => randomProjection(g, g.tanh(g.expand(g.param('a', [3, 1]), [2, 3, 4]))) },
    { name: 'unsqueeze then squeeze', build: (g) => randomProjection(g, g.squeeze(g.tanh(g.unsqueeze(g.param('a', [3, 4]), 1)), 1)) },
    {
      name: 'attention-style head split and merge',
      build: (g) => {
        const x = g.param('x', [2, 3, 4]);
        const heads = g.transpose(g.reshape(x, [2, 3, 2, 2]), [0, 2, 1, 3]);
        return randomProjection(g, g.reshape(g.transpose(g.tanh(heads), [0, 2, 1, 3]), [2, 3, 4]));
      },
    },
  ];
  it.each(cases)('$name', async ({ build, feeds }) => {
    await expectGradientsMatch(build, { feeds });
  });
});

describe('shape ops at build time', () => {
  it('folds a transpose of a transpose and reuses an identical transpose', () => {
    const g = new Graph();
    const x = g.param('x', [2, 3, 4]);
    const t = g.transpose(x, [0, 2, 1]);
    expect(g.transpose(t, [0, 2, 1])).toBe(x);
    expect(g.transpose(x, [0, 2, 1])).toBe(t);
    expect(g.swapLast(g.transpose(x, [1, 0, 2])).shape).toEqual([3, 4, 2]);
  });

  it('reports impossible reshapes, slices and concats with the tensor and shapes', () => {
    const g = new Graph();
    const x = g.param('x', [2, 3, 4]);
    expect(() => g.reshape(x, [5, -1])).toThrow('reshape(x): cannot reshape [2,3,4] (24 elements) to [5,-1]');
    expect(() => g.reshape(x, [-1, -1])).toThrow('more than one -1');
    expect(() => g.transpose(x, [0, 1])).toThrow('transpose(x): perm [0,1] is not a permutation of the 3 axes of [2,3,4]');
    expect(() => g.slice(x, [3], [3], [1])).toThrow('slice(x): slice [3:3] of axis 1 (size 3) is empty');
    expect(() => g.concat([x, g.param('y', [2, 5, 5])], 1)).toThrow('concat(x, y): dim 2 differs ([2,3,4], [2,5,5])');
    expect(() => g.split(x, [1, 1], 2)).toThrow('split(x): sizes [1,1] sum to 2, axis 2 of [2,3,4] is 4');
  });

  it('keeps symbolic dims through reshape, concat and slice', () => {
    const g = new Graph();
    const x = g.input('x', ['batch', 'seq', 8]);
    const flat = g.reshape(x, [-1, 8]);
    expect(flat.shape).toEqual(['batch*seq', 8]);
    expect(() => g.reshape(flat, ['batch', 'seq', 8])).toThrow('more than one dim of [batch,seq,8] must be inferred');
    expect(g.reshapeLike(flat, x).shape).toEqual(['batch', 'seq', 8]);
    const past = g.input('past', ['batch', 'past', 8]);
    expect(g.concat([past, x], 1).shape).toEqual(['batch', 'past+seq', 8]);
    expect(g.slice(x, [0], [1], [1]).shape).toEqual(['batch', 1, 8]);
  });
});
