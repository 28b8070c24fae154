import { BYTE_TO_UNICODE, preTokenize } from './byte-level';
import { END_OF_TEXT, Tokenizer } from './tokenizer';

/** Options of {@link trainBpe}. */
export interface TrainBpeOptions {
  /** Final number of ids: special tokens + 256 byte tokens + merged tokens. At least specials + 256. */
  vocabSize: number;
  /** Special tokens, given ids 0, 1, … in this order. Default ['<|endoftext|>'] (EOS and padding). */
  specialTokens?: readonly string[];
  /** Stop merging when the most frequent pair occurs fewer times than this. Default 2. */
  minFrequency?: number;
}

const utf8 = new TextEncoder();
const PAIR_SHIFT = 2097152;

/**
 * Learns a byte-level BPE tokenizer from `texts`, deterministically: the result depends only on the multiset of
 * pre-tokens, never on text order or hash order. Ids: special tokens first, then the 256 bytes in byte order, then
 * merged tokens in the order they were learned. Ties between equally frequent pairs go to the pair with the smaller
 * (left id, right id). Special-token text inside `texts` is cut out and not learned from.
 */
export function trainBpe(texts: Iterable<string>, options: TrainBpeOptions): Tokenizer {
  const specials = [...(options.specialTokens ?? [END_OF_TEXT])];
  const minFrequency = options.minFrequency ?? 2;
  const alphabet = specials.length + 256;
  if (!Number.isInteger(options.vocabSize) || options.vocabSize < alphabet) {
    throw new RangeError(`trainBpe: vocabSize must be an integer ≥ ${alphabet} (${specials.length} special + 256 bytes), got ${options.vocabSize}`);
  }
  if (options.vocabSize >= PAIR_SHIFT) throw new RangeError(`trainBpe: vocabSize must be below ${PAIR_SHIFT}`);
  if (new Set(specials).size !== specials.length || specials.some((s) => s.length === 0)) {
    throw new Error(`trainBpe: special tokens must be distinct and non-empty, got ${JSON.stringify(specials)}`);
  }

  // 1. Count pre-tokens ("words"); BPE never merges across them.
  const wordCounts = new Map<string, number>();
  for (const text of texts) {
    for (const part of splitOnSpecials(text, specials)) {
      for (const piece of preTokenize(part)) wordCounts.set(piece, (wordCounts.get(piece) ?? 0) + 1);
    }
  }

  const vocab: string[] = [...specials, ...BYTE_TO_UNICODE];
  const tokenIds = new Map<string, number>();
  BYTE_TO_UNICODE.forEach((symbol, b) => tokenIds.set(symbol, specials.length + b));
  const merges: [string, string][] = [];

  // 2. Words as id sequences, sorted so that everything downstream is independent of input order.
  const sortedWords = [...wordCounts.keys()].sort();
  const words: number[][] = [];
  const freqs: number[] = [];
  for (const w of sortedWords) {
    words.push(Array.from(utf8.encode(w), (b) => specials.length + b));
    freqs.push(wordCounts.get(w) as number);
  }

  // 3. Pair counts and, per pair, the words that contain it.
  const pairCount = new Map<number, number>();
  const pairWords = new Map<number, Set<number>>();
  const addPair = (key: number, wordIndex: number, delta: number): void => {
    pairCount.set(key, (pairCount.get(key) ?? 0) + delta);
    if (delta > 0) {
      let set = pairWords.get(key);
      if (!set) pairWords.set(key, (set = new Set()));
      set.add(wordIndex);
    }
  };
  words.forEach((ids, w) => {
    for (let i = 0; i + 1 < ids.length; i++) addPair(ids[i] * PAIR_SHIFT + ids[i + 1], w, freqs[w]);
  });
  const heap = new MaxPairHeap();
  for (const [key, count] of pairCount) heap.push(count, key);

  // 4. Merge the most frequent pair until the vocabulary is full. Heap entries go stale when counts change; a
  //    stale entry is re-pushed with the current count when it surfaces.
  while (vocab.length < options.vocabSize && heap.size > 0) {
    const [count, key] = heap.pop();
    const current = pairCount.get(key) ?? 0;
    if (current !== count) {
      if (current > 0) heap.push(current, key);
      continue;
    }
    if (count < minFrequency) break;
    const left = Math.floor(key / PAIR_SHIFT);
    const right = key - left * PAIR_SHIFT;
    const mergedText = vocab[left] + vocab[right];
    let merged = tokenIds.get(mergedText);
    if (merged === undefined) {
      merged = vocab.length;
      vocab.push(mergedText);
      tokenIds.set(mergedText, merged);
    }
    merges.push([vocab[left], vocab[right]]);

    const touched = new Set<number>();
    for (const w of [...(pairWords.get(key) ?? [])].sort((a, b) => a - b)) {
      const ids = words[w];
      const f = freqs[w];
      let i = 0;
      while (i + 1 < ids.length) {
        if (ids[i] !== left || ids[i + 1] !== right) {
          i++;
          continue;
        }
        // Remove the pairs around the occurrence, merge, add the new pairs.
        if (i > 0) touched.add(decPair(pairCount, ids[i - 1] * PAIR_SHIFT + ids[i], f));
        if (i + 2 < ids.length) touched.add(decPair(pairCount, ids[i + 1] * PAIR_SHIFT + ids[i + 2], f));
        ids.splice(i, 2, merged);
        if (i > 0) {
          const k = ids[i - 1] * PAIR_SHIFT + merged;
          addPair(k, w, f);
          touched.add(k);
        }
        if (i + 1 < ids.length) {
          const k = merged * PAIR_SHIFT + ids[i + 1];
          addPair(k, w, f);
          touched.add(k);
        }
        i++;
      }
    }
    pairCount.delete(key);
    pairWords.delete(key);
    touched.delete(key);
    for (const k of [...touched].sort((a, b) => a - b)) {
      const c = pairCount.get(k) ?? 0;
      if (c > 0) heap.push(c, k);
      else {
        pairCount.delete(k);
        pairWords.delete(k);
      }
    }
  }

  return new Tokenizer({
    vocab,
    merges,
    specialTokens: specials.map((content, id) => ({ id, content, special: true })),
    eosToken: specials.includes(END_OF_TEXT) ? END_OF_TEXT : specials[0],
  });
}

function decPair(counts: Map<number, number>, key: number, delta: number): number {
  counts.set(key, (counts.get(key) ?? 0) - delta);
  return key;
}

/** Splits text on special-token occurrences (leftmost-longest), dropping the specials themselves. */
function splitOnSpecials(text: string, specials: readonly string[]): string[] {
  if (specials.length === 0) return [text];
  const parts: string[] = [];
  let start = 0;
  let i = 0;
  while (i < text.length) {
    let match = '';
    for (const s of specials) if (s.length > match.length && text.startsWith(s, i)) match = s;
    if (match === '') {
      i++;
      continue;
    }
    if (i > start) parts.push(text.slice(start, i));
    i += match.length;
    start = i;
  }
  if (start < text.length) parts.push(text.slice(start));
  return parts;
}

/** Max-heap of (count, pair key); ties go to the smaller key, i.e. smaller (left id, right id). */
class MaxPairHeap {
  private counts: number[] = [];
  private keys: number[] = [];

  get size(): number {
    return this.counts.length;
  }

  push(count: number, key: number): void {
    this.counts.push(count);
    this.keys.push(key);
    let i = this.counts.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.before(i, p)) break;
      this.swap(i, p);
      i = p;
    }
  }

  pop(): [number, number] {
    const top: [number, number] = [this.counts[0], this.keys[0]];
    const last = this.counts.length - 1;
    this.swap(0, last);
    this.counts.pop();
    this.keys.pop();
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < this.counts.length && this.before(l, m)) m = l;
      if (r < this.counts.length && this.before(r, m)) m = r;
      if (m === i) break;
      this.swap(i, m);
      i = m;
    }
    return top;
  }

  private before(a: number, b: number): boolean {
    return this.counts[a] > this.counts[b] || (this.counts[a] === this.counts[b] && this.keys[a] < this.keys[b]);
  }

  private swap(a: number, b: number): void {
    [this.counts[a], this.counts[b]] = [this.counts[b], this.counts[a]];
    [this.keys[a], this.keys[b]] = [this.keys[b], this.keys[a]];
  }
}
