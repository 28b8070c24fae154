import { computeGae, meanStd, whiten } from './gae';

const close = (actual: ArrayLike<number>, expected: number[]): void => {
  expect(actual.length).toBe(expected.length);
  expected.forEach((e, i) => expect(actual[i]).toBeCloseTo(e, 12));
};

describe('computeGae', () => {
  const rewards = [0, 0, 1];
  const values = [0.5, 0.2, 0.4];

  it('matches a hand computation with γ = 1, λ = 0.5', () => {
    // δ2 = 1 − 0.4 = 0.6; δ1 = 0.4 − 0.2 = 0.2; δ0 = 0.2 − 0.5 = −0.3
    // A2 = 0.6; A1 = 0.2 + 0.5·0.6 = 0.5; A0 = −0.3 + 0.5·0.5 = −0.05
    const r = computeGae(rewards, values, 1, 0.5);
    close(r.advantages, [-0.05, 0.5, 0.6]);
    close(r.returns, [0.45, 0.7, 1.0]);
  });

  it('gives Monte-Carlo returns with λ = 1 and γ = 1', () => {
    const r = computeGae(rewards, values, 1, 1);
    close(r.returns, [1, 1, 1]);
    close(r.advantages, [0.5, 0.8, 0.6]);
  });

  it('gives one-step TD errors with λ = 0', () => {
    const r = computeGae(rewards, values, 0.9, 0);
    close(r.advantages, [0 + 0.9 * 0.2 - 0.5, 0 + 0.9 * 0.4 - 0.2, 1 - 0.4]);
  });

  it('rejects mismatched lengths and bad coefficients', () => {
    expect(() => computeGae([1, 2], [1], 1, 0.95)).toThrow('2 rewards but 1 values');
    expect(() => computeGae([1], [1], 1.5, 0.95)).toThrow('gamma');
    expect(() => computeGae([1], [1], 1, -0.1)).toThrow('lambda');
  });
});

describe('whiten', () => {
  it('centres and scales by the population std', () => {
    const xs = Float64Array.from([1, 2, 3, 4]);
    const stats = whiten(xs);
    expect(stats.mean).toBeCloseTo(2.5, 12);
    expect(stats.std).toBeCloseTo(Math.sqrt(1.25), 12);
    const s = Math.sqrt(1.25) + 1e-8;
    close(xs, [-1.5 / s, -0.5 / s, 0.5 / s, 1.5 / s]);
    const after = meanStd(xs);
    expect(after.mean).toBeCloseTo(0, 12);
    expect(after.std).toBeCloseTo(1, 6);
  });

  it('keeps the mean when shiftMean is false', () => {
    const xs = Float64Array.from([1, 3]);
    whiten(xs, false);
    close(xs, [1 / (1 + 1e-8), 3 / (1 + 1e-8)]);
  });
});
