import { Rng, type Seed } from '../util/rng';

/** A point estimate with a 95% interval. */
export interface Estimate {
  mean: number;
  ci95: [number, number];
  n: number;
}

/**
 * Percentile bootstrap of the mean of `xs` (Efron): `resamples` resamples with replacement, seeded; the interval is
 * the 2.5th and 97.5th percentiles of the resampled means. Used for win rates because outcomes are 1 / ½ / 0 (ties
 * count half), which a binomial (Wilson) interval does not model.
 */
export function bootstrapMean(xs: readonly number[], seed: Seed, resamples = 2000): Estimate {
  const n = xs.length;
  if (n === 0) throw new RangeError('bootstrapMean: needs at least one value');
  if (!(Number.isInteger(resamples) && resamples >= 100)) throw new RangeError(`bootstrapMean: resamples must be an integer ≥ 100, got ${resamples}`);
  const mean = xs.reduce((s, x) => s + x, 0) / n;
  const rng = Rng.fromSeed(seed).fork('bootstrap');
  const means = new Float64Array(resamples);
  for (let r = 0; r < resamples; r++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += xs[rng.int(n)];
    means[r] = s / n;
  }
  means.sort();
  return { mean, ci95: [quantileSorted(means, 0.025), quantileSorted(means, 0.975)], n };
}

/** Linear-interpolation quantile (type 7, numpy's default) of an ascending array. */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0) throw new RangeError('quantileSorted: empty');
  const h = (n - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.min(n - 1, lo + 1);
  return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
}

/** Wilson score interval (95%) of a binomial proportion: for shares such as "constraint honoured". */
export function wilsonInterval(successes: number, n: number, z = 1.959963984540054): Estimate {
  if (!(Number.isInteger(n) && n > 0)) throw new RangeError(`wilsonInterval: n must be a positive integer, got ${n}`);
  if (!(successes >= 0 && successes <= n)) throw new RangeError(`wilsonInterval: successes ${successes} not in [0, ${n}]`);
  const p = successes / n;
  const z2 = z * z;
  const denom = 1 + z2 / n;
  const centre = (p + z2 / (2 * n)) / denom;
  const half = (z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) / denom;
  return { mean: p, ci95: [Math.max(0, centre - half), Math.min(1, centre + half)], n };
}

/** Mean of a list (0 for an empty one). */
export function mean(xs: ArrayLike<number>): number {
  if (xs.length === 0) return 0;
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += xs[i];
  return s / xs.length;
}
