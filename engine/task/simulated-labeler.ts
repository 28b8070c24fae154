import { Rng, type Seed } from '../util/rng';
import { TIE_EPSILON, type Oracle } from './oracle';
import type { TaskPrompt } from './prompts';

/** Options of {@link createSimulatedLabeler}. */
export interface SimulatedLabelerOptions {
  /**
   * Label noise: the expected share of pairs (of completions whose oracle totals differ) that the labeler puts in
   * the wrong order. 0 ≤ noise < 0.5; 0.1 means "10% label noise".
   */
  noise: number;
  seed: Seed;
  /** Report completions with identical oracle totals as ties (one group) instead of ordering them at random. */
  markTies?: boolean;
}

/** A labeler's answer for one prompt and K completions. */
export interface Ranking {
  /** Completion indices, best first (ties broken at random). */
  order: number[];
  /** The same order as groups of equal completions (singletons unless markTies). */
  groups: number[][];
  /** The oracle totals the labeler judged from (before noise). */
  scores: number[];
  /** The Gumbel scale used for this call (0 without noise). */
  temperature: number;
}

/** A simulated person ranking completions: the oracle plus calibrated noise. */
export interface SimulatedLabeler {
  readonly noise: number;
  /**
   * Ranks `completions` (K = 2..9) for `prompt`. With `key` (e.g. a ranking-task id) the answer depends only on
   * the seed and the key, not on call order; without it, calls draw from one sequential stream.
   */
  rank(prompt: TaskPrompt | string, completions: readonly string[], key?: string): Ranking;
}

export const MIN_K = 2;
export const MAX_K = 9;

/**
 * A labeler that scores each completion with the oracle and ranks by score + temperature × Gumbel noise
 * (a Plackett–Luce / Bradley–Terry random-utility model: a pair with score gap Δ is flipped with probability
 * 1 / (1 + e^{Δ/temperature})). The temperature is set per call so that the expected share of flipped pairs among
 * pairs with different scores equals `noise` exactly; close pairs flip more often than distant ones, as with people.
 */
export function createSimulatedLabeler(oracle: Oracle, options: SimulatedLabelerOptions): SimulatedLabeler {
  const { noise } = options;
  if (!(noise >= 0 && noise < 0.5)) throw new RangeError(`simulated labeler: noise must be in [0, 0.5), got ${noise}`);
  const root = Rng.fromSeed(options.seed);
  const sequential = root.fork('sequential');
  const markTies = options.markTies ?? false;

  return {
    noise,
    rank(prompt, completions, key) {
      const k = completions.length;
      if (!Number.isInteger(k) || k < MIN_K || k > MAX_K) {
        throw new RangeError(`simulated labeler: needs ${MIN_K}..${MAX_K} completions, got ${k}`);
      }
      const rng = key === undefined ? sequential : root.fork(`key:${key}`);
      const p = oracle.prompt(prompt);
      const scores = completions.map((c) => oracle.score(p, c).total);

      // Units ranked: single completions, or groups of equal-score completions when ties are marked.
      const units: number[][] = [];
      for (let i = 0; i < k; i++) {
        const same = markTies ? units.find((u) => Math.abs(scores[u[0]] - scores[i]) <= TIE_EPSILON) : undefined;
        if (same) same.push(i);
        else units.push([i]);
      }
      // Item pairs with different scores, as (gap, weight) between units.
      const gaps: { gap: number; weight: number }[] = [];
      for (let a = 0; a < units.length; a++) {
        for (let b = a + 1; b < units.length; b++) {
          const gap = Math.abs(scores[units[a][0]] - scores[units[b][0]]);
          if (gap > TIE_EPSILON) gaps.push({ gap, weight: units[a].length * units[b].length });
        }
      }
      const temperature = noise > 0 && gaps.length > 0 ? solveTemperature(gaps, noise) : 0;
      const utility = units.map((u) => scores[u[0]] + (temperature > 0 ? temperature * rng.gumbel() : 0));
      // Equal utilities (no noise, equal scores) are ordered by a fresh random key so ties do not favour index order.
      const tieBreak = units.map(() => rng.uniform());
      const unitOrder = units.map((_, i) => i).sort((a, b) => utility[b] - utility[a] || tieBreak[b] - tieBreak[a]);
      const groups = unitOrder.map((u) => [...units[u]]);
      return { order: groups.flat(), groups, scores, temperature };
    },
  };
}

/** Logistic flip probability of a pair with score gap `gap` at `temperature`. */
export function flipProbability(gap: number, temperature: number): number {
  return 1 / (1 + Math.exp(gap / temperature));
}

/** The temperature at which the weighted mean flip probability over `gaps` equals `noise` (bisection in log space). */
function solveTemperature(gaps: readonly { gap: number; weight: number }[], noise: number): number {
  const totalWeight = gaps.reduce((s, g) => s + g.weight, 0);
  const meanFlip = (t: number): number => gaps.reduce((s, g) => s + g.weight * flipProbability(g.gap, t), 0) / totalWeight;
  let lo = Math.log(1e-6);
  let hi = Math.log(1e6);
  for (let i = 0; i < 80; i++) {
    const mid = (lo + hi) / 2;
    if (meanFlip(Math.exp(mid)) < noise) lo = mid;
    else hi = mid;
  }
  return Math.exp((lo + hi) / 2);
}
