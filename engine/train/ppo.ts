/**
 * PPO for language models, InstructGPT-style (Ouyang et al. 2022 §3.6; Ziegler et al. 2019; the details as in
 * TRL's PPOTrainer). Each iteration:
 *  1. samples one completion per prompt from the current policy (temperature 1, no top-k/top-p, so the behaviour
 *     policy is the policy), at most `maxNewTokens` tokens;
 *  2. scores them: reward model at the last token (normalised: SFT samples average 0), minus `missingEosPenalty`
 *     when the completion did not finish; log-probs under the policy and the frozen reference (SFT); values from
 *     a separate value network initialised from the reward model;
 *  3. per-token rewards −β·(log π − log π_ref) with the RM score added on the last token, GAE (γ, λ), advantages
 *     whitened over the rollout;
 *  4. `epochs` passes of shuffled minibatches: clipped surrogate (ε), clipped value loss, optional PPO-ptx
 *     (next-token loss on pretraining texts × ptxCoef added to the policy gradient), AdamW with clipping;
 *  5. updates β with the adaptive KL controller from the rollout's KL per sequence.
 * Every random draw of iteration i comes from Rng(seed).fork('iteration:i'), so a run resumed from a checkpoint
 * taken after iteration i continues bit-identically.
 */
import type * as ort from 'onnxruntime-node';
import type { ModelBundle } from '../models/bundle';
import { paramFeeds } from '../models/feeds';
import { type Weights, cloneWeights, valueModelFromReward } from '../models/init';
import { paramShapes } from '../models/param-names';
import { PLATFORM_SESSION_OPTIONS, SessionCache } from '../models/session-cache';
import { toOrt } from '../onnx/session';
import { AdamW } from '../optim/adamw';
import { clipScale, globalGradNorm } from '../optim/clip-grad';
import { Sampler } from '../sampling/sampler';
import { type TaskFormat, createTaskFormat } from '../task/format';
import { Tokenizer } from '../tokenizer/tokenizer';
import { Rng } from '../util/rng';
import { type KlControllerState, KlController } from './kl-controller';
import { VALUE_PREFIX, buildPpoGraph, buildPtxGraph } from './ppo-graph';
import { type Episode, buildEpisodes } from './ppo-rollout';
import { scoreCompletionTokens, scoreRewards, scoreValues } from './scoring';
import { type TokenizedSequence, bucketLength, packBatch, sequenceLength } from './sequences';
import { type ResumeFrom, TRAINER_STATE_FORMAT, type TrainerState, checkResumeState, jsonOptions, readResumeState } from './resume-state';

/** PPO hyper-parameters; every one has a default (see PPO_DEFAULTS). */
export interface PpoOptions {
  /** Rollout + update iterations. */
  iterations?: number;
  /** Completions sampled per iteration (one per prompt). */
  promptsPerIteration?: number;
  /** Completions per minibatch update. */
  minibatch?: number;
  /** Passes over each rollout. */
  epochs?: number;
  /** Policy learning rate (constant). */
  lr?: number;
  /** Value-network learning rate. */
  valueLr?: number;
  /** Ratio clip ε. */
  clip?: number;
  /** Value clip: one update moves a value at most this far from the rollout's. */
  valueClip?: number;
  /** Adaptive KL controller (Ziegler et al.): target KL in nats per sequence and horizon in episodes. */
  adaptiveKl?: boolean;
  klTarget?: number;
  klHorizon?: number;
  /** Initial (or fixed) KL coefficient β. */
  initKlCoef?: number;
  gamma?: number;
  gaeLambda?: number;
  /** Entropy bonus coefficient (0: entropy only logged). */
  entropyCoef?: number;
  /** PPO-ptx: coefficient γ of the pretraining loss (0 = off) and texts per minibatch. */
  ptxCoef?: number;
  ptxBatch?: number;
  /** Longest completion sampled, in tokens (the response-length cap). */
  maxNewTokens?: number;
  /** Subtracted from the RM score of completions that did not end with EOS. */
  missingEosPenalty?: number;
  /** Global gradient-norm clip for each network. */
  maxGradNorm?: number;
  weightDecay?: number;
  seed?: number;
}

/** Defaults, chosen on the built-in task (engine/README.md shows the measurements). */
export const PPO_DEFAULTS: Required<PpoOptions> = {
  iterations: 60,
  promptsPerIteration: 64,
  minibatch: 16,
  epochs: 4,
  lr: 1e-4,
  valueLr: 1e-4,
  clip: 0.2,
  valueClip: 0.2,
  adaptiveKl: true,
  klTarget: 6,
  klHorizon: 2000,
  initKlCoef: 0.1,
  gamma: 1,
  gaeLambda: 0.95,
  entropyCoef: 0,
  ptxCoef: 0,
  ptxBatch: 16,
  maxNewTokens: 24,
  missingEosPenalty: 1,
  maxGradNorm: 1,
  weightDecay: 0,
  seed: 1,
};

/** What PPO logs after every iteration. */
export interface PpoIterationMetrics {
  iteration: number;
  /** Mean RM score of the rollout's completions (normalised; before the missing-EOS penalty). */
  meanReward: number;
  /** Mean of score − β·KL (the objective PPO maximises, with the penalty). */
  meanObjective: number;
  /** Mean KL(π‖π_ref) per sequence, nats (Monte-Carlo over the rollout), and per completion token. */
  klPerSequence: number;
  klPerToken: number;
  /** β used for this rollout. */
  klCoef: number;
  /** Share of tokens whose clipped surrogate was the binding (larger) term, over all minibatches. */
  clipFraction: number;
  /** Mean policy entropy at the completion tokens, nats. */
  entropy: number;
  valueLoss: number;
  policyLoss: number;
  /** ½·E[(log π − log π_old)²] over the update minibatches (before each step). */
  approxKl: number;
  /** Mean completion length in tokens (EOS included). */
  responseLength: number;
  /** Share of completions that ended with EOS. */
  eosShare: number;
  /** Mean PPO-ptx loss (when ptxCoef > 0). */
  ptxLoss?: number;
  /** Wall time of the iteration, and of its sampling, scoring (four forward passes) and update parts. */
  seconds: number;
  sampleSeconds: number;
  scoreSeconds: number;
  updateSeconds: number;
}

/** `TrainerState.trainer` of PPO checkpoints. */
export const PPO_TRAINER = 'ppo';

/** Progress report of {@link runPpo}. */
export interface PpoProgress {
  iteration: number;
  iterations: number;
  metrics: PpoIterationMetrics;
}

/** Inputs of {@link runPpo}. */
export interface PpoInput {
  /** The policy to improve (the SFT model at the start of a round; a checkpoint's policy when resuming). */
  policy: ModelBundle;
  /** The frozen reference for the KL penalty (the SFT model). */
  reference: ModelBundle;
  /** The reward model (normalised). Also initialises the value network. */
  rewardModel: ModelBundle;
  /** Prompt texts to draw from, or a function drawing `n` of them with `rng` (e.g. balanced by kind). */
  prompts: readonly string[] | ((n: number, rng: Rng) => string[]);
  /** Texts for PPO-ptx (needed when ptxCoef > 0). */
  pretrainTexts?: readonly string[];
}

/** Run controls of {@link runPpo}. */
export interface PpoRunOptions extends PpoOptions {
  format?: TaskFormat;
  sessions?: SessionCache;
  onProgress?: (p: PpoProgress) => void | Promise<void>;
  /** Call onCheckpoint after every this many iterations (and never after the last). */
  checkpointEvery?: number;
  /**
   * A checkpoint (TrainerState, trainer 'ppo': policy weights + value weights prefixed `value.`, optimizers
   * policy/value, data { kl, history }) to continue from, with the same inputs and options: bit-identical.
   */
  onCheckpoint?: (state: TrainerState) => void | Promise<void>;
  resumeFrom?: ResumeFrom;
  /** Stop after this many iterations in total even if `iterations` is larger: one chunk of a longer run. */
  stopAfter?: number;
  /** Stop (with an error) when aborted, e.g. by an activity's cancellation. */
  signal?: AbortSignal;
}

/** What {@link runPpo} returns. */
export interface PpoResult {
  /** The tuned policy (no value head). */
  policy: ModelBundle;
  /** The value network (weights prefixed `value.`). */
  valueWeights: Weights;
  /** Metrics of every iteration run so far (including those before a resume). */
  history: PpoIterationMetrics[];
  /** β after the last iteration. */
  klCoef: number;
  /** Iterations done in total. */
  iterationsDone: number;
  /** The state to resume from (also when the run is complete). */
  checkpoint: TrainerState;
}

const sum = (xs: ArrayLike<number>): number => {
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += xs[i];
  return s;
};

/** Runs PPO; see the file comment for the algorithm. */
export async function runPpo(input: PpoInput, options: PpoRunOptions = {}): Promise<PpoResult> {
  const o: Required<PpoOptions> = { ...PPO_DEFAULTS, ...Object.fromEntries(Object.entries(options).filter(([k, v]) => v !== undefined && k in PPO_DEFAULTS)) };
  const cfg = input.policy.config;
  for (const [name, b] of [['reference', input.reference], ['rewardModel', input.rewardModel]] as const) {
    if (JSON.stringify(b.config) !== JSON.stringify(cfg)) throw new Error(`runPpo: ${name} config ${JSON.stringify(b.config)} differs from the policy's ${JSON.stringify(cfg)}`);
  }
  if (o.minibatch > o.promptsPerIteration) throw new Error(`runPpo: minibatch ${o.minibatch} exceeds promptsPerIteration ${o.promptsPerIteration}`);
  if (o.ptxCoef > 0 && !(input.pretrainTexts && input.pretrainTexts.length > 0)) throw new Error('runPpo: ptxCoef > 0 needs pretrainTexts');
  const tokenizer = Tokenizer.fromJSON(input.policy.tokenizer);
  const pad = tokenizer.padId;
  const format = options.format ?? createTaskFormat();
  const sessions = options.sessions ?? new SessionCache(PLATFORM_SESSION_OPTIONS);
  const runOptions = jsonOptions({ ...o });
  const end = Math.min(o.iterations, options.stopAfter ?? o.iterations);

  let policy: Weights;
  let value: Weights;
  let policyOpt: AdamW;
  let valueOpt: AdamW;
  let kl: KlController;
  let history: PpoIterationMetrics[] = [];
  let start = 0;
  const policyParams = paramShapes(cfg);
  const valueParams = paramShapes(cfg, { valueHead: true }, VALUE_PREFIX);
  if (options.resumeFrom) {
    const r = readResumeState(options.resumeFrom);
    checkResumeState(r, PPO_TRAINER, cfg, runOptions, ['policy', 'value']);
    policy = {};
    value = {};
    for (const [name, data] of Object.entries(r.weights)) (name.startsWith(VALUE_PREFIX) ? value : policy)[name] = data.slice();
    policyOpt = AdamW.fromState(r.optimizers.policy);
    valueOpt = AdamW.fromState(r.optimizers.value);
    kl = KlController.fromState(r.data.kl as unknown as KlControllerState);
    history = (r.data.history as unknown as PpoIterationMetrics[]).map((h) => ({ ...h }));
    start = r.step;
  } else {
    const trunk = Object.fromEntries(policyParams.map((p) => [p.name, input.policy.weights[p.name]]));
    policy = cloneWeights(trunk);
    value = valueModelFromReward(input.rewardModel.weights, VALUE_PREFIX);
    policyOpt = new AdamW(policyParams, { lr: o.lr, weightDecay: o.weightDecay });
    valueOpt = new AdamW(valueParams, { lr: o.valueLr, weightDecay: o.weightDecay });
    kl = new KlController({ initCoef: o.initKlCoef, adaptive: o.adaptiveKl, target: o.klTarget, horizon: o.klHorizon });
  }
  const reference = input.reference.weights;
  const rm = input.rewardModel.weights;
  const promptOf = (n: number, rng: Rng): string[] => {
    if (typeof input.prompts === 'function') return input.prompts(n, rng);
    const list = input.prompts;
    if (list.length === 0) throw new Error('runPpo: no prompts');
    return Array.from({ length: n }, () => list[rng.int(list.length)]);
  };
  const ptxSeqs = (input.pretrainTexts ?? []).map((t): TokenizedSequence => {
    const ids = [...tokenizer.encode(t, { allowSpecial: false }), tokenizer.eosId].slice(0, cfg.context);
    // the whole text is the "completion": a one-token BOS-like prompt is the EOS id, as GPT-2 pretraining separates texts
    return { prompt: [tokenizer.eosId], completion: ids.slice(0, cfg.context - 1) };
  });

  const sampler = await Sampler.create({ config: cfg, tokenizer, weights: policy }, { batchSize: Math.min(64, o.promptsPerIteration) });
  const scoreRows = o.minibatch;
  const checkpoint = (done: number): TrainerState => ({
    format: TRAINER_STATE_FORMAT,
    trainer: PPO_TRAINER,
    step: done,
    config: cfg,
    tokenizer: input.policy.tokenizer,
    weights: { ...cloneWeights(policy), ...cloneWeights(value) },
    optimizers: { policy: policyOpt.exportState(), value: valueOpt.exportState() },
    rng: {},
    data: JSON.parse(JSON.stringify({ kl: kl.state(), history })),
    options: runOptions,
  });

  try {
    for (let it = start; it < end; it++) {
      if (options.signal?.aborted) throw options.signal.reason ?? new Error('runPpo: aborted');
      const t0 = performance.now();
      const rng = Rng.fromSeed(o.seed).fork(`iteration:${it}`);
      // 1. rollout
      const prompts = promptOf(o.promptsPerIteration, rng.fork('prompts'));
      const promptIds = prompts.map((p) => tokenizer.encode(format.renderPrompt(p), { allowSpecial: false }));
      for (const [i, ids] of promptIds.entries()) {
        if (ids.length + 1 > cfg.context) throw new Error(`runPpo: prompt ${JSON.stringify(prompts[i])} has ${ids.length} tokens, no room in the context of ${cfg.context}`);
      }
      if (it > start) await sampler.setWeights(policy);
      const gens = await sampler.generate(promptIds, { maxNewTokens: o.maxNewTokens, seed: rng.fork('sample').nextUint32(), temperature: 1 });
      const seqs: TokenizedSequence[] = gens.map((gen, i) => ({ prompt: promptIds[i], completion: gen.tokens }));
      const finished = gens.map((gen) => gen.finishReason === 'eos');
      const seq = bucketLength(Math.max(...seqs.map(sequenceLength)), 8, cfg.context);
      const shape = { rows: scoreRows, seq };

      const tSampled = performance.now();
      // 2. scores
      const [cur, ref, values, scores] = [
        await scoreCompletionTokens(sessions, cfg, policy, seqs, shape, pad),
        await scoreCompletionTokens(sessions, cfg, reference, seqs, shape, pad),
        await scoreValues(sessions, cfg, value, seqs, shape, pad, VALUE_PREFIX),
        await scoreRewards(sessions, cfg, rm, seqs, shape, pad),
      ];
      const beta = kl.coef;
      // 3. rewards, GAE, whitening
      const episodes = buildEpisodes(
        seqs.map((sequence, i) => ({ sequence, finished: finished[i], oldLogProbs: cur.logProbs[i], refLogProbs: ref.logProbs[i], values: values[i], score: scores[i] })),
        { beta, gamma: o.gamma, lambda: o.gaeLambda, missingEosPenalty: o.missingEosPenalty },
      );

      const tScored = performance.now();
      // 4. update
      const upd = await updateEpochs(episodes, { o, cfg, sessions, seq, pad, policy, value, policyOpt, valueOpt, rng, ptxSeqs });

      const tUpdated = performance.now();
      // 5. KL controller
      const klSeq = sum(episodes.map((e) => e.kl)) / episodes.length;
      const tokens = sum(episodes.map((e) => e.sequence.completion.length));
      kl.update(klSeq, episodes.length);
      const metrics: PpoIterationMetrics = {
        iteration: it + 1,
        meanReward: sum(scores) / scores.length,
        meanObjective: sum(episodes.map((e) => e.finalReward - beta * e.kl)) / episodes.length,
        klPerSequence: klSeq,
        klPerToken: sum(episodes.map((e) => e.kl)) / tokens,
        klCoef: beta,
        clipFraction: upd.clipFraction,
        entropy: upd.entropy,
        valueLoss: upd.valueLoss,
        policyLoss: upd.policyLoss,
        approxKl: upd.approxKl,
        responseLength: tokens / episodes.length,
        eosShare: finished.filter(Boolean).length / finished.length,
        ...(upd.ptxLoss !== undefined ? { ptxLoss: upd.ptxLoss } : {}),
        seconds: (performance.now() - t0) / 1000,
        sampleSeconds: (tSampled - t0) / 1000,
        scoreSeconds: (tScored - tSampled) / 1000,
        updateSeconds: (tUpdated - tScored) / 1000,
      };
      history.push(metrics);
      if (options.onProgress) await options.onProgress({ iteration: it + 1, iterations: o.iterations, metrics });
      const done = it + 1;
      if (options.onCheckpoint && options.checkpointEvery && done % options.checkpointEvery === 0 && done < end) await options.onCheckpoint(checkpoint(done));
    }
  } finally {
    await sampler.release();
  }
  return {
    policy: { config: cfg, tokenizer: input.policy.tokenizer, weights: cloneWeights(policy), meta: { ...(input.policy.meta ?? {}), kind: 'policy', trainer: 'ppo', iterations: String(Math.max(start, end)) } },
    valueWeights: cloneWeights(value),
    history,
    klCoef: kl.coef,
    iterationsDone: Math.max(start, end),
    checkpoint: checkpoint(Math.max(start, end)),
  };
}

interface UpdateContext {
  o: Required<PpoOptions>;
  cfg: ModelBundle['config'];
  sessions: SessionCache;
  seq: number;
  pad: number;
  policy: Weights;
  value: Weights;
  policyOpt: AdamW;
  valueOpt: AdamW;
  rng: Rng;
  ptxSeqs: readonly TokenizedSequence[];
}

interface UpdateStats {
  clipFraction: number;
  entropy: number;
  valueLoss: number;
  policyLoss: number;
  approxKl: number;
  ptxLoss?: number;
}

/** `epochs` passes of shuffled minibatches over the rollout; returns token-weighted statistics. */
async function updateEpochs(episodes: readonly Episode[], c: UpdateContext): Promise<UpdateStats> {
  const { o, cfg, seq, pad } = c;
  const B = o.minibatch;
  const cfgKey = `${cfg.vocabSize}.${cfg.context}.${cfg.width}.${cfg.layers}.${cfg.heads}`;
  const graphOpts = { clip: o.clip, valueClip: o.valueClip, entropyCoef: o.entropyCoef };
  const built = { policyParams: paramShapes(cfg), valueParams: paramShapes(cfg, { valueHead: true }, VALUE_PREFIX) };
  const session = await c.sessions.get(`ppo-train:${cfgKey}:B${B}:T${seq}:${JSON.stringify(graphOpts)}`, () => buildPpoGraph(cfg, B, seq, graphOpts).bytes);
  let ptxSession: ort.InferenceSession | undefined;
  const ptxSeq = c.ptxSeqs.length ? bucketLength(Math.max(...c.ptxSeqs.map(sequenceLength)), 8, cfg.context) : 0;
  if (o.ptxCoef > 0) ptxSession = await c.sessions.get(`ppo-ptx:${cfgKey}:B${o.ptxBatch}:T${ptxSeq}`, () => buildPtxGraph(cfg, o.ptxBatch, ptxSeq).bytes);
  const feeds = paramFeeds([...built.policyParams, ...built.valueParams], { ...c.policy, ...c.value });
  const ptxFeeds = ptxSession ? paramFeeds(built.policyParams, c.policy) : {};

  let tokenCount = 0;
  let clipped = 0;
  let entropySum = 0;
  let valueLossSum = 0;
  let policyLossSum = 0;
  let approxKlSum = 0;
  let ptxSum = 0;
  let ptxRuns = 0;
  const n = B * seq;
  const ptxRng = c.rng.fork('ptx');
  for (let epoch = 0; epoch < o.epochs; epoch++) {
    const order = c.rng.fork(`minibatches:${epoch}`).shuffle([...episodes.keys()]);
    for (let at = 0; at < order.length; at += B) {
      const mb = order.slice(at, at + B).map((i) => episodes[i]);
      const packed = packBatch(mb.map((e) => e.sequence), B, seq, pad);
      const oldLogp = new Float32Array(n);
      const adv = new Float32Array(n);
      const ret = new Float32Array(n);
      const oldV = new Float32Array(n);
      mb.forEach((e, r) => {
        const from = r * seq + e.sequence.prompt.length - 1;
        oldLogp.set(e.oldLogProbs, from);
        adv.set(e.advantages, from);
        ret.set(e.returns, from);
        oldV.set(e.values, from);
      });
      const out = await session.run({
        ...feeds,
        input_ids: toOrt(packed.inputIds, [B, seq]),
        targets: toOrt(packed.targets, [B, seq]),
        loss_mask: toOrt(packed.completionMask, [B, seq]),
        old_logp: toOrt(oldLogp, [B, seq]),
        advantages: toOrt(adv, [B, seq]),
        returns: toOrt(ret, [B, seq]),
        old_values: toOrt(oldV, [B, seq]),
      });
      // statistics from the pre-step forward (TRL's definitions)
      const logp = out.logp.data as Float32Array;
      const mask = packed.completionMask;
      let tok = 0;
      for (let i = 0; i < n; i++) {
        if (mask[i] === 0) continue;
        tok++;
        const d = logp[i] - oldLogp[i];
        const ratio = Math.exp(d);
        approxKlSum += 0.5 * d * d;
        const a = adv[i];
        const unclipped = -a * ratio;
        const clippedTerm = -a * Math.min(Math.max(ratio, 1 - o.clip), 1 + o.clip);
        if (clippedTerm > unclipped) clipped++;
      }
      tokenCount += tok;
      entropySum += Number(out.entropy.data[0]) * tok;
      valueLossSum += Number(out.value_loss.data[0]) * tok;
      policyLossSum += Number(out.policy_loss.data[0]) * tok;

      const pGrads: Record<string, Float32Array> = {};
      for (const p of built.policyParams) pGrads[p.name] = out[`grad.${p.name}`].data as Float32Array;
      if (ptxSession) {
        const rows = Array.from({ length: o.ptxBatch }, () => c.ptxSeqs[ptxRng.int(c.ptxSeqs.length)]);
        const pb = packBatch(rows, o.ptxBatch, ptxSeq, pad);
        const po = await ptxSession.run({ ...ptxFeeds, input_ids: toOrt(pb.inputIds, [o.ptxBatch, ptxSeq]), targets: toOrt(pb.targets, [o.ptxBatch, ptxSeq]), loss_mask: toOrt(pb.completionMask, [o.ptxBatch, ptxSeq]) });
        ptxSum += Number(po.loss.data[0]);
        ptxRuns++;
        for (const p of built.policyParams) {
          const g = pGrads[p.name].slice();
          const extra = po[`grad.${p.name}`].data as Float32Array;
          for (let i = 0; i < g.length; i++) g[i] += o.ptxCoef * extra[i];
          pGrads[p.name] = g;
        }
      }
      const vGrads: Record<string, Float32Array> = {};
      for (const p of built.valueParams) vGrads[p.name] = out[`grad.${p.name}`].data as Float32Array;
      c.policyOpt.step(c.policy, pGrads, { lr: o.lr, gradScale: clipScale(globalGradNorm(Object.values(pGrads)), o.maxGradNorm) });
      c.valueOpt.step(c.value, vGrads, { lr: o.valueLr, gradScale: clipScale(globalGradNorm(Object.values(vGrads)), o.maxGradNorm) });
    }
  }
  const t = Math.max(tokenCount, 1);
  return {
    clipFraction: clipped / t,
    entropy: entropySum / t,
    valueLoss: valueLossSum / t,
    policyLoss: policyLossSum / t,
    approxKl: approxKlSum / t,
    ...(ptxRuns ? { ptxLoss: ptxSum / ptxRuns } : {}),
  };
}
