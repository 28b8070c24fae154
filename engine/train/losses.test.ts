/**
 * @jest-environment ./engine/onnx/ort-test-environment.ts
 */
import { checkGradients } from '../autodiff/grad-check';
import { Graph } from '../autodiff/graph';
import { type GradCase, expectGradientsMatch } from '../autodiff/test-util';
import { createSession, toOrt } from '../onnx/session';
import { clippedValueLoss, dpoLoss, maskedMean, ppoPolicyLoss, rankingLoss, sequenceLogProbs } from './losses';

const f64 = (xs: number[]): Float64Array => Float64Array.from(xs);
const i64 = (xs: number[]): BigInt64Array => BigInt64Array.from(xs, BigInt);
const logSigmoid = (x: number): number => -Math.log1p(Math.exp(-x));

// Two prompts, K = 3 each, flattened: r[0..2] prompt A, r[3..5] prompt B. A is strict (3 pairs); B has 4 and 5 tied
// (2 pairs). Padded to P = 6 with a zero-weight pair.
const RM = {
  rewards: [0.3, -0.2, 0.9, 0.1, 0.5, -0.4],
  winners: [2, 2, 0, 3, 3, 0],
  losers: [0, 1, 1, 4, 5, 0],
  weights: [1 / 6, 1 / 6, 1 / 6, 1 / 4, 1 / 4, 0],
};
// Ratios exp(logp − old): tokens 1, 2 and 4 leave [0.8, 1.2]; the clipped term binds for 2 (ratio 1.49, A > 0) and 4
// (ratio 0.67, A < 0) but not for 1 (ratio 1.49, A < 0: the pessimistic unclipped term is larger). Values lie
// well away from the kinks so that finite differences never cross one.
const PPO_ACTIVE = { logp: [0.05, 0.1, 0.6, 0.45, -0.5, 0.02], old: [0.1, -0.3, 0.2, 0.5, -0.1, 0], adv: [1, -1, 0.5, -2, -1.5, 0.7], mask: [1, 1, 1, 1, 1, 0] };
const PPO_INACTIVE = { ...PPO_ACTIVE, logp: [0.12, -0.25, 0.27, 0.42, -0.05, 0.03] };

const ppoRef = (d: typeof PPO_ACTIVE, eps: number): { loss: number; clipped: number } => {
  let s = 0;
  let m = 0;
  let clipped = 0;
  d.logp.forEach((lp, i) => {
    const r = Math.exp(lp - d.old[i]);
    const a = d.adv[i];
    const u = -a * r;
    const c = -a * Math.min(Math.max(r, 1 - eps), 1 + eps);
    s += d.mask[i] * Math.max(u, c);
    m += d.mask[i];
    if (d.mask[i] && c > u) clipped++;
  });
  return { loss: s / m, clipped };
};

describe('RLHF loss gradients match finite differences', () => {
  const cases: GradCase[] = [
    {
      name: 'reward-model ranking loss (K = 3, ties skipped, padded pair)',
      build: (g) => rankingLoss(g, g.param('r', [6]), g.input('w', [6], 'int64'), g.input('l', [6], 'int64'), g.input('wt', [6])).loss,
      feeds: { r: f64(RM.rewards), w: i64(RM.winners), l: i64(RM.losers), wt: f64(RM.weights) },
    },
    {
      name: 'PPO clipped surrogate with clipping active',
      build: (g) => ppoPolicyLoss(g, g.param('logp', [6]), g.input('old', [6]), g.input('adv', [6]), g.input('mask', [6]), 0.2),
      feeds: { logp: f64(PPO_ACTIVE.logp), old: f64(PPO_ACTIVE.old), adv: f64(PPO_ACTIVE.adv), mask: f64(PPO_ACTIVE.mask) },
    },
    {
      name: 'PPO clipped surrogate with clipping inactive',
      build: (g) => ppoPolicyLoss(g, g.param('logp', [6]), g.input('old', [6]), g.input('adv', [6]), g.input('mask', [6]), 0.2),
      feeds: { logp: f64(PPO_INACTIVE.logp), old: f64(PPO_INACTIVE.old), adv: f64(PPO_INACTIVE.adv), mask: f64(PPO_INACTIVE.mask) },
    },
    {
      name: 'clipped value loss (both branches taken)',
      build: (g) => clippedValueLoss(g, g.param('v', [2, 3]), g.input('old', [2, 3]), g.input('ret', [2, 3]), g.input('mask', [2, 3]), 0.2),
      feeds: {
        v: f64([0.25, 0.6, -0.2, 0.5, 0.05, 0.33]),
        old: f64([0.2, 0.1, -0.5, 1, 0, 0.3]),
        ret: f64([1, -0.5, 0.5, 0.2, 0.9, -1]),
        mask: f64([1, 1, 1, 1, 0, 1]),
      },
    },
    {
      name: 'DPO loss (mean over pairs)',
      build: (g) => dpoLoss(g, g.param('pw', [4]), g.param('pl', [4]), g.input('rw', [4]), g.input('rl', [4]), 0.5).loss,
      feeds: { rw: f64([0.1, -0.2, 0.3, 0]), rl: f64([0, 0.2, -0.1, 0.4]) },
    },
    {
      name: 'DPO loss (weighted pairs)',
      build: (g) => dpoLoss(g, g.param('pw', [3]), g.param('pl', [3]), g.input('rw', [3]), g.input('rl', [3]), 0.1, g.input('wt', [3])).loss,
      feeds: { rw: f64([-3, -2, -4]), rl: f64([-2.5, -3, -1]), wt: f64([0.5, 0.5, 0]), pw: f64([-2.8, -2.2, -3]), pl: f64([-2.4, -3.3, -1]) },
    },
    {
      name: 'sequence log-probs of masked completion tokens',
      build: (g) => {
        const lp = sequenceLogProbs(g, g.param('logits', [2, 3, 5]), g.input('t', [2, 3], 'int64'), g.input('m', [2, 3]));
        return g.sum(g.mul(lp, g.const(f64([0.7, -1.3]))));
      },
      feeds: { t: i64([1, 4, 0, 2, 2, 3]), m: f64([0, 1, 1, 1, 1, 0]) },
    },
  ];
  it.each(cases)('$name', async ({ build, feeds }) => {
    await expectGradientsMatch(build, { feeds });
  });
});

describe('RLHF loss values match float64 JavaScript references', () => {
  const run = async (build: (g: Graph) => Record<string, import('../onnx/tensor').Tensor>, feeds: Record<string, Float64Array | BigInt64Array>) => {
    const g = new Graph({ dtype: 'float64' });
    const outputs = build(g);
    const s = await createSession(g.build({ outputs }), { threads: 1 });
    const ins = Object.fromEntries(g.inputs.map((t) => [t.name, toOrt(feeds[t.name], t.shape as number[], t.dtype)]));
    const r = await s.run(ins);
    return (k: string): number[] => Array.from(r[k].data as Float64Array);
  };

  it('ranking loss = −Σ weight·logσ(r_w − r_l)', async () => {
    const get = await run(
      (g) => rankingLoss(g, g.input('r', [6]), g.input('w', [6], 'int64'), g.input('l', [6], 'int64'), g.input('wt', [6])),
      { r: f64(RM.rewards), w: i64(RM.winners), l: i64(RM.losers), wt: f64(RM.weights) },
    );
    const expected = -RM.winners.reduce((s, w, p) => s + RM.weights[p] * logSigmoid(RM.rewards[w] - RM.rewards[RM.losers[p]]), 0);
    expect(get('loss')[0]).toBeCloseTo(expected, 12);
    expect(get('margins')[0]).toBeCloseTo(0.9 - 0.3, 12);
  });

  it.each([
    ['active', PPO_ACTIVE, 2],
    ['inactive', PPO_INACTIVE, 0],
  ] as const)('PPO surrogate with clipping %s', async (_name, d, clippedTokens) => {
    const ref = ppoRef(d, 0.2);
    expect(ref.clipped).toBe(clippedTokens);
    const get = await run(
      (g) => ({ loss: ppoPolicyLoss(g, g.input('logp', [6]), g.input('old', [6]), g.input('adv', [6]), g.input('mask', [6]), 0.2) }),
      { logp: f64(d.logp), old: f64(d.old), adv: f64(d.adv), mask: f64(d.mask) },
    );
    expect(get('loss')[0]).toBeCloseTo(ref.loss, 12);
  });

  it('clipping removes the gradient of tokens whose clipped term binds', async () => {
    const g = new Graph({ dtype: 'float64' });
    const logp = g.param('logp', [6]);
    const loss = ppoPolicyLoss(g, logp, g.input('old', [6]), g.input('adv', [6]), g.input('mask', [6]), 0.2);
    const [dl] = g.grad(loss, [logp]);
    const s = await createSession(g.build({ outputs: { dl } }), { threads: 1 });
    const d = PPO_ACTIVE;
    const r = await s.run({ logp: toOrt(f64(d.logp), [6]), old: toOrt(f64(d.old), [6]), adv: toOrt(f64(d.adv), [6]), mask: toOrt(f64(d.mask), [6]) });
    const grad = Array.from(r.dl.data as Float64Array);
    d.logp.forEach((lp, i) => {
      const ratio = Math.exp(lp - d.old[i]);
      const a = d.adv[i];
      const binds = -a * Math.min(Math.max(ratio, 0.8), 1.2) > -a * ratio;
      const expected = d.mask[i] && !binds ? (-a * ratio) / 5 : 0;
      expect(grad[i]).toBeCloseTo(expected, 12);
    });
  });

  it('masked mean ignores masked entries and survives an all-zero mask', async () => {
    const get = await run((g) => ({ m: maskedMean(g, g.input('x', [4]), g.input('mask', [4])), z: maskedMean(g, g.input('y', [4]), g.input('zero', [4])) }), {
      x: f64([1, 2, 3, 100]),
      y: f64([1, 2, 3, 100]),
      mask: f64([1, 1, 1, 0]),
      zero: f64([0, 0, 0, 0]),
    });
    expect(get('m')[0]).toBeCloseTo(2, 12);
    expect(get('z')[0]).toBe(0);
  });

  it('DPO margin is β·((πw − rw) − (πl − rl))', async () => {
    const get = await run(
      (g) => dpoLoss(g, g.input('pw', [2]), g.input('pl', [2]), g.input('rw', [2]), g.input('rl', [2]), 0.1),
      { pw: f64([-5, -3]), pl: f64([-6, -2]), rw: f64([-5.5, -3]), rl: f64([-5.5, -3]) },
    );
    const m = [0.1 * (0.5 - -0.5), 0.1 * (0 - 1)];
    expect(get('margins')[0]).toBeCloseTo(m[0], 12);
    expect(get('margins')[1]).toBeCloseTo(m[1], 12);
    expect(get('loss')[0]).toBeCloseTo(-(logSigmoid(m[0]) + logSigmoid(m[1])) / 2, 12);
  });
});

describe('loss argument checks', () => {
  it('name what is wrong', () => {
    const g = new Graph();
    const x = g.param('x', [2, 2]);
    expect(() => rankingLoss(g, x, x, x, x)).toThrow('must be 1-D');
    expect(() => ppoPolicyLoss(g, x, x, x, x, 1.5)).toThrow('clip must be in (0, 1)');
    expect(() => dpoLoss(g, x, x, x, x, 0)).toThrow('beta must be positive');
    expect(checkGradients).toBeDefined();
  });
});
