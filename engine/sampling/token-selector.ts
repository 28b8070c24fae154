import type { Rng } from '../util/rng';

/** How the next token is chosen from a row of logits. */
export interface SelectionRule {
  /** Pick the most likely token (ties → lowest id); no randomness. */
  greedy: boolean;
  /** Softmax temperature (> 0) when not greedy. */
  temperature: number;
  /** Keep only the k most likely tokens (0 = off). Applied before topP, as in Hugging Face. */
  topK: number;
  /** Keep the smallest most-likely set whose probability reaches topP (1 = off), after topK. */
  topP: number;
}

/**
 * Chooses tokens from logits rows without allocating: work arrays are sized once for the vocabulary. Top-k/top-p
 * never sort the vocabulary: a binary max-heap is built in O(V) and only the kept tokens are popped
 * (O(V + m log V) for m kept tokens). One uniform draw per sampled token, so a sequence's stream advances by the
 * same amount whatever the settings.
 */
export class TokenSelector {
  /** log-softmax at temperature 1 of the last selected token (what PPO needs as the behaviour log-prob). */
  logProb = 0;
  private readonly weight: Float64Array;
  private readonly heap: Int32Array;
  private readonly kept: Int32Array;
  private readonly cdf: Float64Array;

  /**
   * `vocabSize` = logits per row. Only ids below `sampleable` (default all) are ever chosen: a model whose vocabulary
   * is padded beyond its tokenizer's never emits an id the tokenizer cannot decode. Log-probs still normalise over
   * the whole row (the policy's own distribution).
   */
  constructor(
    readonly vocabSize: number,
    readonly sampleable = vocabSize,
  ) {
    if (!(Number.isInteger(sampleable) && sampleable >= 1 && sampleable <= vocabSize)) throw new Error(`TokenSelector: sampleable ${sampleable} must be in [1, ${vocabSize}]`);
    this.weight = new Float64Array(sampleable);
    this.heap = new Int32Array(sampleable);
    this.kept = new Int32Array(sampleable);
    this.cdf = new Float64Array(sampleable);
  }

  /**
   * Selects a token from `logits[offset … offset + V)` and sets {@link logProb}, computing the softmax in
   * JavaScript. `rng` is needed unless the rule is greedy.
   */
  select(logits: Float32Array, offset: number, rule: SelectionRule, rng: Rng | undefined): number {
    const V = this.sampleable;
    let max = -Infinity;
    for (let i = 0; i < V; i++) if (logits[offset + i] > max) max = logits[offset + i];
    if (!Number.isFinite(max)) throw new Error(`TokenSelector: logits row at ${offset} has no finite maximum (${max})`);
    // log Σ exp over the whole row (ids beyond the sampleable range only enter the normaliser)
    let top = max;
    for (let i = V; i < this.vocabSize; i++) top = Math.max(top, logits[offset + i]);
    let all = 0;
    for (let i = 0; i < this.vocabSize; i++) all += Math.exp(logits[offset + i] - top);
    const lse = top + Math.log(all);
    if (rule.greedy) return this.finish(logits, offset, this.argmax(logits, offset), lse);
    const w = this.weight;
    const invT = 1 / rule.temperature;
    for (let i = 0; i < V; i++) w[i] = Math.exp((logits[offset + i] - max) * invT);
    if (!rng) throw new Error('TokenSelector: sampling needs an rng');
    return this.finish(logits, offset, this.choose(w, 0, rule, rng.uniform()), lse);
  }

  /**
   * Selects a token when the model already computed `logprobs` = log-softmax(logits) and `probs` =
   * softmax(logits / temperature) (same row layout; the sampler's graphs do): no exp in JavaScript.
   */
  selectPrepared(logprobs: Float32Array, probs: Float32Array, offset: number, rule: SelectionRule, rng: Rng | undefined): number {
    if (rule.greedy) return this.finish(logprobs, offset, this.argmax(logprobs, offset), 0);
    if (!rng) throw new Error('TokenSelector: sampling needs an rng');
    return this.finish(logprobs, offset, this.choose(probs, offset, rule, rng.uniform()), 0);
  }

  /** Sets logProb = scores[token] − lse (scores are logits with their lse, or log-probs with 0). */
  private finish(scores: Float32Array, offset: number, token: number, lse: number): number {
    this.logProb = scores[offset + token] - lse;
    return token;
  }

  /** Most likely sampleable token (ties → lowest id). */
  private argmax(logits: Float32Array, offset: number): number {
    let max = -Infinity;
    let arg = 0;
    for (let i = 0; i < this.sampleable; i++) {
      if (logits[offset + i] > max) {
        max = logits[offset + i];
        arg = i;
      }
    }
    if (!Number.isFinite(max)) throw new Error(`TokenSelector: logits row at ${offset} has no finite maximum (${max})`);
    return arg;
  }

  /**
   * A token by the rule from non-negative weights w[off … off + sampleable) and one uniform draw u — the same
   * arithmetic as the decode loop's in-graph selection (./decode-loop-graph), so both pick the same token from the
   * same weights: candidates in id order (or, with top-k/top-p, sorted by weight descending, ties to the lower id),
   * cumulative sums c_j in float64, and the first j with c_j > u · c_last (clamped to the last candidate).
   */
  private choose(w: Float32Array | Float64Array, off: number, rule: SelectionRule, u: number): number {
    const n = this.sampleable;
    const k = rule.topK > 0 && rule.topK < n ? rule.topK : n;
    if (k === n && rule.topP >= 1) {
      const cdf = this.cdf;
      let c = 0;
      for (let i = 0; i < n; i++) cdf[i] = c += w[off + i];
      if (!(c > 0)) throw new Error('TokenSelector: the sampling weights sum to zero');
      return Math.min(countAtMost(cdf, n, u * c), n - 1);
    }
    return this.drawNucleus(w, off, k, rule.topP, u);
  }

  /**
   * Sorts the k heaviest tokens (heap pops), keeps the shortest prefix whose mass reaches topP of their mass, and
   * draws among the kept ones by the inverse CDF.
   */
  private drawNucleus(w: Float32Array | Float64Array, off: number, k: number, topP: number, u: number): number {
    const heap = this.heap;
    const kept = this.kept;
    const cdf = this.cdf;
    const n = this.sampleable;
    for (let i = 0; i < n; i++) heap[i] = i;
    for (let i = (n >> 1) - 1; i >= 0; i--) siftDown(heap, w, off, i, n);
    let size = n;
    let c = 0;
    for (let m = 0; m < k; m++) {
      kept[m] = heap[0];
      cdf[m] = c += w[off + heap[0]];
      heap[0] = heap[--size];
      siftDown(heap, w, off, 0, size);
    }
    if (!(c > 0)) throw new Error('TokenSelector: the sampling weights sum to zero');
    // last kept = the first index whose cumulative mass reaches topP · (top-k mass), at most k − 1
    const last = Math.min(countBelow(cdf, k, topP * c), k - 1);
    return kept[Math.min(countAtMost(cdf, k, u * cdf[last]), last)];
  }
}

/** Number of leading entries of a non-decreasing cdf[0 … n) that are ≤ r. */
function countAtMost(cdf: Float64Array, n: number, r: number): number {
  let i = 0;
  while (i < n && cdf[i] <= r) i++;
  return i;
}

/** Number of leading entries of a non-decreasing cdf[0 … n) that are < r. */
function countBelow(cdf: Float64Array, n: number, r: number): number {
  let i = 0;
  while (i < n && cdf[i] < r) i++;
  return i;
}

/** Max-heap by weight; equal weights order by lower id first, so selection is deterministic. */
function siftDown(heap: Int32Array, w: Float32Array | Float64Array, off: number, i: number, size: number): void {
  const item = heap[i];
  const wi = w[off + item];
  for (;;) {
    let c = 2 * i + 1;
    if (c >= size) break;
    const r = c + 1;
    if (r < size && before(heap[r], heap[c], w, off)) c = r;
    const child = heap[c];
    const wc = w[off + child];
    if (!(wc > wi || (wc === wi && child < item))) break;
    heap[i] = child;
    i = c;
  }
  heap[i] = item;
}

function before(a: number, b: number, w: Float32Array | Float64Array, off: number): boolean {
  const wa = w[off + a];
  const wb = w[off + b];
  return wa > wb || (wa === wb && a < b);
}
