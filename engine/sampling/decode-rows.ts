import type { ModelConfig } from '../models/config';
import type { Tokenizer } from '../tokenizer/tokenizer';
import type { Rng } from '../util/rng';

/** Why a sequence stopped. */
export type FinishReason = 'eos' | 'stop_token' | 'stop_sequence' | 'length' | 'context';

/** One sequence being decoded. */
export interface Row {
  /** Index of the prompt in the request. */
  index: number;
  prompt: number[];
  tokens: number[];
  logProbs: number[];
  rng: Rng | undefined;
  finish?: FinishReason;
  /** Length of text to cut at (stop sequence), or -1. */
  cut: number;
}

/** Counters a Sampler keeps (see Sampler.stats). */
export interface SamplerStats {
  prefillRuns: number;
  decodeRuns: number;
  tokens: number;
  compactions: number;
}

/** What both decoders need to know to end sequences. */
export interface StopRules {
  config: ModelConfig;
  tokenizer: Tokenizer;
  maxNewTokens: number;
  /** The EOS id when generation stops at EOS, else −1. */
  eos: number;
  stopTokens: ReadonlySet<number>;
  stopSequences: readonly string[];
}

/**
 * Appends a sampled token and its log-prob to a live row and decides whether the row has finished, in the order
 * EOS, stop token, stop sequence, length, context. Shared by the step and loop decoders so both end rows alike.
 */
export function appendToken(row: Row, token: number, logProb: number, rules: StopRules): void {
  row.tokens.push(token);
  row.logProbs.push(logProb);
  if (token === rules.eos) row.finish = 'eos';
  else if (rules.stopTokens.has(token)) row.finish = 'stop_token';
  else if (rules.stopSequences.length > 0 && hitsStopSequence(row, rules)) row.finish = 'stop_sequence';
  else if (row.tokens.length >= rules.maxNewTokens) row.finish = 'length';
  else if (row.prompt.length + row.tokens.length >= rules.config.context) row.finish = 'context';
}

/** Tokens a live row may still sample: up to maxNewTokens and up to the model's context. */
export function tokensLeft(row: Row, rules: StopRules): number {
  return Math.min(rules.maxNewTokens, rules.config.context - row.prompt.length) - row.tokens.length;
}

/** Whether the decoded completion now contains a stop sequence (records where to cut the text). */
function hitsStopSequence(r: Row, rules: StopRules): boolean {
  const text = rules.tokenizer.decode(r.tokens, { skipSpecialTokens: true });
  let at = -1;
  for (const s of rules.stopSequences) {
    const i = text.indexOf(s);
    if (i >= 0 && (at < 0 || i < at)) at = i;
  }
  if (at < 0) return false;
  r.cut = at;
  return true;
}

/** The decoded completion of a finished row: special tokens skipped, cut before the EOS/stop token or stop sequence. */
export function completionText(r: Row, tokenizer: Tokenizer): string {
  const ended = r.finish === 'eos' || r.finish === 'stop_token';
  const text = tokenizer.decode(ended ? r.tokens.slice(0, -1) : r.tokens, { skipSpecialTokens: true });
  return r.cut >= 0 ? text.slice(0, r.cut) : text;
}

/**
 * Copies new keys/values [rows, seq, hd] (rows = batch·heads) into a cache [rows, cap, hd] at slots
 * slot … slot + seq − 1.
 */
export function writeSlots(src: Float32Array, cache: Float32Array, rows: number, seq: number, hd: number, cap: number, slot: number): void {
  const n = seq * hd;
  for (let r = 0; r < rows; r++) cache.set(src.subarray(r * n, (r + 1) * n), (r * cap + slot) * hd);
}

/**
 * The JavaScript-owned KV cache of one batch: per layer keys and values [batch, heads, cap, headDim] and an additive
 * attention bias per slot [batch, cap] (0 = holds a visible token, −1e9 = padding or not yet written).
 */
export class KvCache {
  readonly keys: Float32Array[];
  readonly values: Float32Array[];
  readonly bias: Float32Array;
  readonly rowSize: number;

  constructor(
    readonly layers: number,
    readonly heads: number,
    readonly headDim: number,
    readonly cap: number,
    public batch: number,
  ) {
    this.rowSize = heads * cap * headDim;
    this.keys = Array.from({ length: layers }, () => new Float32Array(batch * this.rowSize));
    this.values = Array.from({ length: layers }, () => new Float32Array(batch * this.rowSize));
    this.bias = new Float32Array(batch * cap).fill(-1e9);
  }

  /** Moves the rows `keep` (ascending) to the front, in place; the batch shrinks to keep.length. */
  compact(keep: readonly number[]): void {
    keep.forEach((j, i) => {
      if (i === j) return;
      for (let l = 0; l < this.layers; l++) {
        this.keys[l].copyWithin(i * this.rowSize, j * this.rowSize, (j + 1) * this.rowSize);
        this.values[l].copyWithin(i * this.rowSize, j * this.rowSize, (j + 1) * this.rowSize);
      }
      this.bias.copyWithin(i * this.cap, j * this.cap, (j + 1) * this.cap);
    });
    this.batch = keep.length;
  }
}
