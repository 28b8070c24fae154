import type * as ort from 'onnxruntime-node';
import type { Graph } from '../autodiff/graph';
import { type TrainerState, TRAINER_STATE_FORMAT, deserializeTrainerState } from '../checkpoint/trainer-state';
import type { ModelBundle } from '../models/bundle';
import { type ModelConfig, validateModelConfig } from '../models/config';
import { gptForward } from '../models/gpt';
import { type Weights, cloneWeights, initGptWeights } from '../models/init';
import { paramShapes } from '../models/param-names';
import { PLATFORM_SESSION_OPTIONS, SessionCache } from '../models/session-cache';
import { type SessionOptions, toOrt } from '../onnx/session';
import { AdamW } from '../optim/adamw';
import { warmupCosine } from '../optim/schedule';
import type { Tokenizer } from '../tokenizer/tokenizer';
import type { Seed } from '../util/rng';
import { DataOrder, type DataOrderState } from './data-order';
import { type EncodedExample, type SftExample, type TokenBatch, encodeSftExamples, packLmBatch } from './lm-batch';
import { type LossGraph, Program, optimizerStep } from './train-step';

/** Metrics of one SFT step (evalLoss and the onEval extras only on evaluation steps). */
export interface SftMetrics {
  /** Mean cross-entropy (nats/token) over the batch's completion tokens. */
  loss: number;
  lr: number;
  /** Global gradient norm before clipping. */
  gradNorm: number;
  /** Completion tokens in the batch. */
  tokens: number;
  /** Padded sequence length of the batch. */
  seq: number;
  /** Wall time of the step (graph run + update), ms. */
  stepMs: number;
  /** Token-weighted mean loss on the evaluation examples. */
  evalLoss?: number;
  /** Whatever `onEval` returned, on evaluation steps. */
  eval?: Record<string, number>;
}

/** What SFT trains. */
export interface SftInput {
  config: ModelConfig;
  tokenizer: Tokenizer;
  /** Demonstrations (rendered prompt and completion text). */
  examples: readonly SftExample[];
  /** Starting weights (default: `initGptWeights(config, seed)`); heads other than the LM head are ignored. */
  initWeights?: Readonly<Weights>;
}

/** Options of {@link trainSft}. Those marked * shape the numbers and must match when resuming. */
export interface SftOptions {
  /** * Total optimizer updates (the schedule spans them). */
  steps: number;
  /** * Examples per update. */
  batchSize: number;
  /** * Peak learning rate. */
  lr: number;
  /** * Linear warm-up updates (default 5% of steps). */
  warmupSteps?: number;
  /** * Cosine floor (default lr / 10). */
  minLr?: number;
  /** * AdamW decoupled weight decay on matrices and embeddings (default 0.1). */
  weightDecay?: number;
  /** * Global-norm gradient clipping (default 1; 0 = off). */
  gradClip?: number;
  /** * Seed of the initial weights (unless given) and of the data order. */
  seed: Seed;
  /** * Sequence-length bucket: batches are padded to a multiple of it (default 8). */
  bucket?: number;
  /** Evaluate every this many steps (and at the last step) when there are evalExamples (default 0 = last only). */
  evalEvery?: number;
  /** Held-out demonstrations for the evaluation loss. */
  evalExamples?: readonly SftExample[];
  /** Extra evaluation (e.g. sampling and scoring with the task's oracle) on the current weights. */
  onEval?: (step: number, weights: Readonly<Weights>) => Promise<Record<string, number>> | Record<string, number>;
  /** Called after every step. */
  onProgress?: (step: number, metrics: SftMetrics) => void | Promise<void>;
  /** Call onCheckpoint every this many steps (default 0 = never). */
  checkpointEvery?: number;
  onCheckpoint?: (state: TrainerState) => void | Promise<void>;
  /** Continue a run from a checkpoint (its object or serialised bytes); bit-identical to never having stopped. */
  resumeFrom?: TrainerState | Uint8Array;
  /** Return after this step (the schedule still spans `steps`): for time-sliced activities and tests. */
  stopAfter?: number;
  /** Checked before every step; an aborted signal rejects with its reason. */
  signal?: AbortSignal;
  /** onnxruntime session options (default PLATFORM_SESSION_OPTIONS). */
  session?: SessionOptions;
}

/** Outcome of {@link trainSft}. */
export interface SftResult {
  /** The trained policy (config, tokenizer, weights, meta). */
  bundle: ModelBundle;
  /** Last step taken. */
  step: number;
  /** Per-step metrics of this call (a resumed run starts after the checkpoint). */
  history: ({ step: number } & SftMetrics)[];
  /** Wall time of this call, ms. */
  wallMs: number;
  /** Examples shortened to fit the context, and dropped because their prompt filled it. */
  truncated: number;
  dropped: number;
}

const TRAINER = 'sft';

/**
 * Supervised fine-tuning: next-token cross-entropy on each demonstration's completion and EOS, the prompt masked
 * out. AdamW with warm-up + cosine, global-norm clipping, seeded data order, static-shape graphs per length bucket.
 * A checkpoint holds weights, AdamW moments, step and data-order position: resuming continues bit-identically.
 */
export async function trainSft(input: SftInput, options: SftOptions): Promise<SftResult> {
  const t0 = performance.now();
  const cfg = validateModelConfig(input.config);
  const o = resolveOptions(options);
  const { tokenizer } = input;
  if (tokenizer.vocabSize > cfg.vocabSize) throw new Error(`trainSft: tokenizer has ${tokenizer.vocabSize} ids, the model ${cfg.vocabSize}`);
  const { encoded, truncated, dropped } = encodeSftExamples(tokenizer, input.examples, cfg.context);
  if (encoded.length === 0) throw new Error('trainSft: no usable examples');
  const evalEncoded = options.evalExamples ? encodeSftExamples(tokenizer, options.evalExamples, cfg.context).encoded : [];
  const runOptions = { ...o, examples: encoded.length, dataHash: hashExamples(input.examples) };

  // state: fresh or from the checkpoint
  let step = 0;
  let weights: Weights;
  let opt: AdamW;
  let order: DataOrder;
  const shapes = paramShapes(cfg);
  if (options.resumeFrom) {
    const st = options.resumeFrom instanceof Uint8Array ? deserializeTrainerState(options.resumeFrom) : options.resumeFrom;
    checkResume(st, cfg, runOptions);
    step = st.step;
    weights = cloneWeights(st.weights);
    opt = AdamW.fromState(st.optimizers.model);
    order = new DataOrder(encoded.length, `${String(o.seed)}:data`, st.data.order as unknown as DataOrderState);
  } else {
    const init = input.initWeights ?? initGptWeights(cfg, o.seed);
    weights = {};
    for (const { name, shape } of shapes) {
      const w = init[name];
      const n = shape.reduce((a, b) => a * b, 1);
      if (!w || w.length !== n) throw new Error(`trainSft: initial weight ${name} is missing or not [${shape.join(',')}]`);
      weights[name] = w.slice();
    }
    opt = new AdamW(shapes, { weightDecay: o.weightDecay });
    order = new DataOrder(encoded.length, `${String(o.seed)}:data`);
  }
  const schedule = warmupCosine({ peakLr: o.lr, warmupSteps: o.warmupSteps, totalSteps: o.steps, minLr: o.minLr });
  const cache = new SessionCache(options.session ?? PLATFORM_SESSION_OPTIONS);
  // one compiled program per length bucket (building the graph in JS costs milliseconds: not per step)
  const programs = new Map<string, Promise<Program>>();
  const program = (kind: 'train' | 'eval', batch: number, seq: number): Promise<Program> => {
    const key = `sft-${kind}:B${batch}:T${seq}`;
    let p = programs.get(key);
    if (!p) {
      p = Program.compile((g) => lossGraph(g, cfg, batch, seq), cache, key, { gradients: kind === 'train' });
      programs.set(key, p);
    }
    return p;
  };

  const history: SftResult['history'] = [];
  const last = Math.min(o.steps, options.stopAfter ?? o.steps);
  try {
    while (step < last) {
      if (options.signal?.aborted) throw options.signal.reason ?? new Error('trainSft: aborted');
      const s0 = performance.now();
      const batch = packLmBatch(order.next(o.batchSize).map((i) => encoded[i]), o.batchSize, o.bucket, cfg.context, tokenizer.padId);
      const res = await (await program('train', o.batchSize, batch.seq)).run(weights, batchFeeds(batch));
      const lr = schedule(step + 1);
      const gradNorm = optimizerStep(opt, weights, res.grads, { lr, clip: o.gradClip });
      step++;
      const metrics: SftMetrics = { loss: res.loss, lr, gradNorm, tokens: batch.tokens, seq: batch.seq, stepMs: performance.now() - s0 };
      const evalNow = step === o.steps || (options.evalEvery ? step % options.evalEvery === 0 : false);
      if (evalNow && evalEncoded.length > 0) metrics.evalLoss = await evaluateLoss((seq) => program('eval', EVAL_BATCH, seq), cfg, weights, evalEncoded, o.bucket, tokenizer.padId);
      if (evalNow && options.onEval) metrics.eval = await options.onEval(step, weights);
      history.push({ step, ...metrics });
      await options.onProgress?.(step, metrics);
      if (options.checkpointEvery && options.onCheckpoint && step % options.checkpointEvery === 0) {
        await options.onCheckpoint(checkpoint(step, cfg, tokenizer, weights, opt, order, runOptions));
      }
    }
  } finally {
    await cache.clear();
  }
  return {
    bundle: { config: cfg, tokenizer: tokenizer.toJSON(), weights: cloneWeights(weights), meta: { trainer: TRAINER, step: String(step), seed: String(o.seed) } },
    step,
    history,
    wallMs: performance.now() - t0,
    truncated,
    dropped,
  };
}

/** The SFT loss: masked next-token cross-entropy of the policy on a [batch, seq] bucket. */
function lossGraph(g: Graph, cfg: ModelConfig, batch: number, seq: number): LossGraph {
  const m = gptForward(g, cfg, { batch, seq });
  const targets = g.input('targets', [batch, seq], 'int64');
  const mask = g.input('loss_mask', [batch, seq]);
  return { loss: g.crossEntropy(m.logits, targets, mask) };
}

function batchFeeds(b: TokenBatch): Record<string, ort.Tensor> {
  return {
    input_ids: toOrt(b.inputIds, [b.batch, b.seq]),
    targets: toOrt(b.targets, [b.batch, b.seq]),
    loss_mask: toOrt(b.lossMask, [b.batch, b.seq]),
  };
}

const EVAL_BATCH = 32;

/** Token-weighted mean cross-entropy of the completion tokens of `examples`. */
async function evaluateLoss(program: (seq: number) => Promise<Program>, cfg: ModelConfig, weights: Weights, examples: readonly EncodedExample[], bucket: number, pad: number): Promise<number> {
  let sum = 0;
  let tokens = 0;
  for (let i = 0; i < examples.length; i += EVAL_BATCH) {
    const batch = packLmBatch(examples.slice(i, i + EVAL_BATCH), EVAL_BATCH, bucket, cfg.context, pad);
    const res = await (await program(batch.seq)).run(weights, batchFeeds(batch));
    sum += res.loss * batch.tokens;
    tokens += batch.tokens;
  }
  return sum / Math.max(tokens, 1);
}

type ResolvedOptions = Required<Pick<SftOptions, 'steps' | 'batchSize' | 'lr' | 'warmupSteps' | 'minLr' | 'weightDecay' | 'gradClip' | 'bucket'>> & { seed: string | number };

function resolveOptions(o: SftOptions): ResolvedOptions {
  const int = (name: string, v: number, min: number): number => {
    if (!Number.isInteger(v) || v < min) throw new Error(`trainSft: ${name} must be an integer ≥ ${min}, got ${v}`);
    return v;
  };
  const steps = int('steps', o.steps, 1);
  const seed = typeof o.seed === 'bigint' ? o.seed.toString() : o.seed;
  if (seed === undefined) throw new Error('trainSft: seed is required');
  const r: ResolvedOptions = {
    steps,
    batchSize: int('batchSize', o.batchSize, 1),
    lr: o.lr,
    warmupSteps: int('warmupSteps', o.warmupSteps ?? Math.round(steps * 0.05), 0),
    minLr: o.minLr ?? o.lr / 10,
    weightDecay: o.weightDecay ?? 0.1,
    gradClip: o.gradClip ?? 1,
    bucket: int('bucket', o.bucket ?? 8, 1),
    seed,
  };
  if (!(r.lr > 0)) throw new Error(`trainSft: lr must be positive, got ${r.lr}`);
  if (r.warmupSteps > steps) throw new Error(`trainSft: warmupSteps ${r.warmupSteps} exceeds steps ${steps}`);
  return r;
}

function checkResume(st: TrainerState, cfg: ModelConfig, runOptions: Record<string, unknown>): void {
  if (st.format !== TRAINER_STATE_FORMAT) throw new Error(`trainSft: resumeFrom is not a trainer state (format ${String(st.format)})`);
  if (st.trainer !== TRAINER) throw new Error(`trainSft: resumeFrom was written by the ${JSON.stringify(st.trainer)} trainer, not ${TRAINER}`);
  if (JSON.stringify(st.config) !== JSON.stringify(cfg)) throw new Error(`trainSft: resumeFrom is for model ${JSON.stringify(st.config)}, not ${JSON.stringify(cfg)}`);
  for (const [k, v] of Object.entries(runOptions)) {
    if (JSON.stringify(st.options[k]) !== JSON.stringify(v)) {
      throw new Error(`trainSft: option ${k} is ${JSON.stringify(v)} but the checkpoint was made with ${JSON.stringify(st.options[k])}; a resumed run must use the same options`);
    }
  }
  if (!st.optimizers.model) throw new Error('trainSft: resumeFrom has no optimizer state "model"');
}

function checkpoint(step: number, cfg: ModelConfig, tokenizer: Tokenizer, weights: Weights, opt: AdamW, order: DataOrder, runOptions: Record<string, unknown>): TrainerState {
  return {
    format: TRAINER_STATE_FORMAT,
    trainer: TRAINER,
    step,
    config: cfg,
    tokenizer: tokenizer.toJSON(),
    weights: cloneWeights(weights),
    optimizers: { model: opt.exportState() },
    rng: {},
    data: { order: { ...order.state() } },
    options: JSON.parse(JSON.stringify(runOptions)),
  };
}

/** FNV-1a over the examples' text: a resumed run must train on the same data. */
function hashExamples(examples: readonly SftExample[]): string {
  let h = 0x811c9dc5;
  const mix = (s: string): void => {
    for (let i = 0; i < s.length; i++) {
      h ^= s.charCodeAt(i);
      h = Math.imul(h, 0x01000193) >>> 0;
    }
    h ^= 0xff;
    h = Math.imul(h, 0x01000193) >>> 0;
  };
  for (const e of examples) {
    mix(e.prompt);
    mix(e.completion);
  }
  return h.toString(16).padStart(8, '0');
}
