/**
 * Batches of rankings for the reward model and DPO: B rankings (one per batch element) × Kmax rows, every
 * completion forwarded once, plus the flattened comparison pairs that index into those rows. Each ranking's pairs
 * carry weight 1 / (B · its pair count), so the loss is InstructGPT's −1/C(K,2) Σ log σ(r_w − r_l) per prompt,
 * averaged over the batch, whatever each prompt's K and ties.
 */
import { type PackedBatch, type TokenizedSequence, packBatch } from './sequences';
import { type RankedCompletions, choose2, pairsFromRanking } from './ranking-pairs';

/** A ranking with its completions tokenized. */
export interface TokenizedRanking {
  source: RankedCompletions;
  sequences: TokenizedSequence[];
}

/** Static sizes of a ranking batch graph. */
export interface RankingBatchShape {
  /** Rankings (prompts) per batch. */
  batch: number;
  /** Largest K in the data: rows per ranking. */
  kMax: number;
  /** Token length of every row. */
  seq: number;
}

/** The feeds of one ranking batch (rows = batch·kMax, pairs = batch·C(kMax,2)). */
export interface RankingBatch {
  packed: PackedBatch;
  winners: BigInt64Array;
  losers: BigInt64Array;
  weights: Float32Array;
  /** Real pairs in the batch. */
  pairCount: number;
}

/** Rows and pair slots of a batch shape. */
export function rankingBatchSizes(shape: RankingBatchShape): { rows: number; pairs: number } {
  return { rows: shape.batch * shape.kMax, pairs: shape.batch * choose2(shape.kMax) };
}

/**
 * Lays out up to `shape.batch` rankings: ranking b's completions in rows [b·kMax, b·kMax + K), padding rows after,
 * and its pairs (ties skipped) in slots [b·C(kMax,2), …). Rankings without any pair (all tied) contribute no loss
 * but still count in B, which keeps the per-step scale fixed.
 */
export function packRankingBatch(items: readonly TokenizedRanking[], shape: RankingBatchShape, padId: number): RankingBatch {
  const { rows, pairs } = rankingBatchSizes(shape);
  if (items.length > shape.batch) throw new Error(`packRankingBatch: ${items.length} rankings for a batch of ${shape.batch}`);
  const sequences: TokenizedSequence[] = new Array(rows);
  const padRow: TokenizedSequence = { prompt: [padId], completion: [padId] };
  const perPrompt = choose2(shape.kMax);
  const winners = new BigInt64Array(pairs);
  const losers = new BigInt64Array(pairs);
  const weights = new Float32Array(pairs);
  let pairCount = 0;
  items.forEach((it, b) => {
    const k = it.sequences.length;
    if (k > shape.kMax) throw new Error(`packRankingBatch: a ranking of K=${k} exceeds kMax ${shape.kMax}`);
    it.sequences.forEach((s, i) => (sequences[b * shape.kMax + i] = s));
    const ps = pairsFromRanking(it.source.ranking, k);
    ps.forEach((p, j) => {
      const slot = b * perPrompt + j;
      winners[slot] = BigInt(b * shape.kMax + p.winner);
      losers[slot] = BigInt(b * shape.kMax + p.loser);
      weights[slot] = 1 / (shape.batch * ps.length);
    });
    pairCount += ps.length;
  });
  for (let r = 0; r < rows; r++) if (!sequences[r]) sequences[r] = padRow;
  const packed = packBatch(sequences, rows, shape.seq, padId);
  // padding rows are not real sequences: no attention-mask tokens beyond position 0, no completion tokens
  for (let r = 0; r < rows; r++) {
    if (sequences[r] === padRow) {
      packed.completionMask.fill(0, r * shape.seq, (r + 1) * shape.seq);
      packed.lengths[r] = 0;
    }
  }
  return { packed, winners, losers, weights, pairCount };
}
