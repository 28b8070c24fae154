/**
 * @jest-environment ./engine/onnx/ort-test-environment.ts
 */
import { randomProjection } from '../grad-check';
import { type GradCase, expectGradientsMatch } from '../test-util';

describe('reduction gradients match finite differences', () => {
  const cases: GradCase[] = [
    { name: 'reduceSum over two axes', build: (g) => randomProjection(g, g.tanh(g.reduceSum(g.param('a', [2, 3, 4]), [0, 2]))) },
    { name: 'reduceSum keeping dims', build: (g) => randomProjection(g, g.tanh(g.reduceSum(g.param('a', [2, 3, 4]), [-1], true))) },
    { name: 'reduceMean over the last axis', build: (g) => randomProjection(g, g.tanh(g.reduceMean(g.param('a', [2, 3, 4]), [-1]))) },
    { name: 'reduceMean keeping dims', build: (g) => randomProjection(g, g.tanh(g.reduceMean(g.param('a', [2, 3, 4]), [1], true))) },
    { name: 'reduceMax over distinct values', build: (g) => randomProjection(g, g.tanh(g.reduceMax(g.param('a', [2, 3, 4]), [1]))) },
    { name: 'sum of everything', build: (g) => g.sum(g.square(g.param('a', [2, 3]))) },
    { name: 'mean of everything', build: (g) => g.mean(g.exp(g.param('a', [2, 3]))) },
  ];
  it.each(cases)('$name', async ({ build, feeds }) => {
    await expectGradientsMatch(build, { feeds });
  });
});
