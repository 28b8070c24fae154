import { krippendorffAlpha, midRanks, pairwiseAgreement, rankUnits, taskPairCounts } from './agreement-stats';
import { agreementOf } from './labeling-agreement';

const _ = null;

describe("Krippendorff's alpha", () => {
  // Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", section C: 4 observers, 12 units, missing
  // values. Published results: nominal 0.743, ordinal 0.815, interval 0.849, ratio 0.797.
  const A = [1, 2, 3, 3, 2, 1, 4, 1, 2, _, _, _];
  const B = [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, _, 3];
  const C = [_, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, _];
  const D = [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, _];
  const units = A.map((_v, i) => [A[i], B[i], C[i], D[i]]);

  it.each([
    ['nominal', 0.743],
    ['ordinal', 0.815],
    ['interval', 0.849],
    ['ratio', 0.797],
  ] as const)('matches the published %s value on Krippendorff’s example', (metric, expected) => {
    expect(krippendorffAlpha(units, metric)).toBeCloseTo(expected, 3);
  });

  it('is 1 for perfect agreement and undefined when every value is the same', () => {
    expect(krippendorffAlpha([[1, 1], [2, 2], [3, 3]], 'interval')).toBe(1);
    expect(krippendorffAlpha([[2, 2], [2, 2]], 'interval')).toBeNull();
    expect(krippendorffAlpha([[1, null], [null, 2]], 'interval')).toBeNull();
  });

  it('matches a hand computation on two rankings of two tasks (interval on ranks)', () => {
    // Task 1: A x>y>z, B y>x>z.  Task 2: both p>q>r.  Units (A,B): (1,2) (2,1) (3,3) (1,1) (2,2) (3,3).
    // o12=o21=2, o11=o22=2, o33=4; n1=n2=n3=4, n=12; observed Σoδ² = 4; expected Σ n_c n_k δ² = 2(16+64+16) = 192;
    // α = 1 − 11·4/192 = 0.770833…
    const tasks = [
      { a: [['x'], ['y'], ['z']], b: [['y'], ['x'], ['z']] },
      { a: [['p'], ['q'], ['r']], b: [['p'], ['q'], ['r']] },
    ];
    expect(krippendorffAlpha(rankUnits(tasks), 'interval')).toBeCloseTo(1 - 44 / 192, 12);
  });

  it('uses mid-ranks for ties (hand computation)', () => {
    // A: x > (y = z) → ranks 1, 2.5, 2.5;  B: x > y > z → 1, 2, 3.  Units (1,1) (2.5,2) (2.5,3).
    // n_1=2, n_2=1, n_2.5=2, n_3=1, n=6; observed = 2·0.25 + 2·0.25 = 1; expected = 2·(2+9+8+0.5+1+0.5) = 42;
    // α = 1 − 5·1/42.
    expect(midRanks([['x'], ['y', 'z']])).toEqual(new Map([['x', 1], ['y', 2.5], ['z', 2.5]]));
    const tasks = [{ a: [['x'], ['y', 'z']], b: [['x'], ['y'], ['z']] }];
    expect(krippendorffAlpha(rankUnits(tasks), 'interval')).toBeCloseTo(1 - 5 / 42, 12);
  });
});

describe('pairwise agreement', () => {
  it('counts pairs ordered the same way, pooled over tasks, with a cluster-robust CI (hand computation)', () => {
    // Task 1 agrees on 2 of 3 pairs, task 2 on 3 of 3: p = 5/6. Residuals a_t − p·n_t = −0.5, +0.5;
    // se = sqrt(2/1 · 0.5) / 6 = 1/6; CI = p ± 1.96/6 (upper clipped to 1).
    const r = pairwiseAgreement([
      { a: [['x'], ['y'], ['z']], b: [['y'], ['x'], ['z']] },
      { a: [['p'], ['q'], ['r']], b: [['p'], ['q'], ['r']] },
    ]);
    expect(r.agreement).toBeCloseTo(5 / 6, 12);
    expect(r.pairs).toBe(6);
    expect(r.agreeingPairs).toBe(5);
    expect(r.tasks).toBe(2);
    expect(r.ci95![0]).toBeCloseTo(5 / 6 - 1.959964 / 6, 6);
    expect(r.ci95![1]).toBe(1);
  });

  it('treats ties explicitly: tie vs tie agrees, tie vs order disagrees', () => {
    expect(taskPairCounts({ a: [['x'], ['y', 'z']], b: [['x'], ['y'], ['z']] })).toEqual({ agree: 2, pairs: 3, ties: 1 });
    expect(taskPairCounts({ a: [['x'], ['y', 'z']], b: [['x'], ['z', 'y']] })).toEqual({ agree: 3, pairs: 3, ties: 1 });
    expect(taskPairCounts({ a: [['x', 'y'], ['z']], b: [['y'], ['x'], ['z']] })).toEqual({ agree: 2, pairs: 3, ties: 1 });
  });

  it('has no value or CI without enough data', () => {
    expect(pairwiseAgreement([])).toMatchObject({ agreement: null, ci95: null, pairs: 0 });
    expect(pairwiseAgreement([{ a: [['x'], ['y']], b: [['y'], ['x']] }])).toMatchObject({ agreement: 0, ci95: null, tasks: 1 });
  });

  it('refuses two rankings of different samples', () => {
    expect(() => taskPairCounts({ a: [['x'], ['y']], b: [['x'], ['z']] })).toThrow(/same samples/);
  });
});

describe('agreementOf', () => {
  it('reports α with a seeded, reproducible bootstrap CI beside InstructGPT’s 72.6 ± 1.5%', () => {
    const tasks = Array.from({ length: 20 }, (_v, i) => ({
      a: [['a'], ['b'], ['c'], ['d']],
      b: i % 3 === 0 ? [['b'], ['a'], ['c'], ['d']] : i % 5 === 0 ? [['a'], ['b'], ['d'], ['c']] : [['a'], ['b'], ['c'], ['d']],
    }));
    const r1 = agreementOf('e', 0, tasks, 11, 500);
    const r2 = agreementOf('e', 0, tasks, 11, 500);
    expect(r1).toEqual(r2);
    expect(r1.reference).toMatchObject({ agreement: 0.726, plusMinus: 0.015 });
    expect(r1.krippendorffAlpha.value).toBeGreaterThan(0.8);
    const [lo, hi] = r1.krippendorffAlpha.ci95!;
    expect(lo).toBeLessThanOrEqual(r1.krippendorffAlpha.value!);
    expect(hi).toBeGreaterThanOrEqual(r1.krippendorffAlpha.value!);
    expect(hi).toBeLessThanOrEqual(1);
    expect(agreementOf('e', 0, tasks, 12, 500).krippendorffAlpha.ci95).not.toEqual(r1.krippendorffAlpha.ci95);
    // Each task with i % 3 == 0 or i % 5 == 0 swaps one adjacent pair: exactly one of its 6 pairs disagrees.
    const disagreeing = tasks.filter((_t, i) => i % 3 === 0 || i % 5 === 0).length;
    expect(r1.pairwise.agreement).toBeCloseTo(1 - disagreeing / (6 * 20), 12);
  });
});
