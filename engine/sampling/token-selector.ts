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
  }

  /**
   * Selects a token from `logits[offset … offset + V)` and sets {@link logProb}. `rng` is needed unless the rule
   * is greedy.
   */
  select(logits: Float32Array, offset: number, rule: SelectionRule, rng: Rng | undefined): number {
    const V = this.sampleable;
    let max = -Infinity;
    let arg = 0;
    for (let i = 0; i < V; i++) {
      const l = logits[offset + i];
      if (l > max) {
        max = l;
        arg = i;
      }
    }
    if (!Number.isFinite(max)) throw new Error(`TokenSelector: logits row at ${offset} has no finite maximum (${max})`);
    // ids beyond the sampleable range only enter the normaliser
    let top = max;
    for (let i = V; i < this.vocabSize; i++) top = Math.max(top, logits[offset + i]);
    const w = this.weight;
    let sum = 0;
    for (let i = 0; i < V; i++) {
      const e = Math.exp(logits[offset + i] - max);
      w[i] = e;
      sum += e;
    }
    let lse = max + Math.log(sum);
    if (V < this.vocabSize) {
      let all = 0;
      for (let i = 0; i < this.vocabSize; i++) all += Math.exp(logits[offset + i] - top);
      lse = top + Math.log(all);
    }
    let token: number;
    if (rule.greedy) {
      token = arg;
    } else {
      if (!rng) throw new Error('TokenSelector: sampling needs an rng');
      const invT = 1 / rule.temperature;
      let total = sum;
      if (invT !== 1) {
        total = 0;
        for (let i = 0; i < V; i++) {
          const e = Math.exp((logits[offset + i] - max) * invT);
          w[i] = e;
          total += e;
        }
      }
      const u = rng.uniform();
      const k = rule.topK > 0 && rule.topK < V ? rule.topK : V;
      token = k === V && rule.topP >= 1 ? this.drawAll(total, u) : this.drawNucleus(k, rule.topP, total, u);
    }
    this.logProb = logits[offset + token] - lse;
    return token;
  }

  /** Inverse-CDF draw over the whole vocabulary. */
  private drawAll(total: number, u: number): number {
    const w = this.weight;
    let r = u * total;
    let last = 0;
    for (let i = 0; i < w.length; i++) {
      if (w[i] <= 0) continue;
      last = i;
      r -= w[i];
      if (r < 0) return i;
    }
    return last; // rounding left r ≥ 0: the last token with positive weight
  }

  /** Pops the heaviest tokens until k are kept or their mass reaches topP of the top-k mass, then draws among them. */
  private drawNucleus(k: number, topP: number, total: number, u: number): number {
    const w = this.weight;
    const heap = this.heap;
    const kept = this.kept;
    const n = w.length;
    for (let i = 0; i < n; i++) heap[i] = i;
    for (let i = (n >> 1) - 1; i >= 0; i--) siftDown(heap, w, i, n);
    let size = n;
    let m = 0;
    let mass = 0;
    // top-k mass first when both are set: top-p applies to the renormalised top-k distribution
    if (k < n && topP < 1) {
      let count = 0;
      for (; count < k; count++) {
        kept[count] = heap[0];
        mass += w[heap[0]];
        heap[0] = heap[--size];
        siftDown(heap, w, 0, size);
      }
      const target = topP * mass;
      let cum = 0;
      for (m = 0; m < count; ) {
        cum += w[kept[m++]];
        if (cum >= target) break;
      }
      mass = cum;
    } else {
      const target = topP < 1 ? topP * total : Infinity;
      while (m < k && size > 0) {
        const t = heap[0];
        kept[m++] = t;
        mass += w[t];
        heap[0] = heap[--size];
        siftDown(heap, w, 0, size);
        if (mass >= target) break;
      }
    }
    let r = u * mass;
    for (let j = 0; j < m; j++) {
      r -= w[kept[j]];
      if (r < 0) return kept[j];
    }
    return kept[m - 1];
  }
}

/** Max-heap by weight; equal weights order by lower id first, so selection is deterministic. */
function siftDown(heap: Int32Array, w: Float64Array, i: number, size: number): void {
  const item = heap[i];
  const wi = w[item];
  for (;;) {
    let c = 2 * i + 1;
    if (c >= size) break;
    const r = c + 1;
    if (r < size && before(heap[r], heap[c], w)) c = r;
    const child = heap[c];
    if (!(w[child] > wi || (w[child] === wi && child < item))) break;
    heap[i] = child;
    i = c;
  }
  heap[i] = item;
}

function before(a: number, b: number, w: Float64Array): boolean {
  return w[a] > w[b] || (w[a] === w[b] && a < b);
}
