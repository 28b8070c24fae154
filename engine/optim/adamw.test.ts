import { seededUniform } from '../autodiff/grad-check';
import { AdamW, type AdamWState } from './adamw';

const specs = [
  { name: 'w', shape: [2, 3] },
  { name: 'b', shape: [3] },
];

function freshParams(): Record<string, Float32Array> {
  return { w: Float32Array.from(seededUniform(1, 6)), b: Float32Array.from(seededUniform(2, 3)) };
}

function gradsAt(step: number): Record<string, Float32Array> {
  return { w: Float32Array.from(seededUniform(100 + step, 6, -2, 2)), b: Float32Array.from(seededUniform(200 + step, 3, -2, 2)) };
}

/** Float64 AdamW written from the paper's formulas, independent of the implementation under test. */
function referenceAdamW(p0: number[], grads: number[][], o: { lr: number; b1: number; b2: number; eps: number; wd: number }): number[] {
  const p = [...p0];
  const m = p.map(() => 0);
  const v = p.map(() => 0);
  grads.forEach((g, k) => {
    const t = k + 1;
    for (let i = 0; i < p.length; i++) {
      m[i] = o.b1 * m[i] + (1 - o.b1) * g[i];
      v[i] = o.b2 * v[i] + (1 - o.b2) * g[i] ** 2;
      const mHat = m[i] / (1 - o.b1 ** t);
      const vHat = v[i] / (1 - o.b2 ** t);
      p[i] = p[i] - o.lr * o.wd * p[i] - o.lr * (mHat / (Math.sqrt(vHat) + o.eps));
    }
  });
  return p;
}

describe('AdamW', () => {
  const hp = { lr: 0.01, beta1: 0.9, beta2: 0.99, eps: 1e-8, weightDecay: 0.1 };

  it('first step moves each weight by lr·sign(g) plus decoupled decay (hand computed)', () => {
    const opt = new AdamW([{ name: 'w', shape: [3] }], { ...hp, decay: () => true });
    const p = { w: Float32Array.from([0.5, -1, 2]) };
    opt.step(p, { w: Float32Array.from([0.3, -4, 0]) });
    // m̂ = g, v̂ = g², so the Adam term is lr·g/(|g|+eps); decay shrinks by (1 − lr·λ) = 0.999
    expect(p.w[0]).toBeCloseTo(0.5 * 0.999 - 0.01, 7);
    expect(p.w[1]).toBeCloseTo(-1 * 0.999 + 0.01, 7);
    expect(p.w[2]).toBeCloseTo(2 * 0.999, 7);
  });

  it('matches a float64 reference over several steps, decaying matrices but not biases', () => {
    const opt = new AdamW(specs, hp);
    expect(opt.decayed).toEqual(['w']);
    const p = freshParams();
    const start = { w: Array.from(p.w), b: Array.from(p.b) };
    const steps = 4;
    for (let s = 0; s < steps; s++) opt.step(p, gradsAt(s));
    const o = { lr: hp.lr, b1: hp.beta1, b2: hp.beta2, eps: hp.eps };
    const refW = referenceAdamW(start.w, [...Array(steps).keys()].map((s) => Array.from(gradsAt(s).w)), { ...o, wd: hp.weightDecay });
    const refB = referenceAdamW(start.b, [...Array(steps).keys()].map((s) => Array.from(gradsAt(s).b)), { ...o, wd: 0 });
    refW.forEach((x, i) => expect(p.w[i]).toBeCloseTo(x, 6));
    refB.forEach((x, i) => expect(p.b[i]).toBeCloseTo(x, 6));
    expect(opt.stepCount).toBe(steps);
  });

  it('applies gradScale as if the gradients had been scaled', () => {
    const a = new AdamW(specs, hp);
    const b = new AdamW(specs, hp);
    const pa = freshParams();
    const pb = freshParams();
    for (let s = 0; s < 3; s++) {
      const g = gradsAt(s);
      a.step(pa, g, { gradScale: 0.25 });
      b.step(pb, { w: g.w.map((x) => x * 0.25), b: g.b.map((x) => x * 0.25) });
    }
    Array.from(pa.w).forEach((x, i) => expect(x).toBeCloseTo(pb.w[i], 6));
  });

  it('resumes bit-identically from a serialised state', () => {
    const N = 12;
    const k = 5;
    const straight = new AdamW(specs, { ...hp, decay: (name) => name === 'w' });
    const ps = freshParams();
    for (let s = 0; s < N; s++) straight.step(ps, gradsAt(s), { lr: 0.01 * (1 + s / 10) });

    const first = new AdamW(specs, { ...hp, decay: (name) => name === 'w' });
    const pr = freshParams();
    for (let s = 0; s < k; s++) first.step(pr, gradsAt(s), { lr: 0.01 * (1 + s / 10) });
    // serialise as a checkpoint would: JSON for meta, raw bytes for the moments and the weights
    const state = first.exportState();
    const meta = JSON.parse(JSON.stringify(state.meta)) as AdamWState['meta'];
    const bytes = Object.fromEntries(Object.entries(state.tensors).map(([n, t]) => [n, Buffer.from(t.buffer.slice(0))]));
    const tensors = Object.fromEntries(Object.entries(bytes).map(([n, b]) => [n, new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4)]));
    const weights = { w: new Float32Array(Buffer.from(pr.w.buffer.slice(0)).buffer), b: new Float32Array(Buffer.from(pr.b.buffer.slice(0)).buffer) };
    const resumed = AdamW.fromState({ meta, tensors });
    expect(resumed.stepCount).toBe(k);
    for (let s = k; s < N; s++) resumed.step(weights, gradsAt(s), { lr: 0.01 * (1 + s / 10) });

    expect(Buffer.from(weights.w.buffer).equals(Buffer.from(ps.w.buffer))).toBe(true);
    expect(Buffer.from(weights.b.buffer).equals(Buffer.from(ps.b.buffer))).toBe(true);
    const a = resumed.exportState();
    const b = straight.exportState();
    expect(a.meta).toEqual(b.meta);
    for (const n of Object.keys(b.tensors)) expect(Buffer.from(a.tensors[n].buffer).equals(Buffer.from(b.tensors[n].buffer))).toBe(true);
  });

  it('names what is missing or malformed', () => {
    const opt = new AdamW(specs, hp);
    expect(() => opt.step(freshParams(), { w: new Float32Array(6) })).toThrow('AdamW.step: no gradient for param b');
    expect(() => opt.step(freshParams(), { w: new Float32Array(5), b: new Float32Array(3) })).toThrow('AdamW.step: w has 6 values and 5 gradients, expected 6');
    expect(opt.stepCount).toBe(0);
    expect(() => new AdamW(specs, { beta1: 1 })).toThrow('AdamW: beta1 must be in [0, 1), got 1');
    const state = opt.exportState();
    delete state.tensors['v/b'];
    expect(() => AdamW.fromState(state)).toThrow('AdamW.fromState: missing v/b');
  });
});
