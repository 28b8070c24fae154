import type * as ort from 'onnxruntime-node';
import { type ModelConfig, validateModelConfig } from '../models/config';
import type { Weights } from '../models/init';
import { paramShapes } from '../models/param-names';
import { type SessionOptions, createSession, toOrt } from '../onnx/session';
import type { HfTokenizerJson } from '../tokenizer/hf-json';
import { Tokenizer } from '../tokenizer/tokenizer';
import { Rng, type RngState, type Seed } from '../util/rng';
import { buildDecodeStepGraph, buildPrefillGraph, decodeStepWeights } from './decode-graph';
import { type SamplingMode, buildDecodeLoopGraph } from './decode-loop-graph';
import { type FinishReason, type Row, type SamplerStats, type StopRules, completionText } from './decode-rows';
import { decodeInLoop } from './loop-decoder';
import { decodeStepwise } from './step-decoder';
import { type SelectionRule, TokenSelector } from './token-selector';

export type { FinishReason } from './decode-rows';

/** Options of {@link Sampler.generate}. */
export interface GenerateOptions {
  /** Most tokens to generate per prompt (≥ 1). */
  maxNewTokens: number;
  /** Pick the most likely token each step (no seed needed). Also implied by temperature 0. */
  greedy?: boolean;
  /** Softmax temperature (default 1). */
  temperature?: number;
  /** Keep the k most likely tokens (default 0 = off). */
  topK?: number;
  /** Nucleus: keep the smallest most-likely set with this much probability (default 1 = off), after topK. */
  topP?: number;
  /**
   * Seed of the sampling streams: prompt i draws from `Rng.fromSeed(seed).fork('sequence:' + i)`, so its result
   * depends on (seed, i, prompt) and not on how the prompts are batched. Required unless greedy.
   */
  seed?: Seed;
  /** One seed per prompt instead (stream `Rng.fromSeed(seeds[i])`): results independent of position too. */
  seeds?: readonly Seed[];
  /** Explicit stream states, one per prompt (what a SamplerPool hands its workers); overrides seed and seeds. */
  streams?: readonly RngState[];
  /** Stop when EOS is generated (default true; false lets benchmarks force maxNewTokens). */
  stopAtEos?: boolean;
  /** More token ids that end a sequence (finish reason 'stop_token'). */
  stopTokens?: readonly number[];
  /** Texts that end a sequence when they appear in the decoded completion (finish reason 'stop_sequence'). */
  stopSequences?: readonly string[];
}

/**
 * Session options the sampler uses by default: one intra-op thread, no spinning. A decode step of a small model is
 * dozens of tiny kernels, where a second thread costs more in hand-offs than it gains (measured, task model,
 * batch 16: 0.54 ms per step on 1 thread vs 0.60 on 2 without spinning and 0.99 on 2 with spinning, on the shared
 * 2-core machine); it also leaves the other core to whatever else runs.
 */
export const SAMPLER_SESSION_OPTIONS: Readonly<SessionOptions> = { threads: 1, spinning: false };

/** One generated completion. */
export interface Generation {
  promptTokens: number[];
  /**
   * Every sampled token, including the one that ended the sequence (EOS, a stop token, or the token that
   * completed a stop sequence): the actions a policy-gradient trainer scores.
   */
  tokens: number[];
  /**
   * log p(token) of each sampled token under the model's unmodified distribution — softmax of the raw logits at
   * temperature 1, before top-k/top-p — i.e. the policy's own log-prob that PPO's ratio needs.
   */
  logProbs: number[];
  /** Decoded completion: special tokens skipped; ends before the EOS/stop token or the stop sequence. */
  text: string;
  finishReason: FinishReason;
}

/** A model the sampler can run. */
export interface SamplerModel {
  config: ModelConfig;
  tokenizer: Tokenizer | HfTokenizerJson;
  weights: Weights;
}

/** Options of {@link Sampler.create}. */
export interface SamplerOptions {
  /** onnxruntime session options (default {@link SAMPLER_SESSION_OPTIONS}: 1 thread, no spinning). */
  session?: SessionOptions;
  /**
   * 'initializers' (default): weights are baked into the session, which is rebuilt by setWeights (measured
   * ~60 ms for the task model); onnxruntime pre-packs them, which makes every decode step faster. 'inputs': one
   * session, weights fed each run (no rebuild).
   */
  weightsMode?: 'initializers' | 'inputs';
  /** Most sequences decoded together (default 32); more prompts run in consecutive batches. */
  batchSize?: number;
  /** ONNX opset of the sampler's graphs (default 20, for the fused Gelu). */
  opset?: number;
  /**
   * 'loop' (default): tokens are chosen inside onnxruntime, `decodeChunk` tokens per run (./decode-loop-graph).
   * 'step': one run per token and token selection in JavaScript (./step-decoder), the reference the loop is tested
   * against. Both give the same tokens for the same seeds (tested; their attention sums in a different order, so
   * an exact near-tie could in principle round differently). Measurements: README.md.
   */
  decode?: 'loop' | 'step';
  /**
   * Most tokens per onnxruntime run with `decode: 'loop'` (default {@link DEFAULT_DECODE_CHUNK}). Between runs,
   * finished rows leave the batch and stop sequences are checked; tokens a row samples after its stop sequence
   * inside a run are discarded.
   */
  decodeChunk?: number;
}

/** Default tokens per decode-loop run (measured in README.md). */
export const DEFAULT_DECODE_CHUNK = 16;

/**
 * Batched KV-cache sampling on onnxruntime. Prompts are left-padded into one run of the prefill graph; then (the
 * default, `decode: 'loop'`) one run of the decode-loop graph per `decodeChunk` tokens samples every row's tokens
 * inside onnxruntime, from uniforms drawn in JavaScript from each row's seeded stream, with the key/value cache
 * read in place from JavaScript buffers (./loop-decoder). `decode: 'step'` runs one decode step per token and
 * selects tokens in JavaScript instead (./step-decoder). Finished rows leave the batch between runs.
 */
export class Sampler {
  readonly config: ModelConfig;
  readonly tokenizer: Tokenizer;
  /** Milliseconds the last (re)build of the sessions took (graphs + session creation, or weight copies). */
  lastBuildMs = 0;
  /** Counters since creation: onnxruntime runs, tokens generated, cache compactions. */
  readonly stats: SamplerStats = { prefillRuns: 0, decodeRuns: 0, tokens: 0, compactions: 0 };
  private prefill: ort.InferenceSession | undefined;
  private step: ort.InferenceSession | undefined;
  private readonly loops = new Map<SamplingMode, Promise<ort.InferenceSession>>();
  /** 'initializers' mode, decode loop: the (q-scaled) weights the loop sessions are built from. */
  private loopSource: Weights | undefined;
  private prefillWeights: Record<string, ort.Tensor> = {};
  private stepWeights: Record<string, ort.Tensor> = {};
  private readonly selector: TokenSelector;
  private readonly mode: 'initializers' | 'inputs';
  private readonly batchSize: number;
  private readonly decode: 'loop' | 'step';
  private readonly chunk: number;
  private released = false;

  private constructor(model: SamplerModel, private readonly options: SamplerOptions) {
    this.config = validateModelConfig(model.config);
    this.tokenizer = model.tokenizer instanceof Tokenizer ? model.tokenizer : Tokenizer.fromJSON(model.tokenizer);
    if (this.tokenizer.vocabSize > this.config.vocabSize) {
      throw new Error(`Sampler: tokenizer has ${this.tokenizer.vocabSize} ids but the model only ${this.config.vocabSize}`);
    }
    this.selector = new TokenSelector(this.config.vocabSize, this.tokenizer.vocabSize);
    this.mode = options.weightsMode ?? 'initializers';
    this.batchSize = options.batchSize ?? 32;
    if (!Number.isInteger(this.batchSize) || this.batchSize < 1) throw new Error(`Sampler: batchSize must be a positive integer, got ${this.batchSize}`);
    this.decode = options.decode ?? 'loop';
    if (this.decode !== 'loop' && this.decode !== 'step') throw new Error(`Sampler: decode must be 'loop' or 'step', got ${String(this.decode)}`);
    this.chunk = options.decodeChunk ?? DEFAULT_DECODE_CHUNK;
    if (!Number.isInteger(this.chunk) || this.chunk < 1) throw new Error(`Sampler: decodeChunk must be a positive integer, got ${this.chunk}`);
  }

  /** A sampler for `model` (its sessions are built before this resolves). */
  static async create(model: SamplerModel, options: SamplerOptions = {}): Promise<Sampler> {
    const s = new Sampler(model, options);
    await s.setWeights(model.weights);
    return s;
  }

  /**
   * Uses new weights from now on: rebuilds the sessions in 'initializers' mode (the decode-loop sessions of the
   * sampling modes used so far; others are built on first use), copies the weights in 'inputs' mode.
   */
  async setWeights(weights: Readonly<Weights>): Promise<void> {
    if (this.released) throw new Error('Sampler: released');
    const t0 = performance.now();
    const shapes = paramShapes(this.config);
    for (const { name, shape } of shapes) {
      const n = shape.reduce((a, b) => a * b, 1);
      if (weights[name]?.length !== n) throw new Error(`Sampler: weight ${name} is missing or not [${shape.join(',')}]`);
    }
    const sessionOptions = this.options.session ?? SAMPLER_SESSION_OPTIONS;
    const opset = this.options.opset;
    const head = this.decode === 'loop' ? 'logits' : 'sampling';
    if (this.mode === 'initializers') {
      const old = [this.prefill, this.step];
      this.prefill = await createSession(buildPrefillGraph(this.config, { weights, opset, head }), sessionOptions);
      this.step = this.decode === 'step' ? await createSession(buildDecodeStepGraph(this.config, { weights, opset }), sessionOptions) : undefined;
      for (const s of old) if (s) await s.release();
      if (this.decode === 'loop') {
        // a copy: the caller may update its arrays in place (an optimizer) before a loop session is built from them
        const scaled = decodeStepWeights(this.config, weights);
        const source: Weights = {};
        for (const { name } of shapes) source[name] = scaled[name] === weights[name] ? scaled[name].slice() : scaled[name];
        this.loopSource = source;
        const used = [...this.loops.entries()];
        this.loops.clear();
        for (const [mode, session] of used) {
          await (await session.catch(() => undefined))?.release();
          await this.loopSession(mode);
        }
      }
    } else {
      this.prefill ??= await createSession(buildPrefillGraph(this.config, { opset, head }), sessionOptions);
      if (this.decode === 'step') this.step ??= await createSession(buildDecodeStepGraph(this.config, { opset }), sessionOptions);
      const scaled = decodeStepWeights(this.config, weights);
      this.prefillWeights = {};
      this.stepWeights = {};
      for (const { name, shape } of shapes) {
        this.prefillWeights[name] = toOrt(weights[name].slice(), shape);
        this.stepWeights[name] = scaled[name] === weights[name] ? this.prefillWeights[name] : toOrt(scaled[name], shape);
      }
    }
    this.lastBuildMs = performance.now() - t0;
  }

  /** Generates one completion per prompt (text, or token ids), in prompt order. */
  async generate(prompts: readonly (string | readonly number[])[], options: GenerateOptions): Promise<Generation[]> {
    const rule = checkGenerateOptions(options, prompts.length);
    const rows: Row[] = encodePrompts(this.tokenizer, this.config, prompts).map((prompt, index) => ({
      index,
      prompt,
      tokens: [],
      logProbs: [],
      rng: rule.greedy ? undefined : sequenceStream(options, index),
      cut: -1,
    }));
    const rules: StopRules = {
      config: this.config,
      tokenizer: this.tokenizer,
      maxNewTokens: options.maxNewTokens,
      eos: (options.stopAtEos ?? true) ? this.tokenizer.eosId : -1,
      stopTokens: new Set(options.stopTokens ?? []),
      stopSequences: options.stopSequences ?? [],
    };
    for (let i = 0; i < rows.length; i += this.batchSize) await this.runBatch(rows.slice(i, i + this.batchSize), rules, rule);
    return rows.map((r) => ({
      promptTokens: r.prompt,
      tokens: r.tokens,
      logProbs: r.logProbs,
      text: completionText(r, this.tokenizer),
      finishReason: r.finish as FinishReason,
    }));
  }

  /** Frees the onnxruntime sessions. */
  async release(): Promise<void> {
    this.released = true;
    const old = [this.prefill, this.step];
    this.prefill = undefined;
    this.step = undefined;
    const loops = [...this.loops.values()];
    this.loops.clear();
    for (const s of old) if (s) await s.release();
    for (const s of loops) await (await s.catch(() => undefined))?.release();
  }

  private async runBatch(batch: Row[], rules: StopRules, rule: SelectionRule): Promise<void> {
    const prefill = this.prefill;
    if (!prefill || this.released) throw new Error('Sampler: released');
    const pad = this.tokenizer.padId;
    if (this.decode === 'step') {
      if (!this.step) throw new Error('Sampler: released');
      const d = { prefill, step: this.step, prefillWeights: this.prefillWeights, stepWeights: this.stepWeights, selector: this.selector, stats: this.stats };
      await decodeStepwise(d, batch, rules, rule, pad);
      return;
    }
    const mode = samplingMode(rule, this.tokenizer.vocabSize);
    const loop = await this.loopSession(mode);
    const d = { prefill, loop, mode, prefillWeights: this.prefillWeights, loopWeights: this.stepWeights, sampleable: this.tokenizer.vocabSize, chunk: this.chunk, stats: this.stats };
    await decodeInLoop(d, batch, rules, rule, pad);
  }

  /** The decode-loop session for a sampling mode, built on first use. */
  private loopSession(mode: SamplingMode): Promise<ort.InferenceSession> {
    let s = this.loops.get(mode);
    if (!s) {
      const scaledWeights = this.mode === 'initializers' ? this.loopSource : undefined;
      const bytes = buildDecodeLoopGraph(this.config, { mode, sampleable: this.tokenizer.vocabSize, opset: this.options.opset, scaledWeights });
      const created = createSession(bytes, this.options.session ?? SAMPLER_SESSION_OPTIONS);
      created.catch(() => this.loops.delete(mode));
      this.loops.set(mode, created);
      s = created;
    }
    return s;
  }
}

/** Which decode-loop graph a selection rule needs. */
function samplingMode(rule: SelectionRule, sampleable: number): SamplingMode {
  if (rule.greedy) return 'greedy';
  return (rule.topK > 0 && rule.topK < sampleable) || rule.topP < 1 ? 'sorted' : 'plain';
}

/** Token ids of each prompt (text is encoded), checked against the model: non-empty, within context and vocabulary. */
export function encodePrompts(tokenizer: Tokenizer, config: ModelConfig, prompts: readonly (string | readonly number[])[]): number[][] {
  return prompts.map((p, index) => {
    const prompt = typeof p === 'string' ? tokenizer.encode(p) : [...p];
    if (prompt.length === 0) throw new Error(`Sampler.generate: prompt ${index} is empty`);
    if (prompt.length > config.context) throw new Error(`Sampler.generate: prompt ${index} has ${prompt.length} tokens, the model's context is ${config.context}`);
    for (const t of prompt) if (!(Number.isInteger(t) && t >= 0 && t < config.vocabSize)) throw new Error(`Sampler.generate: prompt ${index} has token ${t} outside the vocabulary`);
    return prompt;
  });
}

/** The random stream of prompt `index` under `options` (see GenerateOptions.seed / seeds / streams). */
export function sequenceStream(options: GenerateOptions, index: number): Rng {
  if (options.streams) return Rng.fromState(options.streams[index]);
  if (options.seeds) return Rng.fromSeed(options.seeds[index]);
  if (options.seed === undefined) throw new Error('Sampler.generate: sampling needs an explicit seed (or seeds, or greedy: true)');
  return Rng.fromSeed(options.seed).fork(`sequence:${index}`);
}

/** Validates generate options for `n` prompts and returns the selection rule (throws naming the bad option). */
export function checkGenerateOptions(o: GenerateOptions, n: number): SelectionRule {
  if (!Number.isInteger(o.maxNewTokens) || o.maxNewTokens < 1) throw new Error(`Sampler.generate: maxNewTokens must be a positive integer, got ${o.maxNewTokens}`);
  const temperature = o.temperature ?? 1;
  if (!(temperature >= 0) || !Number.isFinite(temperature)) throw new Error(`Sampler.generate: temperature must be ≥ 0, got ${temperature}`);
  const topK = o.topK ?? 0;
  if (!Number.isInteger(topK) || topK < 0) throw new Error(`Sampler.generate: topK must be a non-negative integer, got ${topK}`);
  const topP = o.topP ?? 1;
  if (!(topP > 0 && topP <= 1)) throw new Error(`Sampler.generate: topP must be in (0, 1], got ${topP}`);
  const greedy = o.greedy === true || temperature === 0;
  if (!greedy) {
    if (o.streams) {
      if (o.streams.length !== n) throw new Error(`Sampler.generate: ${o.streams.length} streams for ${n} prompts`);
    } else if (o.seeds) {
      if (o.seeds.length !== n) throw new Error(`Sampler.generate: ${o.seeds.length} seeds for ${n} prompts`);
    } else if (o.seed === undefined) {
      throw new Error('Sampler.generate: sampling needs an explicit seed (or seeds, or greedy: true)');
    }
  }
  for (const s of o.stopSequences ?? []) if (s.length === 0) throw new Error('Sampler.generate: a stop sequence is empty');
  return { greedy, temperature: greedy ? 1 : temperature, topK, topP };
}
