import type { ModelConfig } from '../models/config';
import { warmupCosine } from '../optim/schedule';
import type { TaskFormat } from '../task/format';
import type { Tokenizer } from '../tokenizer/tokenizer';
import type { RankingBatchShape, TokenizedRanking } from './ranking-batch';
import { type RankedCompletions, validateRanking } from './ranking-pairs';
import { hashStrings } from './resume-state';
import { type TokenizedSequence, bucketLength, sequenceLength, tokenizeExample } from './sequences';
import { splitByKey } from './split';

/** The settings {@link prepareRankingRun} reads (the trainer's options with its defaults applied). */
export interface RankingRunSettings {
  heldoutShare: number;
  seed: number;
  batch: number;
  epochs: number;
  steps?: number;
  lr: number;
  warmupSteps?: number;
}

/** The data side of a ranking trainer's run, the same for the reward model and DPO. */
export interface RankingRun {
  /** Rankings held out by prompt (every ranking of a prompt on one side), seeded, tokenized. */
  train: TokenizedRanking[];
  heldout: TokenizedRanking[];
  /** Completions cut to fit the model's context. */
  truncated: number;
  /** Static batch shape: `batch` rankings × the largest K × the longest sequence bucketed to 8. */
  shape: RankingBatchShape;
  /** Updates: `steps`, or epochs × ⌈train rankings / batch⌉. */
  steps: number;
  /** Warm-up updates as requested (default 5% of steps; the schedule caps it at `steps`). */
  warmup: number;
  /** Warm-up + cosine to lr/10. */
  schedule: (step: number) => number;
  /** Hash of the rankings (prompts, completions, orders), recorded with checkpoints. */
  dataHash: string;
}

/**
 * Validates `rankings` (at least 2, each a valid K-way ranking), splits them by prompt, tokenizes them, and sizes
 * the run: batch shape, number of updates and learning-rate schedule. Errors name `trainer` and the ranking.
 */
export function prepareRankingRun(
  trainer: string,
  rankings: readonly RankedCompletions[],
  model: { config: ModelConfig; tokenizer: Tokenizer; format: TaskFormat },
  o: RankingRunSettings,
): RankingRun {
  if (rankings.length < 2) throw new Error(`${trainer}: needs at least 2 rankings, got ${rankings.length}`);
  rankings.forEach((r, i) => validateRanking(r.ranking, r.completions.length, `rankings[${i}] (${JSON.stringify(r.prompt)})`));
  const split = splitByKey(rankings, (r) => r.prompt, o.heldoutShare, o.seed);
  if (split.train.length === 0) throw new Error(`${trainer}: no training rankings after the held-out split`);
  const { context } = model.config;
  const counter = { truncated: 0 };
  const tok = (r: RankedCompletions): TokenizedRanking => ({
    source: r,
    sequences: r.completions.map((c) => fitContext(tokenizeExample(model.tokenizer, model.format, r.prompt, c), context, counter)),
  });
  const train = split.train.map(tok);
  const heldout = split.heldout.map(tok);
  const kMax = Math.max(...rankings.map((r) => r.completions.length));
  const maxLen = Math.max(...[...train, ...heldout].flatMap((r) => r.sequences.map(sequenceLength)));
  const shape: RankingBatchShape = { batch: Math.min(o.batch, train.length), kMax, seq: bucketLength(maxLen, 8, context) };
  const steps = o.steps ?? o.epochs * Math.ceil(train.length / shape.batch);
  if (!(Number.isInteger(steps) && steps >= 1)) throw new Error(`${trainer}: steps must be a positive integer, got ${steps}`);
  const warmup = o.warmupSteps ?? Math.ceil(steps * 0.05);
  const schedule = warmupCosine({ peakLr: o.lr, warmupSteps: Math.min(warmup, steps), totalSteps: steps, minLr: o.lr * 0.1 });
  const dataHash = hashStrings(rankings.flatMap((r) => [r.prompt, ...r.completions, JSON.stringify(r.ranking)]));
  return { train, heldout, truncated: counter.truncated, shape, steps, warmup, schedule, dataHash };
}

/** A sequence cut to at most `context` tokens (completion tail dropped); the prompt must fit. */
export function fitContext(s: TokenizedSequence, context: number, counter?: { truncated: number }): TokenizedSequence {
  if (sequenceLength(s) <= context) return s;
  if (s.prompt.length >= context) throw new Error(`prompt of ${s.prompt.length} tokens does not fit the model's context of ${context}`);
  if (counter) counter.truncated++;
  return { prompt: s.prompt, completion: s.completion.slice(0, context - s.prompt.length) };
}
