/**
 * @jest-environment ./engine/onnx/ort-test-environment.ts
 */
import { createSession, toOrt } from '../../onnx/session';
import { randomProjection, seededUniform } from '../grad-check';
import { Graph } from '../graph';
import { type GradCase, expectGradientsMatch } from '../test-util';

const targets = BigInt64Array.from([2, 0, 4, 4, 1, 3], BigInt);
const mask = Float64Array.from([1, 1, 0, 1, 0, 1]);

describe('nn op gradients match finite differences', () => {
  const cases: GradCase[] = [
    { name: 'softmax', build: (g) => randomProjection(g, g.softmax(g.param('x', [2, 3, 5]))) },
    { name: 'logSoftmax', build: (g) => randomProjection(g, g.logSoftmax(g.param('x', [2, 3, 5]))) },
    { name: 'logSoftmax with a broadcast seed (sum of it)', build: (g) => g.sum(g.logSoftmax(g.param('x', [3, 5]))) },
    {
      name: 'layerNorm (x, gain and bias)',
      build: (g) => randomProjection(g, g.layerNorm(g.param('x', [2, 3, 6]), g.param('gamma', [6]), g.param('beta', [6]))),
    },
    { name: 'gelu', build: (g) => randomProjection(g, g.gelu(g.mul(g.param('x', [3, 5]), 3))) },
    {
      name: 'gatherLogProbs',
      build: (g) => randomProjection(g, g.gatherLogProbs(g.param('logits', [2, 3, 5]), g.input('t', [2, 3], 'int64'))),
      feeds: { t: targets },
    },
    {
      name: 'masked cross-entropy',
      build: (g) => g.crossEntropy(g.param('logits', [2, 3, 5]), g.input('t', [2, 3], 'int64'), g.input('m', [2, 3])),
      feeds: { t: targets, m: mask },
    },
    { name: 'unmasked cross-entropy', build: (g) => g.crossEntropy(g.param('logits', [6, 5]), g.input('t', [6], 'int64')), feeds: { t: targets } },
    { name: 'entropy', build: (g) => randomProjection(g, g.entropy(g.mul(g.param('logits', [3, 5]), 2))) },
    {
      name: 'causal attention: softmax(q·kᵀ·s + mask)·v',
      build: (g) => {
        const [q, k, v] = ['q', 'k', 'v'].map((n) => g.param(n, [2, 2, 4, 3]));
        const att = g.softmax(g.add(g.mul(g.matmul(q, g.swapLast(k)), 1 / Math.sqrt(3)), g.causalMask(4)));
        return randomProjection(g, g.matmul(att, v));
      },
    },
    {
      name: 'DPO loss: -logσ(β·((πw−rw)−(πl−rl)))',
      build: (g) => {
        const pw = g.param('pw', [4]);
        const pl = g.param('pl', [4]);
        const rw = g.const(Float64Array.from([0.1, -0.2, 0.3, 0]));
        const rl = g.const(Float64Array.from([0, 0.2, -0.1, 0.4]));
        return g.neg(g.mean(g.logSigmoid(g.mul(g.sub(g.sub(pw, rw), g.sub(pl, rl)), 0.5))));
      },
    },
    {
      name: 'reward-model pairwise loss over all C(K,2) pairs of one prompt',
      build: (g) => {
        // rewards of K=4 completions in one batch element, ranked best first; pairs (w, l) with w ranked higher
        const r = g.param('r', [2, 4]);
        const w = g.input('w', [2, 6], 'int64');
        const l = g.input('l', [2, 6], 'int64');
        const margin = g.sub(g.gatherElements(r, w, 1), g.gatherElements(r, l, 1));
        return g.div(g.neg(g.sum(g.logSigmoid(margin))), 12);
      },
      feeds: { w: BigInt64Array.from([0, 0, 0, 1, 1, 2, 0, 0, 0, 1, 1, 2], BigInt), l: BigInt64Array.from([1, 2, 3, 2, 3, 3, 1, 2, 3, 2, 3, 3], BigInt) },
    },
  ];
  it.each(cases)('$name', async ({ build, feeds }) => {
    await expectGradientsMatch(build, { feeds });
  });
});

describe('ops whose emission depends on the opset match finite differences at opset 20', () => {
  const cases: GradCase[] = [
    { name: 'gelu (fused Gelu forward, recomputed backward)', build: (g) => randomProjection(g, g.gelu(g.mul(g.param('x', [3, 5]), 3))) },
    { name: 'layerNorm (ReduceMean with axes as input)', build: (g) => randomProjection(g, g.layerNorm(g.param('x', [2, 6]), g.param('gamma', [6]), g.param('beta', [6]))) },
    { name: 'reduceMean', build: (g) => randomProjection(g, g.reduceMean(g.param('x', [2, 3, 4]), [0, 2])) },
    { name: 'reduceMax', build: (g) => randomProjection(g, g.reduceMax(g.param('x', [2, 3, 4]), [1], true)) },
  ];
  it.each(cases)('$name', async ({ build, feeds }) => {
    await expectGradientsMatch(build, { feeds, opset: 20 });
  });
});

// float64 JavaScript references for the composite ops
const refSoftmax = (row: number[]): number[] => {
  const m = Math.max(...row);
  const e = row.map((x) => Math.exp(x - m));
  const s = e.reduce((p, q) => p + q, 0);
  return e.map((x) => x / s);
};
const refGelu = (x: number): number => 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3)));
const refLayerNorm = (row: number[], eps: number): number[] => {
  const mu = row.reduce((p, q) => p + q, 0) / row.length;
  const v = row.reduce((p, q) => p + (q - mu) ** 2, 0) / row.length;
  return row.map((x) => (x - mu) / Math.sqrt(v + eps));
};

describe('nn forward values match float64 JavaScript references', () => {
  it.each(['float32', 'float64'] as const)('in %s', async (dtype) => {
    const N = 6;
    const V = 5;
    const xs = Array.from(seededUniform(11, N * V, -3, 3));
    const g = new Graph({ dtype });
    const x = g.input('x', [N, V]);
    const t = g.input('t', [N], 'int64');
    const m = g.input('m', [N]);
    const ones = g.const(new Float64Array(V).fill(1));
    const zeros = g.const(new Float64Array(V));
    const outputs = {
      sm: g.softmax(x),
      lsm: g.logSoftmax(x),
      gelu: g.gelu(x),
      ln: g.layerNorm(x, ones, zeros, 1e-5),
      lp: g.gatherLogProbs(x, t),
      ce: g.crossEntropy(x, t, m),
      ent: g.entropy(x),
    };
    const s = await createSession(g.build({ outputs }), { threads: 1 });
    const cast = (a: number[]): Float32Array | Float64Array => (dtype === 'float32' ? Float32Array.from(a) : Float64Array.from(a));
    const r = await s.run({ x: toOrt(cast(xs), [N, V]), t: toOrt(targets, [N]), m: toOrt(cast(Array.from(mask)), [N]) });
    const digits = dtype === 'float32' ? 5 : 11;
    const get = (k: keyof typeof outputs, i: number): number => Number(r[k].data[i]);
    let ceNum = 0;
    let ceDen = 0;
    for (let n = 0; n < N; n++) {
      const row = xs.slice(n * V, (n + 1) * V);
      const p = refSoftmax(row);
      const ln = refLayerNorm(row, Math.fround(1e-5));
      const lp = p.map(Math.log);
      for (let v = 0; v < V; v++) {
        expect(get('sm', n * V + v)).toBeCloseTo(p[v], digits);
        expect(get('lsm', n * V + v)).toBeCloseTo(lp[v], digits);
        expect(get('gelu', n * V + v)).toBeCloseTo(refGelu(row[v]), digits);
        expect(get('ln', n * V + v)).toBeCloseTo(ln[v], dtype === 'float32' ? 4 : 11);
      }
      const tl = lp[Number(targets[n])];
      expect(get('lp', n)).toBeCloseTo(tl, digits);
      expect(get('ent', n)).toBeCloseTo(-p.reduce((acc, pi, i) => acc + pi * lp[i], 0), digits);
      ceNum -= mask[n] * tl;
      ceDen += mask[n];
    }
    expect(get('ce', 0)).toBeCloseTo(ceNum / ceDen, digits);
  });

  it('rejects float targets and mismatched target shapes', () => {
    const g = new Graph();
    const logits = g.input('logits', [2, 3, 5]);
    expect(() => g.gatherLogProbs(logits, g.input('t', [2, 3]))).toThrow('gatherLogProbs(logits, t): targets must be int64, got float32');
    expect(() => g.gatherLogProbs(logits, g.input('u', [3, 2], 'int64'))).toThrow('targets [3,2] must match logits [2,3,5] without its last dim');
  });
});
