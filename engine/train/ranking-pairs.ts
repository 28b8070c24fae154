/**
 * K-way rankings → comparison pairs (InstructGPT §3.5): a ranking of K completions yields every pair (w, l) where
 * w is ranked above l, C(K,2) of them when nothing is tied. Completions a labeler marked as equal (one group) give
 * no pair: a tie says nothing about which is better, and Bradley–Terry has no term for it.
 */

/** One labeler's ranking of K completions of one prompt. */
export interface RankedCompletions {
  /** The prompt text, as the task states it (the model input is rendered from it). */
  prompt: string;
  /** The K completions (plain text, as a person reads them). K = 2..9. */
  completions: string[];
  /**
   * Completion indices in groups, best group first; completions in one group are tied. Every index 0..K−1 appears
   * exactly once. A strict ranking is K singleton groups (`order.map((i) => [i])`).
   */
  ranking: number[][];
}

/** Every completion of `rankings` with its prompt, in order (e.g. the samples a reward model is normalised on). */
export function rankedSamples(rankings: readonly RankedCompletions[]): { prompt: string; completion: string }[] {
  return rankings.flatMap((r) => r.completions.map((completion) => ({ prompt: r.prompt, completion })));
}

/** A comparison: completion `winner` is preferred over completion `loser` (indices into the completions). */
export interface ComparisonPair {
  winner: number;
  loser: number;
}

export const MIN_RANKED = 2;
export const MAX_RANKED = 9;

/** Throws, naming the problem, unless `ranking` is a valid grouping of 0..k−1. */
export function validateRanking(ranking: readonly (readonly number[])[], k: number, what = 'ranking'): void {
  if (!Number.isInteger(k) || k < MIN_RANKED || k > MAX_RANKED) throw new RangeError(`${what}: K must be ${MIN_RANKED}..${MAX_RANKED}, got ${k}`);
  const seen = new Set<number>();
  for (const group of ranking) {
    if (group.length === 0) throw new Error(`${what}: empty group in ${JSON.stringify(ranking)}`);
    for (const i of group) {
      if (!Number.isInteger(i) || i < 0 || i >= k) throw new RangeError(`${what}: index ${i} is not a completion of K=${k}`);
      if (seen.has(i)) throw new Error(`${what}: completion ${i} is ranked twice in ${JSON.stringify(ranking)}`);
      seen.add(i);
    }
  }
  if (seen.size !== k) throw new Error(`${what}: ranks ${seen.size} of ${k} completions (${JSON.stringify(ranking)})`);
}

/** All ordered pairs of a ranking, better first; tied completions give none. Σ over groups i<j of |g_i|·|g_j|. */
export function pairsFromRanking(ranking: readonly (readonly number[])[], k: number): ComparisonPair[] {
  validateRanking(ranking, k);
  const pairs: ComparisonPair[] = [];
  for (let a = 0; a < ranking.length; a++) {
    for (let b = a + 1; b < ranking.length; b++) {
      for (const winner of ranking[a]) for (const loser of ranking[b]) pairs.push({ winner, loser });
    }
  }
  return pairs;
}

/** C(k, 2). */
export function choose2(k: number): number {
  return (k * (k - 1)) / 2;
}

/** A ranking given as a best-first order with groups (the simulated labeler's shape) → groups. */
export function rankingFromOrder(order: readonly number[]): number[][] {
  return order.map((i) => [i]);
}
