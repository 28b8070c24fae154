import { splitByKey } from './split';
import { bootstrapMean, quantileSorted, wilsonInterval } from './stats';

describe('bootstrapMean', () => {
  it('brackets the mean, is seeded, and narrows with more data', () => {
    const xs = Array.from({ length: 100 }, (_, i) => (i % 4 === 0 ? 0 : i % 4 === 1 ? 0.5 : 1));
    const a = bootstrapMean(xs, 3);
    expect(a.mean).toBeCloseTo(0.625, 12);
    expect(a.ci95[0]).toBeLessThan(0.625);
    expect(a.ci95[1]).toBeGreaterThan(0.625);
    expect(bootstrapMean(xs, 3)).toEqual(a);
    // the standard error is ≈ 0.0375 here, so the 95% interval is ≈ ±0.074
    expect(a.ci95[1] - a.ci95[0]).toBeGreaterThan(0.1);
    expect(a.ci95[1] - a.ci95[0]).toBeLessThan(0.2);
    const big = bootstrapMean([...xs, ...xs, ...xs, ...xs], 3);
    expect(big.ci95[1] - big.ci95[0]).toBeLessThan(a.ci95[1] - a.ci95[0]);
  });

  it('gives a point interval for constant data', () => {
    expect(bootstrapMean([1, 1, 1], 1).ci95).toEqual([1, 1]);
  });
});

describe('wilsonInterval', () => {
  it('matches the closed form for 8 of 10', () => {
    // centre (0.8 + 1.92/10)/(1 + 3.84/10) etc.; reference values from the textbook formula
    const w = wilsonInterval(8, 10);
    expect(w.ci95[0]).toBeCloseTo(0.4902, 3);
    expect(w.ci95[1]).toBeCloseTo(0.9433, 3);
  });
  it('stays inside [0, 1] at the edges', () => {
    expect(wilsonInterval(0, 5).ci95[0]).toBe(0);
    expect(wilsonInterval(5, 5).ci95[1]).toBeCloseTo(1, 12);
  });
});

describe('quantileSorted', () => {
  it('interpolates like numpy', () => {
    expect(quantileSorted([1, 2, 3, 4], 0.5)).toBe(2.5);
    expect(quantileSorted([1, 2, 3, 4], 0)).toBe(1);
    expect(quantileSorted([1, 2, 3, 4], 1)).toBe(4);
  });
});

describe('splitByKey', () => {
  it('keeps every key on one side, is seeded, and honours the share', () => {
    const items = Array.from({ length: 200 }, (_, i) => ({ key: `p${i % 50}`, i }));
    const a = splitByKey(items, (x) => x.key, 0.2, 9);
    const heldKeys = new Set(a.heldout.map((x) => x.key));
    expect(heldKeys.size).toBe(10);
    expect(a.train.some((x) => heldKeys.has(x.key))).toBe(false);
    expect(a.train.length + a.heldout.length).toBe(200);
    expect(splitByKey(items, (x) => x.key, 0.2, 9)).toEqual(a);
    expect(splitByKey(items, (x) => x.key, 0.2, 10)).not.toEqual(a);
  });
  it('puts at least one key on each side', () => {
    const s = splitByKey(['a', 'b'], (x) => x, 0.01, 1);
    expect(s.train).toHaveLength(1);
    expect(s.heldout).toHaveLength(1);
  });
});
