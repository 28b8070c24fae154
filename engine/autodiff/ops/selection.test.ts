/**
 * @jest-environment ./engine/onnx/ort-test-environment.ts
 */
import { createSession, toOrt } from '../../onnx/session';
import { randomProjection } from '../grad-check';
import { Graph } from '../graph';
import { type GradCase, expectGradientsMatch } from '../test-util';

// values well apart, so that no finite-difference step crosses a kink
const A = Float64Array.from([0.9, -0.4, 1.7, -1.2, 0.3, 2.2]);
const B = Float64Array.from([0.1, 0.6, -0.8, -0.2, 1.4, 1.1]);

describe('selection op gradients match finite differences', () => {
  const cases: GradCase[] = [
    { name: 'min of two tensors', build: (g) => randomProjection(g, g.min(g.param('a', [2, 3]), g.param('b', [2, 3]))), feeds: { a: A, b: B } },
    { name: 'max with broadcast', build: (g) => randomProjection(g, g.max(g.param('a', [2, 3]), g.param('b', [3]))), feeds: { a: A, b: B.slice(0, 3) } },
    { name: 'min against a number', build: (g) => randomProjection(g, g.min(g.param('a', [6]), 0.5)), feeds: { a: A } },
    { name: 'clip both sides', build: (g) => randomProjection(g, g.clip(g.param('a', [6]), -0.5, 1.5)), feeds: { a: A } },
    { name: 'clip below only', build: (g) => randomProjection(g, g.clip(g.param('a', [6]), 0)), feeds: { a: A } },
    {
      name: 'where with a computed mask and broadcast branches',
      build: (g) => {
        const a = g.param('a', [2, 3]);
        const b = g.param('b', [3]);
        return randomProjection(g, g.where(g.greater(a, 0.5), g.mul(a, a), b));
      },
      feeds: { a: A, b: B.slice(0, 3) },
    },
    {
      name: 'ppo clipped surrogate (exp ratio, clip, min)',
      build: (g) => {
        const logp = g.param('logp', [6]);
        const old = g.const(Float64Array.from([0.1, -0.3, 0.2, 0.5, -0.1, 0]));
        const adv = g.const(Float64Array.from([1, -1, 0.5, -2, 1.5, 0.7]));
        const ratio = g.exp(g.sub(logp, old));
        return g.neg(g.mean(g.min(g.mul(ratio, adv), g.mul(g.clip(ratio, 0.8, 1.2), adv))));
      },
      feeds: { logp: Float64Array.from([0.05, 0.1, 0.6, 0.45, -0.5, 0.02]) },
    },
    {
      name: 'clipped value loss (max of two squared errors)',
      build: (g) => {
        const v = g.param('v', [6]);
        const old = g.const(Float64Array.from([0.2, 0.1, -0.5, 1, 0, 0.3]));
        const ret = g.const(Float64Array.from([1, -0.5, 0.5, 0.2, 0.9, -1]));
        const vClip = g.add(old, g.clip(g.sub(v, old), -0.2, 0.2));
        return g.mul(g.mean(g.max(g.square(g.sub(v, ret)), g.square(g.sub(vClip, ret)))), 0.5);
      },
      feeds: { v: Float64Array.from([0.25, 0.6, -0.2, 0.5, 0.05, 0.33]) },
    },
  ];
  it.each(cases)('$name', async ({ build, feeds }) => {
    await expectGradientsMatch(build, { feeds });
  });
});

describe('selection forward values', () => {
  it('comparisons, and/not, where and cast behave like their definitions', async () => {
    const g = new Graph({ dtype: 'float64' });
    const a = g.input('a', [6]);
    const b = g.input('b', [6]);
    const gt = g.greater(a, b);
    const both = g.and(gt, g.not(g.lessOrEqual(a, 0)));
    const s = await createSession(
      g.build({ outputs: { sel: g.where(both, a, b), eq: g.equal(a, a), f32: g.cast(a, 'float32'), i: g.cast(g.mul(a, 10), 'int64') } }),
      { threads: 1 },
    );
    const r = await s.run({ a: toOrt(A, [6]), b: toOrt(B, [6]) });
    const expected = Array.from(A, (x, i) => (x > B[i] && x > 0 ? x : B[i]));
    expect(Array.from(r.sel.data as Float64Array)).toEqual(expected);
    expect(Array.from(r.eq.data as Uint8Array).every(Boolean)).toBe(true);
    expect(r.f32.type).toBe('float32');
    expect(Array.from(r.i.data as BigInt64Array, Number)).toEqual(Array.from(A, (x) => Math.trunc(x * 10)));
  });

  it('where needs a bool condition', () => {
    const g = new Graph();
    const a = g.param('a', [2]);
    expect(() => g.where(a, a, 0)).toThrow('where(a, …): condition must be bool, got float32');
  });
});
