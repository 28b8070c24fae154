/**
 * @jest-environment ./engine/onnx/ort-test-environment.ts
 */
import { createSession, toOrt } from '../../onnx/session';
import { randomProjection, seededUniform } from '../grad-check';
import { Graph } from '../graph';
import { type GradCase, expectGradientsMatch } from '../test-util';

const positive = (seed: number, n: number): Float64Array => seededUniform(seed, n, 0.5, 2);

describe('elementwise op gradients match finite differences', () => {
  const cases: GradCase[] = [
    { name: 'add with trailing-dim broadcast', build: (g) => randomProjection(g, g.add(g.param('a', [2, 3, 4]), g.param('b', [4]))) },
    { name: 'add with middle-dim broadcast', build: (g) => randomProjection(g, g.add(g.param('a', [2, 3, 4]), g.param('b', [3, 1]))) },
    { name: 'sub with two-sided broadcast', build: (g) => randomProjection(g, g.sub(g.param('a', [3, 1]), g.param('b', [1, 4]))) },
    { name: 'sub from a number', build: (g) => randomProjection(g, g.sub(1.5, g.param('a', [3, 4]))) },
    { name: 'mul with broadcast', build: (g) => randomProjection(g, g.mul(g.param('a', [2, 3, 4]), g.param('b', [2, 1, 4]))) },
    { name: 'mul of a tensor by itself', build: (g) => { const a = g.param('a', [5]); return randomProjection(g, g.mul(a, a)); } },
    { name: 'div with broadcast', build: (g) => randomProjection(g, g.div(g.param('a', [2, 3]), g.param('b', [3]))), feeds: { b: positive(3, 3) } },
    { name: 'number divided by tensor', build: (g) => randomProjection(g, g.div(2, g.param('b', [4]))), feeds: { b: positive(4, 4) } },
    { name: 'neg', build: (g) => randomProjection(g, g.neg(g.param('a', [3, 2]))) },
    { name: 'exp', build: (g) => randomProjection(g, g.exp(g.param('a', [3, 2]))) },
    { name: 'log', build: (g) => randomProjection(g, g.log(g.param('a', [3, 2]))), feeds: { a: positive(5, 6) } },
    { name: 'sqrt', build: (g) => randomProjection(g, g.sqrt(g.param('a', [3, 2]))), feeds: { a: positive(6, 6) } },
    { name: 'square', build: (g) => randomProjection(g, g.square(g.param('a', [3, 2]))) },
    { name: 'pow 3', build: (g) => randomProjection(g, g.pow(g.param('a', [3, 2]), 3)) },
    { name: 'pow 1.5', build: (g) => randomProjection(g, g.pow(g.param('a', [3, 2]), 1.5)), feeds: { a: positive(7, 6) } },
    { name: 'tanh', build: (g) => randomProjection(g, g.tanh(g.param('a', [3, 4]))) },
    { name: 'sigmoid', build: (g) => randomProjection(g, g.sigmoid(g.param('a', [3, 4]))) },
    { name: 'relu away from the kink', build: (g) => randomProjection(g, g.relu(g.param('a', [6]))), feeds: { a: Float64Array.from([-2, -0.5, 0.3, 1, 2, -1.1]) } },
    { name: 'softplus over a wide range', build: (g) => randomProjection(g, g.softplus(g.param('a', [6]))), feeds: { a: Float64Array.from([-30, -5, -0.2, 0.4, 5, 30]) } },
    { name: 'logSigmoid over a wide range', build: (g) => randomProjection(g, g.logSigmoid(g.param('a', [6]))), feeds: { a: Float64Array.from([-30, -5, -0.2, 0.4, 5, 30]) } },
  ];
  it.each(cases)('$name', async ({ build, feeds }) => {
    await expectGradientsMatch(build, { feeds });
  });
});

describe('elementwise forward values', () => {
  it('softplus and logSigmoid are stable and exact in float32 and float64', async () => {
    const xs = [-100, -20, -1, 0, 1, 20, 100];
    for (const dtype of ['float32', 'float64'] as const) {
      const g = new Graph({ dtype });
      const x = g.input('x', [xs.length]);
      const s = await createSession(g.build({ outputs: { sp: g.softplus(x), ls: g.logSigmoid(x) } }), { threads: 1 });
      const r = await s.run({ x: toOrt(dtype === 'float32' ? Float32Array.from(xs) : Float64Array.from(xs), [xs.length]) });
      xs.forEach((v, i) => {
        const sp = Math.max(v, 0) + Math.log1p(Math.exp(-Math.abs(v)));
        expect(Number(r.sp.data[i])).toBeCloseTo(sp, dtype === 'float32' ? 5 : 12);
        expect(Number(r.ls.data[i])).toBeCloseTo(-(Math.max(-v, 0) + Math.log1p(Math.exp(-Math.abs(v)))), dtype === 'float32' ? 5 : 12);
      });
    }
  });

  it('stopGradient passes values and blocks gradients', async () => {
    const g = new Graph({ dtype: 'float64' });
    const a = g.param('a', [3]);
    const loss = g.sum(g.mul(a, g.stopGradient(a)));
    const [ga] = g.grad(loss, [a]);
    const s = await createSession(g.build({ outputs: { loss, ga } }), { threads: 1 });
    const r = await s.run({ a: toOrt(Float64Array.from([1, -2, 3]), [3]) });
    expect(Array.from(r.loss.data as Float64Array)).toEqual([14]);
    expect(Array.from(r.ga.data as Float64Array)).toEqual([1, -2, 3]);
  });

  it('rejects mixed element types and non-broadcasting shapes with named tensors', () => {
    const g = new Graph();
    const a = g.param('a', [2, 3]);
    expect(() => g.add(a, g.param('b', [4]))).toThrow('add(a, b): shapes [2,3] and [4] do not broadcast (dim -1 is 3 vs 4)');
    expect(() => g.mul(a, g.input('c', [2, 3], 'int64'))).toThrow('mul(a, c): element types float32 vs int64');
  });
});
