/**
 * DPO (Rafailov et al. 2023) on the same K-way rankings as the reward model, as the alternative to RM + PPO.
 * The implicit reward of a completion y is r(y) = β·(log π(y|x) − log π_ref(y|x)), and each ranking is one batch
 * element whose K completions are forwarded once, with loss −1/P Σ_pairs log σ(r_w − r_l) over its P non-tied
 * pairs: per pair exactly DPO's −log σ(β((π_w − ref_w) − (π_l − ref_l))), grouped by prompt as InstructGPT groups
 * the RM's comparisons. The reference is frozen (its log-probs are computed once). Held-out rankings (split by
 * prompt, seeded) give the preference accuracy of the implicit reward and its mean margin.
 */
import type { TrainerState } from '../checkpoint/trainer-state';
import type { ModelBundle } from '../models/bundle';
import { gptForward } from '../models/gpt';
import { type Weights, cloneWeights } from '../models/init';
import { paramShapes } from '../models/param-names';
import { PLATFORM_SESSION_OPTIONS, SessionCache } from '../models/session-cache';
import { toOrt } from '../onnx/session';
import { AdamW } from '../optim/adamw';
import { createTaskFormat } from '../task/format';
import { Tokenizer } from '../tokenizer/tokenizer';
import { Rng } from '../util/rng';
import { EpochBatches } from './epoch-batches';
import { rankingLoss, sequenceLogProbs } from './losses';
import { type TokenizedRanking, packRankingBatch, rankingBatchSizes } from './ranking-batch';
import { type RankedCompletions, pairsFromRanking } from './ranking-pairs';
import type { RankingTrainerOptions } from './ranking-trainer-options';
import { TRAINER_STATE_FORMAT, checkResumeState, jsonOptions, readResumeState } from './resume-state';
import { prepareRankingRun } from './ranking-run';
import type { TrainerProgress } from './reward-model';
import { scoreCompletionTokens } from './scoring';
import { Program, optimizerStep } from './train-step';

/** `TrainerState.trainer` of DPO checkpoints. */
export const DPO_TRAINER = 'dpo';

/** Options of {@link runDpo}; every one has a default. */
export interface DpoOptions extends RankingTrainerOptions {
  /** Strength of the implicit KL constraint (default 0.1). */
  beta?: number;
  onProgress?: (p: TrainerProgress & { margin?: number; accuracy?: number }) => void | Promise<void>;
}

/** What {@link runDpo} measured. */
export interface DpoMetrics {
  /** Mean loss over the last 10% of updates. */
  finalLoss: number;
  /** Held-out pairs where the implicit reward prefers the labelled winner (ties ½). */
  heldoutAccuracy: number;
  /** Mean implicit reward margin β·((π_w − ref_w) − (π_l − ref_l)) on held-out pairs. */
  heldoutMargin: number;
  /** The same on the training rankings at the end. */
  trainAccuracy: number;
  trainMargin: number;
  heldoutPairs: number;
  pairsUsed: number;
  steps: number;
  /** Per-update loss, batch margin and batch accuracy (this call's updates and any before a resume). */
  history: { step: number; loss: number; margin: number; accuracy: number }[];
}

export interface DpoResult {
  policy: ModelBundle;
  metrics: DpoMetrics;
  checkpoint: TrainerState;
}

const DEFAULTS = { beta: 0.1, epochs: 2, batch: 8, lr: 5e-5, weightDecay: 0, maxGradNorm: 1, heldoutShare: 0.2, seed: 1, progressEvery: 10 };

/** Trains `policy` with DPO on `rankings` against the frozen `reference`. */
export async function runDpo(input: { policy: ModelBundle; reference: ModelBundle; rankings: readonly RankedCompletions[] }, options: DpoOptions = {}): Promise<DpoResult> {
  const o = { ...DEFAULTS, ...Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) } as typeof DEFAULTS & DpoOptions;
  const cfg = input.policy.config;
  if (JSON.stringify(input.reference.config) !== JSON.stringify(cfg)) throw new Error('runDpo: policy and reference configs differ');
  if (!(o.beta > 0)) throw new Error(`runDpo: beta must be positive, got ${o.beta}`);
  const { rankings } = input;
  const tokenizer = Tokenizer.fromJSON(input.policy.tokenizer);
  const format = o.format ?? createTaskFormat();
  const sessions = o.sessions ?? new SessionCache(PLATFORM_SESSION_OPTIONS);
  const run = prepareRankingRun('runDpo', rankings, { config: cfg, tokenizer, format }, o);
  const { train: trainT, heldout: heldT, shape, steps, schedule } = run;
  const { kMax } = shape;
  const warmup = Math.min(run.warmup, steps);
  const runOptions = jsonOptions({
    beta: o.beta, steps, batch: shape.batch, lr: o.lr, warmupSteps: warmup, weightDecay: o.weightDecay, maxGradNorm: o.maxGradNorm, heldoutShare: o.heldoutShare, seed: o.seed,
    data: run.dataHash,
  });

  // reference log-probs of every completion, once
  const scoreShape = { rows: 32, seq: shape.seq };
  const refLogp = async (items: TokenizedRanking[]): Promise<Float32Array[]> => {
    const lp = await scoreCompletionTokens(sessions, cfg, input.reference.weights, items.flatMap((r) => r.sequences), scoreShape, tokenizer.padId);
    const sums = lp.logProbs.map((x) => x.reduce((s, v) => s + v, 0));
    const out: Float32Array[] = [];
    let at = 0;
    for (const r of items) {
      out.push(Float32Array.from(sums.slice(at, at + r.sequences.length)));
      at += r.sequences.length;
    }
    return out;
  };
  const trainRef = await refLogp(trainT);
  const heldRef = await refLogp(heldT);

  const { rows, pairs } = rankingBatchSizes(shape);
  const beta = o.beta;
  const program = await Program.compile(
    (g) => {
      const m = gptForward(g, cfg, { batch: rows, seq: shape.seq });
      const logp = sequenceLogProbs(g, m.logits, g.input('targets', [rows, shape.seq], 'int64'), g.input('loss_mask', [rows, shape.seq]));
      const rewards = g.mul(g.sub(logp, g.input('ref_logp', [rows])), beta);
      const { loss, margins } = rankingLoss(g, rewards, g.input('winners', [pairs], 'int64'), g.input('losers', [pairs], 'int64'), g.input('pair_weights', [pairs]));
      return { loss, outputs: { margins, rewards } };
    },
    sessions,
    `dpo-train:${cfg.vocabSize}.${cfg.context}.${cfg.width}.${cfg.layers}.${cfg.heads}:R${rows}:P${pairs}:T${shape.seq}:b${beta}`,
  );
  const evalProgram = await Program.compile(
    (g) => {
      const m = gptForward(g, cfg, { batch: rows, seq: shape.seq });
      const logp = sequenceLogProbs(g, m.logits, g.input('targets', [rows, shape.seq], 'int64'), g.input('loss_mask', [rows, shape.seq]));
      return { loss: g.sum(logp), outputs: { logp } };
    },
    sessions,
    `dpo-eval:${cfg.vocabSize}.${cfg.context}.${cfg.width}.${cfg.layers}.${cfg.heads}:R${rows}:T${shape.seq}`,
    { gradients: false },
  );

  let weights: Weights;
  let opt: AdamW;
  let start = 0;
  let history: DpoMetrics['history'] = [];
  const policyParams = paramShapes(cfg);
  if (o.resumeFrom) {
    const st = readResumeState(o.resumeFrom);
    checkResumeState(st, DPO_TRAINER, cfg, runOptions, ['policy']);
    weights = cloneWeights(st.weights);
    opt = AdamW.fromState(st.optimizers.policy);
    start = st.step;
    history = (st.data.history as DpoMetrics['history']).map((h) => ({ ...h }));
  } else {
    weights = cloneWeights(Object.fromEntries(policyParams.map((p) => [p.name, input.policy.weights[p.name]])));
    opt = new AdamW(policyParams, { lr: o.lr, weightDecay: o.weightDecay });
  }
  const checkpoint = (step: number): TrainerState => ({
    format: TRAINER_STATE_FORMAT,
    trainer: DPO_TRAINER,
    step,
    config: cfg,
    tokenizer: input.policy.tokenizer,
    weights: cloneWeights(weights),
    optimizers: { policy: opt.exportState() },
    rng: {},
    data: { history: history.map((h) => ({ ...h })) },
    options: runOptions,
  });

  const feedsOf = (items: TokenizedRanking[], refs: Float32Array[]) => {
    const b = packRankingBatch(items, shape, tokenizer.padId);
    const ref = new Float32Array(rows);
    items.forEach((_, i) => ref.set(refs[i], i * kMax));
    return {
      batch: b,
      feeds: {
        input_ids: toOrt(b.packed.inputIds, [rows, shape.seq]),
        targets: toOrt(b.packed.targets, [rows, shape.seq]),
        loss_mask: toOrt(b.packed.completionMask, [rows, shape.seq]),
        ref_logp: toOrt(ref, [rows]),
        winners: toOrt(b.winners, [pairs]),
        losers: toOrt(b.losers, [pairs]),
        pair_weights: toOrt(b.weights, [pairs]),
      },
    };
  };
  const batches = new EpochBatches(Rng.fromSeed(o.seed).fork('dpo-data'), trainT.length, shape.batch);
  let since: number[] = [];
  for (let step = start; step < steps; step++) {
    if (o.signal?.aborted) throw o.signal.reason ?? new Error('runDpo: aborted');
    const idx = batches.at(step);
    const { batch, feeds } = feedsOf(idx.map((i) => trainT[i]), idx.map((i) => trainRef[i]));
    const r = await program.run(weights, feeds);
    const lr = schedule(step + 1);
    optimizerStep(opt, weights, r.grads, { lr, clip: o.maxGradNorm });
    const margins = r.outputs.margins.data as Float32Array;
    let m = 0;
    let acc = 0;
    for (let p = 0; p < pairs; p++) {
      if (batch.weights[p] === 0) continue;
      m += margins[p];
      acc += margins[p] > 0 ? 1 : margins[p] === 0 ? 0.5 : 0;
    }
    const n = Math.max(batch.pairCount, 1);
    history.push({ step: step + 1, loss: r.loss, margin: m / n, accuracy: acc / n });
    since.push(r.loss);
    const done = step + 1;
    if (o.onProgress && (done % o.progressEvery === 0 || done === steps)) {
      const recent = history.slice(-since.length);
      await o.onProgress({ phase: 'train', step: done, steps, lr, loss: since.reduce((s, x) => s + x, 0) / since.length, margin: recent.reduce((s, h) => s + h.margin, 0) / recent.length, accuracy: recent.reduce((s, h) => s + h.accuracy, 0) / recent.length });
      since = [];
    }
    if (o.onCheckpoint && o.checkpointEvery && done % o.checkpointEvery === 0 && done < steps) await o.onCheckpoint(checkpoint(done));
  }

  if (o.onProgress) await o.onProgress({ phase: 'evaluate', step: steps, steps });
  const measure = async (items: TokenizedRanking[], refs: Float32Array[]) => {
    let acc = 0;
    let margin = 0;
    let count = 0;
    for (let i = 0; i < items.length; i += shape.batch) {
      const part = items.slice(i, i + shape.batch);
      const { feeds } = feedsOf(part, refs.slice(i, i + shape.batch));
      const r = await evalProgram.run(weights, feeds);
      const logp = r.outputs.logp.data as Float32Array;
      part.forEach((it, b) => {
        const rew = (j: number) => beta * (logp[b * kMax + j] - refs[i + b][j]);
        for (const p of pairsFromRanking(it.source.ranking, it.sequences.length)) {
          const d = rew(p.winner) - rew(p.loser);
          margin += d;
          acc += d > 0 ? 1 : d === 0 ? 0.5 : 0;
          count++;
        }
      });
    }
    return { accuracy: count ? acc / count : NaN, margin: count ? margin / count : NaN, pairs: count };
  };
  const held = await measure(heldT, heldRef);
  const tr = await measure(trainT, trainRef);
  const tail = history.slice(Math.max(0, history.length - Math.max(1, Math.ceil(steps * 0.1))));
  return {
    policy: { config: cfg, tokenizer: input.policy.tokenizer, weights: cloneWeights(weights), meta: { ...(input.policy.meta ?? {}), kind: 'policy', trainer: 'dpo', steps: String(steps), beta: String(beta) } },
    metrics: {
      finalLoss: tail.reduce((s, h) => s + h.loss, 0) / Math.max(tail.length, 1),
      heldoutAccuracy: held.accuracy,
      heldoutMargin: held.margin,
      trainAccuracy: tr.accuracy,
      trainMargin: tr.margin,
      heldoutPairs: held.pairs,
      pairsUsed: tr.pairs,
      steps,
      history,
    },
    checkpoint: checkpoint(steps),
  };
}
