/**
 * Token layout shared by the RLHF trainers: a sequence is the prompt's tokens followed by the completion's tokens
 * (ending with EOS when the completion finished), right-padded to a static length. Position t of the logits
 * predicts token t+1, so the completion's log-probs sit at positions [prompt.length − 1, length − 2].
 */
import type { TaskFormat } from '../task/format';
import type { TaskPrompt } from '../task/prompts';
import type { Tokenizer } from '../tokenizer/tokenizer';

/** One prompt + completion as token ids. */
export interface TokenizedSequence {
  prompt: readonly number[];
  /** Completion ids, with the EOS id last when the completion finished. */
  completion: readonly number[];
}

/** Right-padded static-shape arrays for one graph run. */
export interface PackedBatch {
  rows: number;
  seq: number;
  /** int64 [rows, seq], pad id after each sequence (and whole pad rows past the examples). */
  inputIds: BigInt64Array;
  /** [rows, seq]: 1 on tokens, 0 on padding. */
  attentionMask: Float32Array;
  /** int64 [rows, seq]: inputIds shifted left by one (pad at the end). */
  targets: BigInt64Array;
  /** [rows, seq]: 1 where targets[t] is a completion token (t in [prompt − 1, length − 2]). */
  completionMask: Float32Array;
  /** Real (unpadded) length of each row; 0 for pad rows. */
  lengths: number[];
}

/** The model's tokens for a prompt and a completion text: renderPrompt / renderCompletion, EOS appended. */
export function tokenizeExample(tokenizer: Tokenizer, format: TaskFormat, prompt: TaskPrompt | string, completion: string): TokenizedSequence {
  return {
    prompt: tokenizer.encode(format.renderPrompt(prompt), { allowSpecial: false }),
    completion: [...tokenizer.encode(format.renderCompletion(completion), { allowSpecial: false }), tokenizer.eosId],
  };
}

/** Length of a sequence in tokens. */
export function sequenceLength(s: TokenizedSequence): number {
  return s.prompt.length + s.completion.length;
}

/**
 * Packs up to `rows` sequences into [rows, seq] arrays (rows past `examples.length` are padding). Throws naming the
 * offending row when one is longer than `seq` or has an empty prompt or completion.
 */
export function packBatch(examples: readonly TokenizedSequence[], rows: number, seq: number, padId: number): PackedBatch {
  if (examples.length > rows) throw new Error(`packBatch: ${examples.length} sequences do not fit in ${rows} rows`);
  const inputIds = new BigInt64Array(rows * seq).fill(BigInt(padId));
  const targets = new BigInt64Array(rows * seq).fill(BigInt(padId));
  const attentionMask = new Float32Array(rows * seq);
  const completionMask = new Float32Array(rows * seq);
  const lengths: number[] = new Array(rows).fill(0);
  examples.forEach((ex, r) => {
    const n = sequenceLength(ex);
    if (ex.prompt.length === 0 || ex.completion.length === 0) throw new Error(`packBatch: row ${r} has an empty prompt or completion`);
    if (n > seq) throw new Error(`packBatch: row ${r} has ${n} tokens, more than the graph's ${seq}`);
    const base = r * seq;
    let t = 0;
    for (const id of ex.prompt) inputIds[base + t++] = BigInt(id);
    for (const id of ex.completion) inputIds[base + t++] = BigInt(id);
    for (let i = 0; i < n; i++) attentionMask[base + i] = 1;
    for (let i = 0; i < n - 1; i++) targets[base + i] = inputIds[base + i + 1];
    for (let i = ex.prompt.length - 1; i < n - 1; i++) completionMask[base + i] = 1;
    lengths[r] = n;
  });
  return { rows, seq, inputIds, attentionMask, targets, completionMask, lengths };
}

/** Rounds a length up to a multiple of `step` (graph shapes are bucketed to limit the number of sessions). */
export function bucketLength(n: number, step = 8, cap = Infinity): number {
  return Math.min(cap, Math.ceil(n / step) * step);
}
