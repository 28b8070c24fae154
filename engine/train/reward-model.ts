/**
 * Reward-model fitting from K-way rankings (InstructGPT §3.5). The RM is the SFT policy's trunk with a scalar head
 * read at the last token; each ranking is one batch element whose K completions are forwarded once, with loss
 * −1/C(K,2) Σ log σ(r_w − r_l) over its pairs (ties skipped). After training the head's bias is shifted so that the
 * reference (SFT) samples score 0 on average, and accuracy is measured on held-out rankings (split by prompt,
 * seeded) against the labels and, when an oracle is given, against the noiseless oracle. By default the scores are
 * also divided by the reference samples' std (stored as meta.rewardScale next to meta.rewardBias).
 */
import { Graph } from '../autodiff/graph';
import type { ModelBundle } from '../models/bundle';
import type { ModelConfig } from '../models/config';
import { paramFeeds } from '../models/feeds';
import { gptForward } from '../models/gpt';
import { type Weights, cloneWeights, rewardModelFromPolicy } from '../models/init';
import { paramNames } from '../models/param-names';
import { PLATFORM_SESSION_OPTIONS, SessionCache } from '../models/session-cache';
import { toOrt } from '../onnx/session';
import type { Tensor } from '../onnx/tensor';
import { AdamW } from '../optim/adamw';
import { clipScale, globalGradNorm } from '../optim/clip-grad';
import { createTaskFormat } from '../task/format';
import { Tokenizer } from '../tokenizer/tokenizer';
import { Rng } from '../util/rng';
import { EpochBatches } from './epoch-batches';
import { rankingLoss } from './losses';
import { type TokenizedRanking, packRankingBatch, rankingBatchSizes } from './ranking-batch';
import { type RankedCompletions, pairsFromRanking, rankedSamples } from './ranking-pairs';
import type { RankingTrainerOptions } from './ranking-trainer-options';
import { scoreRewards } from './scoring';
import { bucketLength, sequenceLength, tokenizeExample } from './sequences';
import { fitContext, prepareRankingRun } from './ranking-run';
import { TRAINER_STATE_FORMAT, type TrainerState, checkResumeState, jsonOptions, readResumeState } from './resume-state';

/** Progress of a long trainer run (for heartbeats and logs). */
export interface TrainerProgress {
  phase: 'train' | 'evaluate';
  step: number;
  steps: number;
  /** Mean training loss since the last report. */
  loss?: number;
  lr?: number;
}

/** A copy of `rm`'s weights to train on, after checking it is a reward model of the policy's architecture. */
function rewardWeightsToContinue(rm: ModelBundle, cfg: ModelConfig): Weights {
  if (JSON.stringify(rm.config) !== JSON.stringify(cfg)) throw new Error(`fitRewardModel: initFrom's config ${JSON.stringify(rm.config)} differs from the policy's ${JSON.stringify(cfg)}`);
  const [w, b] = paramNames.rewardHead();
  if (!rm.weights[w] || !rm.weights[b]) throw new Error(`fitRewardModel: initFrom is not a reward model (it has no ${w} / ${b})`);
  return cloneWeights(rm.weights);
}

/** Options of {@link fitRewardModel}; every one has a default (epochs 2, lr 1e-3, weight decay 0.01, clip 1). */
export interface FitRewardModelOptions extends RankingTrainerOptions {
  /** The noiseless preference (e.g. the task oracle's total): adds accuracy vs the oracle on held-out rankings. */
  oracle?: (prompt: string, completion: string) => number;
  /**
   * Also scale rewards so the reference samples' scores have std 1 (default true): PPO's KL coefficient and
   * penalties then mean the same whatever the scale the ranking loss happened to give the head.
   */
  normalizeScale?: boolean;
  /** Samples of the reference policy whose mean score becomes 0 (default: every completion in `rankings`). */
  referenceSamples?: readonly { prompt: string; completion: string }[];
  /**
   * Continue from this reward model (its trunk and head) instead of the policy's trunk with a fresh head, e.g. a
   * later round's refit on more rankings. Give it the `seed` (and `heldoutShare`) it was fitted with: the held-out
   * prompts then stay the ones it never trained on.
   */
  initFrom?: ModelBundle;
  onProgress?: (p: TrainerProgress) => void | Promise<void>;
}

/** `TrainerState.trainer` of reward-model checkpoints. */
export const REWARD_TRAINER = 'reward';

/** What {@link fitRewardModel} measured. */
export interface RewardModelMetrics {
  /** Held-out pairwise accuracy vs the labels (ties in the RM's scores count ½). */
  heldoutAccuracy: number;
  /** Held-out pairwise accuracy vs the oracle, over pairs the oracle does not tie (with `oracle`). */
  heldoutAccuracyVsOracle?: number;
  /** The oracle's own held-out accuracy vs the labels (with `oracle`): what label noise leaves attainable. */
  heldoutLabelCeiling?: number;
  /** The same two on the training rankings. */
  trainAccuracy: number;
  trainAccuracyVsOracle?: number;
  heldoutPairs: number;
  heldoutRankings: number;
  /** Comparison pairs (Σ over training rankings of its non-tied pairs). */
  pairsUsed: number;
  rankingsUsed: number;
  steps: number;
  /** Mean loss over the last 10% of updates. */
  finalLoss: number;
  /** Subtracted from the head's bias: the mean raw score of the reference samples. */
  rewardBias: number;
  /** Multiplies the shifted scores (1 / referenceStd with normalizeScale, else 1). */
  rewardScale: number;
  /** Std of the raw scores of the reference samples. */
  referenceStd: number;
  /** Completions cut to fit the model's context. */
  truncated: number;
}

export interface RewardModelResult {
  /** The reward model: trunk + `reward_head`, normalised (reference mean 0). meta.rewardBias records the shift. */
  model: ModelBundle;
  metrics: RewardModelMetrics;
}

const DEFAULTS = { normalizeScale: true, epochs: 2, batch: 8, lr: 1e-3, weightDecay: 0.01, maxGradNorm: 1, heldoutShare: 0.2, seed: 1, progressEvery: 10 };

/**
 * Fits a reward model on `rankings`, initialised from `policy` (the SFT model). Returns the normalised RM and its
 * held-out metrics.
 */
export async function fitRewardModel(policy: ModelBundle, rankings: readonly RankedCompletions[], options: FitRewardModelOptions = {}): Promise<RewardModelResult> {
  const o = { ...DEFAULTS, ...Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) } as typeof DEFAULTS & FitRewardModelOptions;
  const cfg = policy.config;
  const tokenizer = Tokenizer.fromJSON(policy.tokenizer);
  const format = o.format ?? createTaskFormat();
  const sessions = o.sessions ?? new SessionCache(PLATFORM_SESSION_OPTIONS);
  const run = prepareRankingRun('fitRewardModel', rankings, { config: cfg, tokenizer, format }, o);
  const { train: trainT, heldout: heldT, shape, steps, warmup, schedule } = run;
  const runOptions = jsonOptions({
    steps, batch: shape.batch, lr: o.lr, warmupSteps: warmup, weightDecay: o.weightDecay, maxGradNorm: o.maxGradNorm, heldoutShare: o.heldoutShare, seed: o.seed,
    data: run.dataHash,
  });

  // graph: B·kMax rows → rewards → ranking loss over B·C(kMax,2) pair slots
  const { rows, pairs } = rankingBatchSizes(shape);
  const g = new Graph();
  const m = gptForward(g, cfg, { batch: rows, seq: shape.seq }, { rewardHead: true });
  const winners = g.input('winners', [pairs], 'int64');
  const losers = g.input('losers', [pairs], 'int64');
  const pairWeights = g.input('pair_weights', [pairs]);
  const { loss } = rankingLoss(g, m.rewards as Tensor, winners, losers, pairWeights);
  const grads = g.gradients(loss);
  const params = [...g.params];
  const bytes = g.build({ outputs: { loss, ...Object.fromEntries(Object.entries(grads).map(([k, t]) => [`grad.${k}`, t])) } });
  const session = await sessions.get(`rm-train:${cfg.vocabSize}.${cfg.width}.${cfg.layers}:R${rows}:P${pairs}:T${shape.seq}`, () => bytes);

  let weights: Weights;
  let opt: AdamW;
  let start = 0;
  let losses: number[] = [];
  if (o.resumeFrom) {
    const st = readResumeState(o.resumeFrom);
    checkResumeState(st, REWARD_TRAINER, cfg, runOptions, ['model']);
    weights = cloneWeights(st.weights);
    opt = AdamW.fromState(st.optimizers.model);
    start = st.step;
    losses = [...(st.data.losses as number[])];
  } else {
    weights = o.initFrom ? rewardWeightsToContinue(o.initFrom, cfg) : rewardModelFromPolicy(cfg, policy.weights, Rng.fromSeed(o.seed).fork('reward-head').nextUint32());
    opt = new AdamW(params, { lr: o.lr, weightDecay: o.weightDecay });
  }
  const feeds = paramFeeds(params, weights);
  const batches = new EpochBatches(Rng.fromSeed(o.seed).fork('rm-data'), trainT.length, shape.batch);
  let sinceReport: number[] = [];

  for (let step = start; step < steps; step++) {
    if (o.signal?.aborted) throw o.signal.reason ?? new Error('fitRewardModel: aborted');
    const items = batches.at(step).map((i) => trainT[i]);
    const b = packRankingBatch(items, shape, tokenizer.padId);
    const out = await session.run({
      ...feeds,
      input_ids: toOrt(b.packed.inputIds, [rows, shape.seq]),
      attention_mask: toOrt(b.packed.attentionMask, [rows, shape.seq]),
      winners: toOrt(b.winners, [pairs]),
      losers: toOrt(b.losers, [pairs]),
      pair_weights: toOrt(b.weights, [pairs]),
    });
    const gradValues: Record<string, Float32Array> = {};
    for (const p of params) gradValues[p.name] = out[`grad.${p.name}`].data as Float32Array;
    const lr = schedule(step + 1);
    opt.step(weights, gradValues, { lr, gradScale: clipScale(globalGradNorm(Object.values(gradValues)), o.maxGradNorm) });
    const l = Number(out.loss.data[0]);
    losses.push(l);
    sinceReport.push(l);
    const done = step + 1;
    if (o.onProgress && (done % o.progressEvery === 0 || done === steps)) {
      await o.onProgress({ phase: 'train', step: done, steps, loss: sinceReport.reduce((s, x) => s + x, 0) / sinceReport.length, lr });
      sinceReport = [];
    }
    if (o.onCheckpoint && o.checkpointEvery && done % o.checkpointEvery === 0 && done < steps) {
      await o.onCheckpoint({
        format: TRAINER_STATE_FORMAT,
        trainer: REWARD_TRAINER,
        step: done,
        config: cfg,
        tokenizer: policy.tokenizer,
        weights: cloneWeights(weights),
        optimizers: { model: opt.exportState() },
        rng: {},
        data: { losses: [...losses] },
        options: runOptions,
      });
    }
  }

  if (o.onProgress) await o.onProgress({ phase: 'evaluate', step: steps, steps });
  const scoreShape = { rows: Math.max(rows, 16), seq: shape.seq };
  // normalise: reference samples average 0
  const refs = (o.referenceSamples ?? rankedSamples(rankings)).map((s) =>
    fitContext(tokenizeExample(tokenizer, format, s.prompt, s.completion), cfg.context),
  );
  const refShape = { rows: scoreShape.rows, seq: bucketLength(Math.max(...refs.map(sequenceLength)), 8, cfg.context) };
  const refScores = await scoreRewards(sessions, cfg, weights, refs, refShape, tokenizer.padId);
  const bias = refScores.reduce((s, x) => s + x, 0) / refScores.length;
  const refStd = Math.sqrt(refScores.reduce((s, x) => s + (x - bias) ** 2, 0) / refScores.length);
  // r ← (r − bias)·scale folded into the head: w·scale, (b − bias)·scale
  const scale = o.normalizeScale && refStd > 1e-6 ? 1 / refStd : 1;
  const [headW, headBias] = paramNames.rewardHead();
  weights[headBias][0] = (weights[headBias][0] - bias) * scale;
  if (scale !== 1) for (let i = 0; i < weights[headW].length; i++) weights[headW][i] *= scale;

  const heldAcc = await rankingAccuracy(sessions, cfg, weights, heldT, scoreShape, tokenizer.padId, o.oracle);
  const trainAcc = await rankingAccuracy(sessions, cfg, weights, trainT, scoreShape, tokenizer.padId, o.oracle);
  const tail = losses.slice(Math.max(0, losses.length - Math.max(1, Math.ceil(steps * 0.1))));
  const metrics: RewardModelMetrics = {
    heldoutAccuracy: heldAcc.vsLabels,
    heldoutAccuracyVsOracle: heldAcc.vsOracle,
    heldoutLabelCeiling: heldAcc.oracleVsLabels,
    trainAccuracy: trainAcc.vsLabels,
    trainAccuracyVsOracle: trainAcc.vsOracle,
    heldoutPairs: heldAcc.pairs,
    heldoutRankings: heldT.length,
    pairsUsed: trainT.reduce((s, r) => s + pairsFromRanking(r.source.ranking, r.sequences.length).length, 0),
    rankingsUsed: trainT.length,
    steps,
    finalLoss: tail.reduce((s, x) => s + x, 0) / tail.length,
    rewardBias: bias,
    rewardScale: scale,
    referenceStd: refStd,
    truncated: run.truncated,
  };
  const model: ModelBundle = {
    config: cfg,
    tokenizer: policy.tokenizer,
    weights,
    meta: { ...(policy.meta ?? {}), kind: 'reward-model', trainer: 'fitRewardModel', rewardBias: String(bias), rewardScale: String(scale), steps: String(steps), seed: String(o.seed) },
  };
  return { model, metrics };
}

/** Pairwise accuracy of a reward model on rankings: vs the labels, and vs an oracle when given. */
export interface RankingAccuracy {
  vsLabels: number;
  pairs: number;
  vsOracle?: number;
  oraclePairs?: number;
  /** The oracle's own accuracy vs the labels on the same pairs (ties ½): the ceiling label noise leaves. */
  oracleVsLabels?: number;
}

/**
 * Scores every completion of `items` once and compares: for each labelled pair, 1 if the RM scores the winner
 * higher, ½ if equal; with an oracle, the same over all completion pairs whose oracle scores differ. NaN when
 * there are no pairs.
 */
export async function rankingAccuracy(
  sessions: SessionCache,
  cfg: ModelConfig,
  weights: Readonly<Weights>,
  items: readonly TokenizedRanking[],
  shape: { rows: number; seq: number },
  padId: number,
  oracle?: (prompt: string, completion: string) => number,
): Promise<RankingAccuracy> {
  const scores = await scoreRewards(sessions, cfg, weights, items.flatMap((r) => r.sequences), shape, padId);
  const cmp = (a: number, b: number): number => (a > b ? 1 : a === b ? 0.5 : 0);
  let hits = 0;
  let pairs = 0;
  let oHits = 0;
  let oPairs = 0;
  let ceiling = 0;
  let at = 0;
  for (const r of items) {
    const k = r.sequences.length;
    const s = scores.subarray(at, at + k);
    at += k;
    const os = oracle ? r.source.completions.map((c) => oracle(r.source.prompt, c)) : [];
    for (const p of pairsFromRanking(r.source.ranking, k)) {
      hits += cmp(s[p.winner], s[p.loser]);
      if (oracle) ceiling += Math.abs(os[p.winner] - os[p.loser]) <= 1e-9 ? 0.5 : os[p.winner] > os[p.loser] ? 1 : 0;
      pairs++;
    }
    if (oracle) {
      for (let i = 0; i < k; i++) {
        for (let j = i + 1; j < k; j++) {
          if (Math.abs(os[i] - os[j]) <= 1e-9) continue;
          oHits += os[i] > os[j] ? cmp(s[i], s[j]) : cmp(s[j], s[i]);
          oPairs++;
        }
      }
    }
  }
  return {
    vsLabels: pairs ? hits / pairs : NaN,
    pairs,
    ...(oracle ? { vsOracle: oPairs ? oHits / oPairs : NaN, oraclePairs: oPairs, oracleVsLabels: pairs ? ceiling / pairs : NaN } : {}),
  };
}
