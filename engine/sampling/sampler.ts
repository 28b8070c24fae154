import type * as ort from 'onnxruntime-node';
import { type ModelConfig, headDim, validateModelConfig } from '../models/config';
import type { Weights } from '../models/init';
import { paramShapes } from '../models/param-names';
import { type SessionOptions, createSession, toOrt } from '../onnx/session';
import type { HfTokenizerJson } from '../tokenizer/hf-json';
import { Tokenizer } from '../tokenizer/tokenizer';
import { Rng, type RngState, type Seed } from '../util/rng';
import { buildDecodeStepGraph, buildPrefillGraph, decodeNames, decodeStepWeights } from './decode-graph';
import { type SelectionRule, TokenSelector } from './token-selector';

/** Why a sequence stopped. */
export type FinishReason = 'eos' | 'stop_token' | 'stop_sequence' | 'length' | 'context';

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
}

interface Row {
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

/**
 * Batched KV-cache sampling on onnxruntime: prompts are left-padded into one run of the prefill graph, then one run
 * of the decode-step graph per new token (./decode-graph). The key/value cache is a JavaScript buffer per layer,
 * sized once per batch, that the step graph reads in place; each step returns only the new keys/values, which are
 * written into the next cache slot. The graphs also return the log-softmax and the tempered softmax, so token
 * selection in JavaScript (./token-selector) does no exp. Finished rows are dropped from the cache once a quarter
 * of the batch has finished, so short completions stop costing compute.
 */
export class Sampler {
  readonly config: ModelConfig;
  readonly tokenizer: Tokenizer;
  /** Milliseconds the last (re)build of the sessions took (graphs + session creation, or weight copies). */
  lastBuildMs = 0;
  /** Counters since creation: onnxruntime runs, tokens generated, cache compactions. */
  readonly stats = { prefillRuns: 0, decodeRuns: 0, tokens: 0, compactions: 0 };
  private prefill: ort.InferenceSession | undefined;
  private step: ort.InferenceSession | undefined;
  private prefillWeights: Record<string, ort.Tensor> = {};
  private stepWeights: Record<string, ort.Tensor> = {};
  private readonly selector: TokenSelector;
  private readonly mode: 'initializers' | 'inputs';
  private readonly batchSize: number;

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
  }

  /** A sampler for `model` (its sessions are built before this resolves). */
  static async create(model: SamplerModel, options: SamplerOptions = {}): Promise<Sampler> {
    const s = new Sampler(model, options);
    await s.setWeights(model.weights);
    return s;
  }

  /** Uses new weights from now on (rebuilds the sessions in 'initializers' mode, copies the weights in 'inputs'). */
  async setWeights(weights: Readonly<Weights>): Promise<void> {
    const t0 = performance.now();
    const shapes = paramShapes(this.config);
    for (const { name, shape } of shapes) {
      const n = shape.reduce((a, b) => a * b, 1);
      if (weights[name]?.length !== n) throw new Error(`Sampler: weight ${name} is missing or not [${shape.join(',')}]`);
    }
    const sessionOptions = this.options.session ?? SAMPLER_SESSION_OPTIONS;
    const opset = this.options.opset;
    if (this.mode === 'initializers') {
      const old = [this.prefill, this.step];
      this.prefill = await createSession(buildPrefillGraph(this.config, { weights, opset }), sessionOptions);
      this.step = await createSession(buildDecodeStepGraph(this.config, { weights, opset }), sessionOptions);
      for (const s of old) if (s) await s.release();
    } else {
      this.prefill ??= await createSession(buildPrefillGraph(this.config, { opset }), sessionOptions);
      this.step ??= await createSession(buildDecodeStepGraph(this.config, { opset }), sessionOptions);
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
    for (let i = 0; i < rows.length; i += this.batchSize) await this.runBatch(rows.slice(i, i + this.batchSize), options, rule);
    return rows.map((r) => ({
      promptTokens: r.prompt,
      tokens: r.tokens,
      logProbs: r.logProbs,
      text: this.completionText(r),
      finishReason: r.finish as FinishReason,
    }));
  }

  /** Frees the onnxruntime sessions. */
  async release(): Promise<void> {
    const old = [this.prefill, this.step];
    this.prefill = undefined;
    this.step = undefined;
    for (const s of old) if (s) await s.release();
  }

  private async runBatch(batch: Row[], options: GenerateOptions, rule: SelectionRule): Promise<void> {
    const prefill = this.prefill;
    const stepSession = this.step;
    if (!prefill || !stepSession) throw new Error('Sampler: released');
    const { vocabSize: V, context, heads: H, layers: L } = this.config;
    const hd = headDim(this.config);
    const eos = this.tokenizer.eosId;
    const stopAtEos = options.stopAtEos ?? true;
    const stopTokens = new Set(options.stopTokens ?? []);
    const stopSeqs = options.stopSequences ?? [];
    const pad = this.tokenizer.padId;
    const invT = toOrt(Float32Array.of(1 / rule.temperature), [1]);

    let live = batch.slice();
    let b = live.length;
    const P = Math.max(...live.map((r) => r.prompt.length));
    // the cache holds the prompt and every generated token that is fed back (all but the last)
    const cap = P + Math.min(options.maxNewTokens, context) - 1;
    const rowSize = H * cap * hd;
    const cacheK = Array.from({ length: L }, () => new Float32Array(b * rowSize));
    const cacheV = Array.from({ length: L }, () => new Float32Array(b * rowSize));
    // additive attention bias per cache slot: 0 = holds a visible token, −1e9 = padding or not yet written
    const cacheBias = new Float32Array(b * cap).fill(-1e9);

    // prefill: left-padded prompts; position ids count tokens only
    const ids = new BigInt64Array(b * P).fill(BigInt(pad));
    const pos = new BigInt64Array(b * P);
    const mask = new Float32Array(b * P);
    live.forEach((r, j) => {
      const off = P - r.prompt.length;
      r.prompt.forEach((t, i) => {
        ids[j * P + off + i] = BigInt(t);
        pos[j * P + off + i] = BigInt(i);
        mask[j * P + off + i] = 1;
        cacheBias[j * cap + off + i] = 0;
      });
    });
    let out = await prefill.run({ ...this.prefillWeights, input_ids: toOrt(ids, [b, P]), position_ids: toOrt(pos, [b, P]), attention_mask: toOrt(mask, [b, P]), inv_temperature: invT });
    this.stats.prefillRuns++;
    const store = (seq: number, slot: number): void => {
      for (let l = 0; l < L; l++) {
        writeSlots(out[decodeNames.newKey(l)].data as Float32Array, cacheK[l], b * H, seq, hd, cap, slot);
        writeSlots(out[decodeNames.newValue(l)].data as Float32Array, cacheV[l], b * H, seq, hd, cap, slot);
      }
    };
    store(P, 0);
    let filled = P;

    const stepIds = new BigInt64Array(b);
    const stepPos = new BigInt64Array(b);
    const feeds: Record<string, ort.Tensor> = { ...this.stepWeights, inv_temperature: invT };
    for (;;) {
      const logprobs = out.logprobs.data as Float32Array;
      const probs = out.probs.data as Float32Array;
      let finished = 0;
      for (let j = 0; j < b; j++) {
        const r = live[j];
        if (r.finish) {
          finished++;
          continue;
        }
        const tok = this.selector.selectPrepared(logprobs, probs, j * V, rule, r.rng);
        r.tokens.push(tok);
        r.logProbs.push(this.selector.logProb);
        this.stats.tokens++;
        if (tok === eos && stopAtEos) r.finish = 'eos';
        else if (stopTokens.has(tok)) r.finish = 'stop_token';
        else if (stopSeqs.length > 0 && this.hitsStopSequence(r, stopSeqs)) r.finish = 'stop_sequence';
        else if (r.tokens.length >= options.maxNewTokens) r.finish = 'length';
        else if (r.prompt.length + r.tokens.length >= context) r.finish = 'context';
        if (r.finish) finished++;
      }
      if (finished === b) return;

      // drop finished rows from the cache (in place) once they are a quarter of the batch
      if (finished * 4 >= b) {
        let i = 0;
        for (let j = 0; j < b; j++) {
          if (live[j].finish) continue;
          if (i !== j) {
            for (let l = 0; l < L; l++) {
              cacheK[l].copyWithin(i * rowSize, j * rowSize, (j + 1) * rowSize);
              cacheV[l].copyWithin(i * rowSize, j * rowSize, (j + 1) * rowSize);
            }
            cacheBias.copyWithin(i * cap, j * cap, (j + 1) * cap);
            live[i] = live[j];
          }
          i++;
        }
        live = live.slice(0, i);
        b = i;
        this.stats.compactions++;
      }

      // decode step: each live row feeds its newest token at its own position into cache slot `filled`
      for (let j = 0; j < b; j++) {
        const r = live[j];
        stepIds[j] = BigInt(r.finish ? pad : r.tokens[r.tokens.length - 1]);
        stepPos[j] = BigInt(Math.min(r.prompt.length + r.tokens.length - 1, context - 1));
      }
      feeds.input_ids = toOrt(stepIds.subarray(0, b), [b]);
      feeds.position_ids = toOrt(stepPos.subarray(0, b), [b]);
      feeds.cache_bias = toOrt(cacheBias.subarray(0, b * cap), [b, 1, 1, cap]);
      for (let l = 0; l < L; l++) {
        feeds[decodeNames.cacheKey(l)] = toOrt(cacheK[l].subarray(0, b * rowSize), [b, H, cap, hd]);
        feeds[decodeNames.cacheValue(l)] = toOrt(cacheV[l].subarray(0, b * rowSize), [b, H, cap, hd]);
      }
      out = await stepSession.run(feeds);
      this.stats.decodeRuns++;
      store(1, filled);
      for (let j = 0; j < b; j++) cacheBias[j * cap + filled] = 0;
      filled++;
    }
  }

  /** Whether the decoded completion now contains a stop sequence (records where to cut the text). */
  private hitsStopSequence(r: Row, stops: readonly string[]): boolean {
    const text = this.tokenizer.decode(r.tokens, { skipSpecialTokens: true });
    let at = -1;
    for (const s of stops) {
      const i = text.indexOf(s);
      if (i >= 0 && (at < 0 || i < at)) at = i;
    }
    if (at < 0) return false;
    r.cut = at;
    return true;
  }

  private completionText(r: Row): string {
    const ended = r.finish === 'eos' || r.finish === 'stop_token';
    const text = this.tokenizer.decode(ended ? r.tokens.slice(0, -1) : r.tokens, { skipSpecialTokens: true });
    return r.cut >= 0 ? text.slice(0, r.cut) : text;
  }
}

/**
 * Copies new keys/values [rows, seq, hd] (rows = batch·heads) into a cache [rows, cap, hd] at slots
 * slot … slot + seq − 1.
 */
function writeSlots(src: Float32Array, cache: Float32Array, rows: number, seq: number, hd: number, cap: number, slot: number): void {
  const n = seq * hd;
  for (let r = 0; r < rows; r++) cache.set(src.subarray(r * n, (r + 1) * n), (r * cap + slot) * hd);
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
