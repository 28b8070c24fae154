import type { Tokenizer } from '../tokenizer/tokenizer';

/** A demonstration as text: the model input and the target, already rendered (e.g. by the task's format). */
export interface SftExample {
  /** What the model is given (e.g. 'Write about cats …\nAnswer:'). */
  prompt: string;
  /** What it should write (e.g. ' the cat sleeps.'); the trainer appends EOS. */
  completion: string;
}

/** A tokenized example: prompt tokens, then completion tokens and EOS. */
export interface EncodedExample {
  ids: readonly number[];
  /** Number of prompt tokens at the start of `ids` (no loss on predicting them). */
  promptLength: number;
}

/**
 * Tokenizes examples as the sampler will see them: the prompt and the completion are encoded separately (the
 * sampler encodes the prompt alone and continues from it) and EOS is appended. An example longer than
 * context + 1 tokens loses the end of its completion; one whose prompt fills the context is dropped.
 */
export function encodeSftExamples(tokenizer: Tokenizer, examples: readonly SftExample[], context: number): { encoded: EncodedExample[]; truncated: number; dropped: number } {
  const encoded: EncodedExample[] = [];
  let truncated = 0;
  let dropped = 0;
  for (const ex of examples) {
    const p = tokenizer.encode(ex.prompt);
    const ids = [...p, ...tokenizer.encode(ex.completion), tokenizer.eosId];
    if (p.length === 0 || p.length >= context) {
      dropped++;
      continue;
    }
    if (ids.length > context + 1) {
      ids.length = context + 1;
      truncated++;
    }
    encoded.push({ ids, promptLength: p.length });
  }
  return { encoded, truncated, dropped };
}

/** One static-shape next-token batch. */
export interface TokenBatch {
  batch: number;
  seq: number;
  /** int64 [batch, seq]: the sequence without its last token, right-padded. */
  inputIds: BigInt64Array;
  /** int64 [batch, seq]: the sequence shifted left by one. */
  targets: BigInt64Array;
  /** float [batch, seq]: 1 where the target is a completion token (or EOS). */
  lossMask: Float32Array;
  /** Σ lossMask. */
  tokens: number;
}

/** The padded length for sequences of at most `maxLen` tokens: a multiple of `bucket`, at most `context`. */
export function bucketLength(maxLen: number, bucket: number, context: number): number {
  return Math.min(context, Math.ceil(maxLen / bucket) * bucket);
}

/**
 * Packs examples into a right-padded next-token batch of exactly `batch` rows (missing rows are all padding) and
 * a length bucketed by `bucket`, so a trainer needs one session per bucket, not per length.
 */
export function packLmBatch(items: readonly EncodedExample[], batch: number, bucket: number, context: number, pad: number): TokenBatch {
  if (items.length > batch) throw new Error(`packLmBatch: ${items.length} examples for a batch of ${batch}`);
  const maxLen = Math.max(1, ...items.map((e) => e.ids.length - 1));
  const seq = bucketLength(maxLen, bucket, context);
  const inputIds = new BigInt64Array(batch * seq).fill(BigInt(pad));
  const targets = new BigInt64Array(batch * seq).fill(BigInt(pad));
  const lossMask = new Float32Array(batch * seq);
  let tokens = 0;
  items.forEach((e, r) => {
    const n = e.ids.length - 1;
    for (let t = 0; t < n; t++) {
      inputIds[r * seq + t] = BigInt(e.ids[t]);
      targets[r * seq + t] = BigInt(e.ids[t + 1]);
      if (t + 1 >= e.promptLength) {
        lossMask[r * seq + t] = 1;
        tokens++;
      }
    }
  });
  return { batch, seq, inputIds, targets, lossMask, tokens };
}
