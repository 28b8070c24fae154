/**
 * Seeded pseudo-random numbers for everything in hone that draws at random.
 *
 * Generator: xoshiro128** 1.1 (Blackman & Vigna, public domain reference), 128 bits of state in four uint32
 * words. It is fast in JavaScript because every step is 32-bit integer arithmetic (`Math.imul`, shifts), and its
 * whole state is four numbers, so it serialises to a tiny JSON value and restores exactly (checkpoint resume must
 * continue bit-identically). Seeds are expanded with SplitMix64, as the authors recommend.
 */

const TWO_POW_32 = 4294967296;
const TWO_POW_53 = 9007199254740992;
const MASK_64 = (1n << 64n) - 1n;

/** The full state of an {@link Rng}: JSON-able, restores exactly with {@link Rng.fromState}. */
export interface RngState {
  algorithm: 'xoshiro128**';
  /** Four uint32 words; never all zero. */
  s: [number, number, number, number];
}

/** A seed: a safe integer, a bigint (taken modulo 2^64) or a string (hashed). */
export type Seed = number | bigint | string;

/** SplitMix64 step over a 64-bit bigint state; returns [next state, output]. */
function splitMix64(x: bigint): [bigint, bigint] {
  const next = (x + 0x9e3779b97f4a7c15n) & MASK_64;
  let z = next;
  z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & MASK_64;
  z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & MASK_64;
  return [next, z ^ (z >> 31n)];
}

/** FNV-1a over bytes into 64 bits: only used to turn strings into seeds, SplitMix64 does the mixing after. */
function fnv1a64(bytes: Uint8Array, start = 0xcbf29ce484222325n): bigint {
  let h = start;
  for (const b of bytes) h = ((h ^ BigInt(b)) * 0x100000001b3n) & MASK_64;
  return h;
}

const utf8 = new TextEncoder();

/** Expands a 64-bit seed into a xoshiro128** state: words = low/high halves of two SplitMix64 outputs. */
function stateFromSeed64(seed: bigint): [number, number, number, number] {
  const [x1, a] = splitMix64(seed & MASK_64);
  const [, b] = splitMix64(x1);
  const s: [number, number, number, number] = [
    Number(a & 0xffffffffn), Number(a >> 32n), Number(b & 0xffffffffn), Number(b >> 32n),
  ];
  // SplitMix64 is a bijection, so two consecutive outputs being 0 cannot happen; keep the invariant explicit anyway.
  if ((s[0] | s[1] | s[2] | s[3]) === 0) s[0] = 1;
  return s;
}

function seedTo64(seed: Seed): bigint {
  if (typeof seed === 'bigint') return seed & MASK_64;
  if (typeof seed === 'number') {
    if (!Number.isSafeInteger(seed)) throw new RangeError(`Rng seed must be a safe integer, got ${seed}`);
    return BigInt(seed) & MASK_64;
  }
  if (typeof seed === 'string') return fnv1a64(utf8.encode(seed));
  throw new TypeError(`Rng seed must be a number, bigint or string, got ${typeof seed}`);
}

/**
 * A seeded random stream. Every draw in hone takes one of these explicitly; never `Math.random`.
 *
 * Streams that must not perturb each other (the sampler, the data loader, the labeler) are derived with
 * {@link Rng.fork}, which depends only on the parent's current state and a label, and does not advance the parent.
 */
export class Rng {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  private constructor(s: readonly number[]) {
    this.s0 = s[0] >>> 0;
    this.s1 = s[1] >>> 0;
    this.s2 = s[2] >>> 0;
    this.s3 = s[3] >>> 0;
  }

  /** A stream from a seed: the same seed always gives the same stream. */
  static fromSeed(seed: Seed): Rng {
    return new Rng(stateFromSeed64(seedTo64(seed)));
  }

  /** Restores a stream from {@link Rng.state}; it continues exactly where the saved one stood. */
  static fromState(state: RngState): Rng {
    if (!state || state.algorithm !== 'xoshiro128**') {
      throw new TypeError(`Rng state: expected algorithm 'xoshiro128**', got ${JSON.stringify(state?.algorithm)}`);
    }
    const s = state.s;
    if (!Array.isArray(s) || s.length !== 4 || !s.every((w) => Number.isInteger(w) && w >= 0 && w < TWO_POW_32)) {
      throw new TypeError(`Rng state: s must be four uint32 integers, got ${JSON.stringify(s)}`);
    }
    if (s.every((w) => w === 0)) throw new RangeError('Rng state: s must not be all zero (xoshiro would emit only zeros)');
    return new Rng(s);
  }

  /** A copy of the full state (JSON-able). */
  state(): RngState {
    return { algorithm: 'xoshiro128**', s: [this.s0, this.s1, this.s2, this.s3] };
  }

  /** Same as {@link Rng.state}, so `JSON.stringify(rng)` saves it. */
  toJSON(): RngState {
    return this.state();
  }

  /** An independent copy at the same position. */
  clone(): Rng {
    return new Rng([this.s0, this.s1, this.s2, this.s3]);
  }

  /**
   * A child stream derived from this stream's current state and `label`, without advancing this stream. The same
   * parent state and label always give the same child; different labels give unrelated streams.
   */
  fork(label: string): Rng {
    const bytes = new Uint8Array(16);
    const view = new DataView(bytes.buffer);
    view.setUint32(0, this.s0, true);
    view.setUint32(4, this.s1, true);
    view.setUint32(8, this.s2, true);
    view.setUint32(12, this.s3, true);
    // Hash state and label separately, then combine through SplitMix64 so neither part can cancel the other.
    const hState = fnv1a64(bytes);
    const hLabel = fnv1a64(utf8.encode(String(label)), hState ^ 0x5bd1e9955bd1e995n);
    return new Rng(stateFromSeed64(hLabel));
  }

  /** The next raw output: a uniform uint32 in [0, 2^32). */
  nextUint32(): number {
    const s1 = this.s1;
    const result = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0;
    const t = s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    // Keep the words unsigned so state() reports uint32 values.
    this.s0 >>>= 0;
    this.s1 >>>= 0;
    this.s2 >>>= 0;
    this.s3 >>>= 0;
    return result;
  }

  /** A uniform double with 53 random bits in [low, high) (default [0, 1)). */
  uniform(low = 0, high = 1): number {
    const a = this.nextUint32() >>> 5;
    const b = this.nextUint32() >>> 6;
    const u = (a * 67108864 + b) / TWO_POW_53;
    return low === 0 && high === 1 ? u : low + (high - low) * u;
  }

  /** A uniform double in the open interval (0, 1): safe under log. */
  private open01(): number {
    const a = this.nextUint32() >>> 5;
    const b = this.nextUint32() >>> 6;
    return (a * 67108864 + b + 0.5) / TWO_POW_53;
  }

  /** A normal draw (Box–Muller; one value per two uniforms, no cached spare so the state stays four words). */
  normal(mean = 0, std = 1): number {
    const r = Math.sqrt(-2 * Math.log(this.open01()));
    return mean + std * r * Math.cos(2 * Math.PI * this.uniform());
  }

  /** A standard Gumbel draw, −log(−log U): argmax of (score + Gumbel) samples a softmax. */
  gumbel(): number {
    return -Math.log(-Math.log(this.open01()));
  }

  /** true with probability p. */
  bernoulli(p: number): boolean {
    if (!(p >= 0 && p <= 1)) throw new RangeError(`Rng.bernoulli: p must be in [0, 1], got ${p}`);
    return this.uniform() < p;
  }

  /** A uniform integer in [0, n), unbiased (rejection sampling), for 1 ≤ n ≤ 2^53. */
  int(n: number): number {
    if (!Number.isInteger(n) || n < 1 || n > TWO_POW_53) {
      throw new RangeError(`Rng.int: n must be an integer in [1, 2^53], got ${n}`);
    }
    if (n <= TWO_POW_32) {
      const limit = TWO_POW_32 - (TWO_POW_32 % n);
      for (;;) {
        const x = this.nextUint32();
        if (x < limit) return x % n;
      }
    }
    const limit = TWO_POW_53 - (TWO_POW_53 % n);
    for (;;) {
      const x = (this.nextUint32() >>> 5) * 67108864 + (this.nextUint32() >>> 6);
      if (x < limit) return x % n;
    }
  }

  /** Shuffles `items` in place (Fisher–Yates) and returns it. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const tmp = items[i];
      items[i] = items[j];
      items[j] = tmp;
    }
    return items;
  }

  /** One element of `items`, uniformly. */
  choice<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError('Rng.choice: cannot choose from an empty list');
    return items[this.int(items.length)];
  }

  /** An index drawn with probability proportional to `weights` (non-negative, not all zero). */
  weightedIndex(weights: readonly number[]): number {
    let total = 0;
    for (const w of weights) {
      if (!(w >= 0) || !Number.isFinite(w)) throw new RangeError(`Rng.weightedIndex: weights must be finite and ≥ 0, got ${w}`);
      total += w;
    }
    if (total <= 0) throw new RangeError('Rng.weightedIndex: weights must not all be zero');
    let r = this.uniform() * total;
    for (let i = 0; i < weights.length; i++) {
      r -= weights[i];
      if (r < 0) return i;
    }
    // Rounding can leave r ≥ 0 after the loop: fall back to the last index with positive weight.
    for (let i = weights.length - 1; i >= 0; i--) if (weights[i] > 0) return i;
    return weights.length - 1;
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}
