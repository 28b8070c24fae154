import { BYTE_TO_UNICODE, bytesToSymbols, GPT2_SPLIT_PATTERN, symbolsToBytes } from './byte-level';
import type { HfAddedToken, HfTokenizerConfig, HfTokenizerJson } from './hf-json';

/** The conventional end-of-text token: hone uses it as EOS and as padding. */
export const END_OF_TEXT = '<|endoftext|>';

/** A token that is matched in raw text before pre-tokenization and never split (HF "added token"). */
export interface SpecialToken {
  id: number;
  content: string;
  /** Special tokens are dropped by `decode(…, { skipSpecialTokens: true })`. Default true. */
  special?: boolean;
}

/** Everything that defines a byte-level BPE tokenizer. */
export interface TokenizerSpec {
  /** id → token. Byte-level tokens are written in GPT-2 byte symbols ('Ġ' = space); special tokens as their text. */
  vocab: readonly (string | undefined)[];
  /** Merge rules, highest priority first; each merged token must be in the vocabulary. */
  merges: readonly (readonly [string, string])[];
  specialTokens: readonly SpecialToken[];
  /** The end-of-sequence token (default '<|endoftext|>' when present, else the first special token). */
  eosToken?: string;
  /** The padding token (default: the EOS token). */
  padToken?: string;
  /** Prepend a space to text that does not start with one (HF ByteLevel add_prefix_space). Default false. */
  addPrefixSpace?: boolean;
  /** HF ignore_merges: a pre-token that is a whole vocabulary entry is emitted as is. Default false. */
  ignoreMerges?: boolean;
}

/** Options of {@link Tokenizer.encode}. */
export interface EncodeOptions {
  /** Match special tokens' text in the input (Hugging Face's behaviour). Default true. */
  allowSpecial?: boolean;
}

/** Options of {@link Tokenizer.decode}. */
export interface DecodeOptions {
  /** Leave special tokens out of the text. Default false. */
  skipSpecialTokens?: boolean;
}

// Pair keys pack two ids into one double: ids must stay below 2^21 so left·2^21 + right < 2^53.
const PAIR_SHIFT = 2097152;
const MAX_ID = PAIR_SHIFT - 1;
// Words up to this many bytes use the quadratic scan (fastest for real words); longer ones use a heap.
const SHORT_WORD = 48;
const CACHE_LIMIT = 100_000;

const utf8Encoder = new TextEncoder();

/**
 * A byte-level BPE tokenizer, compatible with Hugging Face's `tokenizers` (GPT-2 pre-tokenizer, bytes_to_unicode,
 * merges by rank). Build it with {@link trainBpe} or {@link Tokenizer.fromJSON}; save it with {@link Tokenizer.toJSON}.
 */
export class Tokenizer {
  /** Number of ids (largest id + 1). */
  readonly vocabSize: number;
  /** Id of the end-of-sequence token. */
  readonly eosId: number;
  /** Id of the padding token. */
  readonly padId: number;
  readonly addPrefixSpace: boolean;
  readonly ignoreMerges: boolean;

  private readonly vocab: (string | undefined)[];
  private readonly tokenIds: Map<string, number>;
  private readonly merges: readonly (readonly [string, string])[];
  private readonly specials: readonly Required<SpecialToken>[];
  private readonly specialIds: Map<string, number>;
  private readonly specialTrie: TrieNode;
  private readonly isSpecialId: Uint8Array;
  private readonly isAddedId: Uint8Array;
  private readonly tokenBytesById: (Uint8Array | undefined)[];
  private readonly byteIds: Int32Array;
  private readonly mergeRank: Map<number, number>;
  private readonly mergeResult: Int32Array;
  private readonly cache = new Map<string, readonly number[]>();

  constructor(spec: TokenizerSpec) {
    this.vocab = [...spec.vocab];
    this.vocabSize = this.vocab.length;
    if (this.vocabSize - 1 > MAX_ID) throw new RangeError(`Tokenizer: vocabulary of ${this.vocabSize} exceeds the supported ${MAX_ID + 1}`);
    this.addPrefixSpace = spec.addPrefixSpace ?? false;
    this.ignoreMerges = spec.ignoreMerges ?? false;

    this.specials = spec.specialTokens.map((t) => ({ id: t.id, content: t.content, special: t.special ?? true }));
    this.specialIds = new Map();
    this.isSpecialId = new Uint8Array(this.vocabSize);
    for (const t of this.specials) {
      if (!Number.isInteger(t.id) || t.id < 0 || t.id >= this.vocabSize) throw new RangeError(`Tokenizer: special token ${JSON.stringify(t.content)} has id ${t.id} outside the vocabulary`);
      if (t.content.length === 0) throw new Error(`Tokenizer: special token ${t.id} has empty content`);
      if (this.vocab[t.id] !== undefined && this.vocab[t.id] !== t.content) {
        throw new Error(`Tokenizer: special token ${JSON.stringify(t.content)} and vocabulary entry ${JSON.stringify(this.vocab[t.id])} share id ${t.id}`);
      }
      this.specialIds.set(t.content, t.id);
      if (t.special) this.isSpecialId[t.id] = 1;
    }
    this.specialTrie = buildTrie(this.specials.map((t) => t.content));

    // Specials that are not (also) ordinary vocabulary entries still need ids.
    for (const t of this.specials) this.vocab[t.id] ??= t.content;
    this.isAddedId = new Uint8Array(this.vocabSize);
    for (const t of this.specials) this.isAddedId[t.id] = 1;

    this.tokenIds = new Map();
    this.tokenBytesById = new Array(this.vocabSize);
    for (let id = 0; id < this.vocabSize; id++) {
      const token = this.vocab[id];
      if (token === undefined) continue;
      if (this.isAddedId[id]) {
        this.tokenBytesById[id] = utf8Encoder.encode(token);
        continue;
      }
      if (this.tokenIds.has(token)) throw new Error(`Tokenizer: token ${JSON.stringify(token)} appears twice (ids ${this.tokenIds.get(token)} and ${id})`);
      this.tokenIds.set(token, id);
      this.tokenBytesById[id] = symbolsToBytes(token);
    }

    this.byteIds = new Int32Array(256).fill(-1);
    for (let b = 0; b < 256; b++) this.byteIds[b] = this.tokenIds.get(BYTE_TO_UNICODE[b]) ?? -1;

    this.merges = spec.merges.map(([a, b]) => [a, b] as const);
    this.mergeRank = new Map();
    this.mergeResult = new Int32Array(this.merges.length);
    this.merges.forEach(([a, b], rank) => {
      const left = this.tokenIds.get(a);
      const right = this.tokenIds.get(b);
      const merged = this.tokenIds.get(a + b);
      if (left === undefined || right === undefined || merged === undefined) {
        const missing = left === undefined ? a : right === undefined ? b : a + b;
        throw new Error(`Tokenizer: merge #${rank} (${JSON.stringify(a)} ${JSON.stringify(b)}) needs ${JSON.stringify(missing)}, which is not in the vocabulary`);
      }
      const key = left * PAIR_SHIFT + right;
      // Like HF, the first (highest-priority) occurrence of a duplicated merge wins.
      if (!this.mergeRank.has(key)) this.mergeRank.set(key, rank);
      this.mergeResult[rank] = merged;
    });

    const eos = spec.eosToken ?? (this.specialIds.has(END_OF_TEXT) ? END_OF_TEXT : this.specials[0]?.content);
    if (eos === undefined) throw new Error('Tokenizer: needs at least one special token to serve as EOS');
    const eosId = this.specialIds.get(eos) ?? this.tokenIds.get(eos);
    if (eosId === undefined) throw new Error(`Tokenizer: EOS token ${JSON.stringify(eos)} is not in the vocabulary`);
    this.eosId = eosId;
    const pad = spec.padToken ?? eos;
    const padId = this.specialIds.get(pad) ?? this.tokenIds.get(pad);
    if (padId === undefined) throw new Error(`Tokenizer: pad token ${JSON.stringify(pad)} is not in the vocabulary`);
    this.padId = padId;
  }

  /** Token ids of `text`: special tokens first, then GPT-2 pre-tokens, then BPE merges by rank. */
  encode(text: string, options: EncodeOptions = {}): number[] {
    const out: number[] = [];
    const allowSpecial = options.allowSpecial ?? true;
    if (!allowSpecial || this.specials.length === 0) {
      this.encodeOrdinary(text, out);
      return out;
    }
    let start = 0;
    let i = 0;
    while (i < text.length) {
      const match = longestMatch(this.specialTrie, text, i);
      if (match === null) {
        i++;
        continue;
      }
      if (i > start) this.encodeOrdinary(text.slice(start, i), out);
      out.push(this.specialIds.get(match) as number);
      i += match.length;
      start = i;
    }
    if (start < text.length) this.encodeOrdinary(text.slice(start), out);
    return out;
  }

  /** Text of token ids (invalid UTF-8 from partial byte sequences becomes U+FFFD, as in HF). */
  decode(ids: ArrayLike<number>, options: DecodeOptions = {}): string {
    const skip = options.skipSpecialTokens ?? false;
    let total = 0;
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i];
      const bytes = this.tokenBytesById[id];
      if (bytes === undefined) throw new RangeError(`Tokenizer.decode: id ${id} (at position ${i}) is not in the vocabulary of ${this.vocabSize}`);
      if (!(skip && this.isSpecialId[id])) total += bytes.length;
    }
    // Specials are written as their text, but outside the byte stream: a special between the halves of a broken
    // UTF-8 sequence must not join them (HF decodes the chunks on either side separately).
    let text = '';
    const buffer = new Uint8Array(total);
    let chunkStart = 0;
    let at = 0;
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i];
      if (this.isAddedId[id]) {
        if (skip && this.isSpecialId[id]) continue;
        text += decodeUtf8(buffer.subarray(chunkStart, at)) + (this.vocab[id] as string);
        chunkStart = at;
        continue;
      }
      const bytes = this.tokenBytesById[id] as Uint8Array;
      buffer.set(bytes, at);
      at += bytes.length;
    }
    return text + decodeUtf8(buffer.subarray(chunkStart, at));
  }

  /** The raw bytes a token stands for (a special token's UTF-8 text): for streaming decoders. */
  tokenBytes(id: number): Uint8Array {
    const bytes = this.tokenBytesById[id];
    if (bytes === undefined) throw new RangeError(`Tokenizer.tokenBytes: id ${id} is not in the vocabulary`);
    return bytes;
  }

  /** The token string of an id (byte symbols, or a special token's text). */
  idToToken(id: number): string | undefined {
    return this.vocab[id];
  }

  /** The id of a token string (byte symbols, or a special token's text). */
  tokenToId(token: string): number | undefined {
    return this.specialIds.get(token) ?? this.tokenIds.get(token);
  }

  /** Whether `id` is a special token (EOS, padding, …). */
  isSpecial(id: number): boolean {
    return this.isSpecialId[id] === 1;
  }

  /** The special tokens, by id. */
  specialTokens(): SpecialToken[] {
    return this.specials.map((t) => ({ ...t }));
  }

  /** The merges, highest priority first. */
  mergeList(): [string, string][] {
    return this.merges.map(([a, b]) => [a, b]);
  }

  /** A Hugging Face `tokenizer.json` object (write it with JSON.stringify). */
  toJSON(): HfTokenizerJson {
    const vocab: Record<string, number> = {};
    this.vocab.forEach((token, id) => {
      if (token !== undefined) vocab[token] = id;
    });
    const addedTokens: HfAddedToken[] = this.specials.map((t) => ({
      id: t.id, content: t.content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: t.special,
    }));
    const byteLevel = { type: 'ByteLevel' as const, add_prefix_space: this.addPrefixSpace, trim_offsets: true, use_regex: true };
    return {
      version: '1.0',
      truncation: null,
      padding: null,
      added_tokens: addedTokens,
      normalizer: null,
      pre_tokenizer: byteLevel,
      // GPT-2's own tokenizer.json: the post-processor only adjusts offsets and adds no tokens.
      post_processor: { ...byteLevel, trim_offsets: false },
      decoder: byteLevel,
      model: {
        type: 'BPE',
        dropout: null,
        unk_token: null,
        continuing_subword_prefix: null,
        end_of_word_suffix: null,
        fuse_unk: false,
        byte_fallback: false,
        ignore_merges: this.ignoreMerges,
        vocab,
        merges: this.merges.map(([a, b]) => `${a} ${b}`),
      },
    };
  }

  /** A `tokenizer_config.json` object naming EOS/BOS/pad and switching off HF's decode-time space clean-up. */
  tokenizerConfig(options: { modelMaxLength?: number } = {}): HfTokenizerConfig {
    const eos = this.vocab[this.eosId] as string;
    return {
      tokenizer_class: 'GPT2Tokenizer',
      bos_token: eos,
      eos_token: eos,
      pad_token: this.vocab[this.padId] as string,
      unk_token: null,
      add_prefix_space: this.addPrefixSpace,
      add_bos_token: false,
      add_eos_token: false,
      // transformers would otherwise rewrite " ." to "." on decode, which breaks exact round trips.
      clean_up_tokenization_spaces: false,
      model_max_length: options.modelMaxLength ?? 1024,
    };
  }

  /**
   * A tokenizer from a Hugging Face `tokenizer.json` (object or text) with a ByteLevel pre-tokenizer and a BPE
   * model. `config` (a `tokenizer_config.json`) names EOS and padding when they are not '<|endoftext|>'.
   */
  static fromJSON(json: unknown, config?: Partial<Pick<HfTokenizerConfig, 'eos_token' | 'pad_token'>>): Tokenizer {
    return new Tokenizer(specFromHfJson(typeof json === 'string' ? JSON.parse(json) : json, config));
  }

  private encodeOrdinary(text: string, out: number[]): void {
    if (text.length === 0) return;
    if (this.addPrefixSpace && !text.startsWith(' ')) text = ' ' + text;
    GPT2_SPLIT_PATTERN.lastIndex = 0;
    for (const m of text.matchAll(GPT2_SPLIT_PATTERN)) {
      const piece = m[0];
      let ids = this.cache.get(piece);
      if (ids === undefined) {
        ids = this.encodePiece(piece);
        if (this.cache.size >= CACHE_LIMIT) this.cache.clear();
        this.cache.set(piece, ids);
      }
      for (const id of ids) out.push(id);
    }
  }

  private encodePiece(piece: string): number[] {
    const bytes = utf8Encoder.encode(piece);
    if (this.ignoreMerges) {
      const whole = this.tokenIds.get(bytesToSymbols(bytes));
      if (whole !== undefined) return [whole];
    }
    const ids = new Array<number>(bytes.length);
    for (let i = 0; i < bytes.length; i++) {
      const id = this.byteIds[bytes[i]];
      if (id < 0) throw new Error(`Tokenizer.encode: byte 0x${bytes[i].toString(16).padStart(2, '0')} of ${JSON.stringify(piece)} has no token in this vocabulary`);
      ids[i] = id;
    }
    return ids.length <= SHORT_WORD ? this.bpeShort(ids) : this.bpeLong(ids);
  }

  /** Lowest-rank pair first, leftmost on ties: the order HF's priority queue produces. */
  private bpeShort(ids: number[]): number[] {
    for (;;) {
      let bestRank = Infinity;
      let bestAt = -1;
      for (let i = 0; i + 1 < ids.length; i++) {
        const rank = this.mergeRank.get(ids[i] * PAIR_SHIFT + ids[i + 1]);
        if (rank !== undefined && rank < bestRank) {
          bestRank = rank;
          bestAt = i;
        }
      }
      if (bestAt < 0) return ids;
      ids.splice(bestAt, 2, this.mergeResult[bestRank]);
    }
  }

  /** Same merge order as bpeShort, in O(n log n) with a linked list and a heap of candidate pairs. */
  private bpeLong(ids: number[]): number[] {
    const n = ids.length;
    const sym = Int32Array.from(ids);
    const prev = new Int32Array(n);
    const next = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      prev[i] = i - 1;
      next[i] = i + 1 < n ? i + 1 : -1;
    }
    const heap = new PairHeap();
    const push = (i: number): void => {
      const j = next[i];
      if (j < 0) return;
      const rank = this.mergeRank.get(sym[i] * PAIR_SHIFT + sym[j]);
      if (rank !== undefined) heap.push(rank, i, sym[i], sym[j]);
    };
    for (let i = 0; i + 1 < n; i++) push(i);
    while (heap.size > 0) {
      const [rank, i, left, right] = heap.pop();
      const j = next[i];
      // Stale entry: the node was merged away or its neighbours changed since it was pushed.
      if (sym[i] !== left || j < 0 || sym[j] !== right) continue;
      sym[i] = this.mergeResult[rank];
      sym[j] = -1;
      next[i] = next[j];
      if (next[j] >= 0) prev[next[j]] = i;
      if (prev[i] >= 0) push(prev[i]);
      push(i);
    }
    const out: number[] = [];
    for (let i = 0; i >= 0; i = next[i]) out.push(sym[i]);
    return out;
  }
}

/** Validates a parsed HF tokenizer.json and turns it into a {@link TokenizerSpec}. */
function specFromHfJson(json: unknown, config?: Partial<Pick<HfTokenizerConfig, 'eos_token' | 'pad_token'>>): TokenizerSpec {
  const fail = (what: string): never => {
    throw new Error(`Tokenizer.fromJSON: ${what}`);
  };
  if (typeof json !== 'object' || json === null) fail('expected a tokenizer.json object');
  const j = json as Record<string, unknown>;
  const model = j.model as Record<string, unknown> | undefined;
  if (!model || typeof model !== 'object') fail('missing "model"');
  if (model!.type !== undefined && model!.type !== 'BPE') fail(`model.type is ${JSON.stringify(model!.type)}, only "BPE" is supported`);
  if (j.normalizer !== null && j.normalizer !== undefined) fail('a normalizer is not supported (byte-level BPE has none)');
  const pre = j.pre_tokenizer as Record<string, unknown> | null | undefined;
  if (!pre || pre.type !== 'ByteLevel') fail(`pre_tokenizer must be ByteLevel, got ${JSON.stringify(pre?.type ?? pre)}`);
  if (pre!.use_regex === false) fail('pre_tokenizer ByteLevel with use_regex: false is not supported');
  const dec = j.decoder as Record<string, unknown> | null | undefined;
  if (dec && dec.type !== 'ByteLevel') fail(`decoder must be ByteLevel, got ${JSON.stringify(dec.type)}`);
  if (model!.byte_fallback) fail('byte_fallback is not supported (byte-level BPE never needs it)');
  if (model!.continuing_subword_prefix) fail('continuing_subword_prefix is not supported');
  if (model!.end_of_word_suffix) fail('end_of_word_suffix is not supported');
  if (model!.dropout !== null && model!.dropout !== undefined && model!.dropout !== 0) fail('BPE dropout is not supported');
  const rawVocab = model!.vocab as Record<string, number> | undefined;
  if (!rawVocab || typeof rawVocab !== 'object') fail('model.vocab must be an object of token → id');
  const rawMerges = model!.merges as unknown[] | undefined;
  if (!Array.isArray(rawMerges)) fail('model.merges must be an array');

  const added = (Array.isArray(j.added_tokens) ? j.added_tokens : []) as HfAddedToken[];
  let size = 0;
  for (const [token, id] of Object.entries(rawVocab!)) {
    if (!Number.isInteger(id) || id < 0) fail(`vocab id of ${JSON.stringify(token)} must be a non-negative integer, got ${id}`);
    size = Math.max(size, id + 1);
  }
  for (const t of added) size = Math.max(size, t.id + 1);
  const vocab = new Array<string | undefined>(size);
  for (const [token, id] of Object.entries(rawVocab!)) {
    if (vocab[id] !== undefined) fail(`vocab id ${id} is given to both ${JSON.stringify(vocab[id])} and ${JSON.stringify(token)}`);
    vocab[id] = token;
  }
  const specialTokens: SpecialToken[] = added.map((t) => {
    if (t.lstrip || t.rstrip || t.single_word || (t.normalized && !t.special)) {
      fail(`added token ${JSON.stringify(t.content)}: lstrip/rstrip/single_word/normalized are not supported`);
    }
    return { id: t.id, content: t.content, special: t.special };
  });
  const merges = rawMerges!.map((m, i): [string, string] => {
    if (Array.isArray(m) && m.length === 2) return [String(m[0]), String(m[1])];
    if (typeof m === 'string') {
      const at = m.indexOf(' ', 1);
      if (at > 0 && m.indexOf(' ', at + 1) < 0) return [m.slice(0, at), m.slice(at + 1)];
    }
    return fail(`merge #${i} must be "left right" or [left, right], got ${JSON.stringify(m)}`);
  });
  return {
    vocab,
    merges,
    specialTokens,
    eosToken: config?.eos_token,
    padToken: config?.pad_token,
    addPrefixSpace: pre!.add_prefix_space === true,
    ignoreMerges: model!.ignore_merges === true,
  };
}

const utf8Decoder = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true });

function decodeUtf8(bytes: Uint8Array): string {
  return bytes.length === 0 ? '' : utf8Decoder.decode(bytes);
}

interface TrieNode {
  end?: string;
  children: Map<string, TrieNode>;
}

function buildTrie(words: readonly string[]): TrieNode {
  const root: TrieNode = { children: new Map() };
  for (const w of words) {
    let node = root;
    for (const ch of w) {
      let child = node.children.get(ch);
      if (!child) {
        child = { children: new Map() };
        node.children.set(ch, child);
      }
      node = child;
    }
    node.end = w;
  }
  return root;
}

/** The longest special token starting at `at` (HF's leftmost-longest split), or null. */
function longestMatch(root: TrieNode, text: string, at: number): string | null {
  let node: TrieNode | undefined = root.children.get(text[at]);
  let match: string | null = null;
  let j = at;
  while (node) {
    if (node.end !== undefined) match = node.end;
    j++;
    if (j >= text.length) break;
    node = node.children.get(text[j]);
  }
  return match;
}

/** A binary min-heap of merge candidates ordered by (rank, position). */
class PairHeap {
  private rank: number[] = [];
  private pos: number[] = [];
  private left: number[] = [];
  private right: number[] = [];

  get size(): number {
    return this.rank.length;
  }

  push(rank: number, pos: number, left: number, right: number): void {
    this.rank.push(rank);
    this.pos.push(pos);
    this.left.push(left);
    this.right.push(right);
    let i = this.rank.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(i, p)) break;
      this.swap(i, p);
      i = p;
    }
  }

  pop(): [number, number, number, number] {
    const top: [number, number, number, number] = [this.rank[0], this.pos[0], this.left[0], this.right[0]];
    const last = this.rank.length - 1;
    this.swap(0, last);
    this.rank.pop();
    this.pos.pop();
    this.left.pop();
    this.right.pop();
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < this.rank.length && this.less(l, m)) m = l;
      if (r < this.rank.length && this.less(r, m)) m = r;
      if (m === i) break;
      this.swap(i, m);
      i = m;
    }
    return top;
  }

  private less(a: number, b: number): boolean {
    return this.rank[a] < this.rank[b] || (this.rank[a] === this.rank[b] && this.pos[a] < this.pos[b]);
  }

  private swap(a: number, b: number): void {
    [this.rank[a], this.rank[b]] = [this.rank[b], this.rank[a]];
    [this.pos[a], this.pos[b]] = [this.pos[b], this.pos[a]];
    [this.left[a], this.left[b]] = [this.left[b], this.left[a]];
    [this.right[a], this.right[b]] = [this.right[b], this.right[a]];
  }
}
