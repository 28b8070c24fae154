import { Graph } from '../autodiff/graph';
import { attr } from '../onnx/attributes';
import type { Tensor } from '../onnx/tensor';
import { type ModelConfig, headDim, validateModelConfig } from '../models/config';
import { type AttendFn, gptBlocks } from '../models/gpt';
import type { Weights } from '../models/init';
import { paramNames } from '../models/param-names';

/** Input/output names of the sampler's graphs. */
export const decodeNames = {
  cacheKey: (l: number): string => `cache_key.${l}`,
  cacheValue: (l: number): string => `cache_value.${l}`,
  newKey: (l: number): string => `key.${l}`,
  newValue: (l: number): string => `value.${l}`,
};

/** Options of the sampler graph builders. */
export interface SamplerGraphOptions {
  /**
   * Bake weights in as initializers (for the decode step: {@link decodeStepWeights} of them); without them the
   * params stay inputs (fed each run).
   */
  weights?: Readonly<Weights>;
  /** ONNX opset (default 20: the fused Gelu op; onnxruntime-node 1.30 runs it). */
  opset?: number;
  /**
   * Prefill only: 'sampling' (default) outputs `logprobs` and `probs` for JavaScript token selection; 'logits'
   * outputs the raw last-position `logits` [batch, V] that the decode loop (./decode-loop-graph) starts from.
   */
  head?: 'sampling' | 'logits';
}

/** Default opset of the sampler's graphs: 20 has the one-node Gelu (fewer kernels per decode step). */
export const SAMPLER_OPSET = 20;

/**
 * Outputs every sampler graph ends with, from last-position logits [batch, V]: `logprobs` = log-softmax (the
 * temperature-1 log-probs: the chosen token's is what PPO needs; its argmax is the greedy token) and `probs` =
 * softmax of logits · `inv_temperature` (an input [1]) for sampling. onnxruntime's vectorised exp does in
 * microseconds what took JavaScript a tenth of a millisecond per step (its ReduceLogSumExp, measured at 5 µs per
 * row, is slower than LogSoftmax).
 */
function samplingOutputs(g: Graph, logits: Tensor, outputs: Record<string, Tensor>): void {
  const invT = g.input('inv_temperature', [1]);
  outputs.logprobs = g.logSoftmax(logits);
  outputs.probs = g.softmax(g.mul(logits, invT));
}

function bake(g: Graph, weights: Readonly<Weights> | undefined, where: string): Record<string, Float32Array> | undefined {
  if (!weights) return undefined;
  const out: Record<string, Float32Array> = {};
  for (const p of g.params) {
    const w = weights[p.name];
    if (!w) throw new Error(`${where}: weights lack ${p.name}`);
    out[p.name] = w;
  }
  return out;
}

/**
 * The prompt pass: `input_ids`, `position_ids` int64 [batch, seq] and `attention_mask` float [batch, seq] (left
 * padding = 0) → the sampling outputs for the last position and every layer's keys/values `key.{l}`,
 * `value.{l}` [batch, heads, seq, headDim] (which the sampler copies into its cache). Runs once per batch, with
 * the same block code as training (`gptBlocks`).
 */
export function buildPrefillGraph(cfg: ModelConfig, options: SamplerGraphOptions = {}): Uint8Array {
  validateModelConfig(cfg);
  const { vocabSize: V, context, width: D } = cfg;
  const g = new Graph({ opset: options.opset ?? SAMPLER_OPSET });
  const inputIds = g.input('input_ids', ['batch', 'seq'], 'int64');
  const positionIds = g.input('position_ids', ['batch', 'seq'], 'int64');
  const mask = g.input('attention_mask', ['batch', 'seq']);
  const wte = g.param(paramNames.wte(), [V, D]);
  const wpe = g.param(paramNames.wpe(), [context, D]);
  const x = g.add(g.gather(wte, inputIds), g.gather(wpe, positionIds));
  const i64 = (v: number): Tensor => g.const(v, [], 'int64');
  const seqLen = g.op('Gather', [g.shapeOf(inputIds), i64(1)], [{ shape: [], dtype: 'int64', hint: 'seq_len' }], { axis: attr.int(0) })[0];
  const r = g.op('Range', [i64(0), seqLen, i64(1)], [{ shape: ['seq'], dtype: 'int64', hint: 'range' }])[0];
  const causal = g.where(g.lessOrEqual(g.reshape(r, [1, 'seq']), g.reshape(r, ['seq', 1])), g.const(0), g.const(-1e9));
  const additive = g.add(g.reshape(g.mul(g.sub(mask, 1), 1e9), ['batch', 1, 1, 'seq']), causal);
  const outputs: Record<string, Tensor> = {};
  const attend: AttendFn = (l, q, k, v) => {
    outputs[decodeNames.newKey(l)] = k;
    outputs[decodeNames.newValue(l)] = v;
    return g.matmul(g.softmax(g.add(g.matmul(q, g.swapLast(k)), additive)), v);
  };
  const hidden = gptBlocks(g, cfg, x, ['batch', 'seq'], attend);
  const last = g.op('Gather', [hidden, i64(-1)], [{ shape: ['batch', D], dtype: g.dtype, hint: 'last_hidden' }], { axis: attr.int(1) })[0];
  // one Gemm against wte as stored (a Transpose of wte would run every time in 'inputs' weights mode)
  const logits = g.op('Gemm', [last, wte], [{ shape: ['batch', V], dtype: g.dtype, hint: 'logits' }], { transB: attr.int(1) })[0];
  if (options.head === 'logits') outputs.logits = logits;
  else samplingOutputs(g, logits, outputs);
  return g.build({ outputs, initializers: bake(g, options.weights, 'buildPrefillGraph'), name: 'hone-prefill' });
}

/**
 * The weights the decode step expects: the q third of each `attn.c_attn` weight and bias multiplied by
 * 1/√headDim (the step graph does not scale q, one kernel fewer per layer). Copies; other tensors are shared.
 */
export function decodeStepWeights(cfg: ModelConfig, weights: Readonly<Weights>): Weights {
  const D = cfg.width;
  const s = 1 / Math.sqrt(headDim(cfg));
  const out: Weights = { ...weights };
  for (let l = 0; l < cfg.layers; l++) {
    const [wn, bn] = paramNames.attn(l);
    const w = weights[wn].slice();
    for (let r = 0; r < D; r++) for (let c = 0; c < D; c++) w[r * 3 * D + c] *= s;
    const b = weights[bn].slice();
    for (let c = 0; c < D; c++) b[c] *= s;
    out[wn] = w;
    out[bn] = b;
  }
  return out;
}

/**
 * One decode step for one new token per row, written for as few kernels as possible (onnxruntime's per-kernel
 * overhead, not arithmetic, is what a small model's step costs): 2-D activations [batch, D] so every linear is one
 * Gemm, q pre-scaled in the weights ({@link decodeStepWeights}), the padding mask precomputed by the caller.
 *
 * - inputs `input_ids`, `position_ids` int64 [batch]; `cache_bias` float [batch, 1, 1, cap] (0 = visible slot,
 *   −1e9 = empty or padding); `cache_key.{l}`, `cache_value.{l}` [batch, heads, cap, headDim]; `inv_temperature`;
 * - outputs the sampling outputs and the new token's `key.{l}`, `value.{l}` [batch, heads, 1, headDim].
 *
 * The cache is an input the caller owns and the graph returns only the new keys/values: onnxruntime-node reads
 * inputs in place but copies every output into a fresh JavaScript array (measured: 1.5–3 ms per million floats), so
 * returning the grown cache each step cost more than the model. Attention is two blocks (cache, self) whose scores
 * share one softmax, so the cache is never copied inside the graph either.
 */
export function buildDecodeStepGraph(cfg: ModelConfig, options: SamplerGraphOptions = {}): Uint8Array {
  validateModelConfig(cfg);
  const { vocabSize: V, context, width: D, heads: H, layers: L } = cfg;
  const hd = headDim(cfg);
  const g = new Graph({ opset: options.opset ?? SAMPLER_OPSET });
  const ids = g.input('input_ids', ['batch'], 'int64');
  const pos = g.input('position_ids', ['batch'], 'int64');
  const cacheBias = g.input('cache_bias', ['batch', 1, 1, 'cap']);
  const wte = g.param(paramNames.wte(), [V, D]);
  const wpe = g.param(paramNames.wpe(), [context, D]);
  let x = g.add(g.gather(wte, ids), g.gather(wpe, pos));
  const outputs: Record<string, Tensor> = {};
  const p = (name: string, shape: number[]): Tensor => g.param(name, shape);
  // x·W + b as one Gemm on [batch, K]
  const gemm = (a: Tensor, [wn, bn]: [string, string], k: number, n: number): Tensor =>
    g.op('Gemm', [a, p(wn, [k, n]), p(bn, [n])], [{ shape: ['batch', n], dtype: g.dtype, hint: 'gemm' }])[0];
  const heads4 = (t: Tensor): Tensor => g.reshape(t, ['batch', H, 1, hd]);
  for (let l = 0; l < L; l++) {
    const [ck, cv] = [g.input(decodeNames.cacheKey(l), ['batch', H, 'cap', hd]), g.input(decodeNames.cacheValue(l), ['batch', H, 'cap', hd])];
    const [ln1w, ln1b] = paramNames.ln1(l);
    const h = g.layerNorm(x, p(ln1w, [D]), p(ln1b, [D]));
    const [q, k, v] = g.split(gemm(h, paramNames.attn(l), D, 3 * D), [D, D, D], -1).map(heads4);
    outputs[decodeNames.newKey(l)] = k;
    outputs[decodeNames.newValue(l)] = v;
    const sCache = g.add(g.matmul(q, g.swapLast(ck)), cacheBias);
    const sSelf = g.matmul(q, g.swapLast(k));
    const probs = g.softmax(g.concat([sCache, sSelf], 3));
    const pCache = g.op('Slice', [probs, g.ints([0]), g.ints([-1]), g.ints([3])], [{ shape: ['batch', H, 1, 'cap'], dtype: g.dtype, hint: 'p_cache' }])[0];
    const pSelf = g.op('Slice', [probs, g.ints([-1]), g.ints([Number.MAX_SAFE_INTEGER]), g.ints([3])], [{ shape: ['batch', H, 1, 1], dtype: g.dtype, hint: 'p_self' }])[0];
    const y = g.reshape(g.add(g.matmul(pCache, cv), g.mul(pSelf, v)), ['batch', D]);
    x = g.add(x, gemm(y, paramNames.attnProj(l), D, D));
    const [ln2w, ln2b] = paramNames.ln2(l);
    const m = g.gelu(gemm(g.layerNorm(x, p(ln2w, [D]), p(ln2b, [D])), paramNames.fc(l), D, 4 * D));
    x = g.add(x, gemm(m, paramNames.mlpProj(l), 4 * D, D));
  }
  const [lnfw, lnfb] = paramNames.lnf();
  const hf = g.layerNorm(x, p(lnfw, [D]), p(lnfb, [D]));
  const logits = g.op('Gemm', [hf, wte], [{ shape: ['batch', V], dtype: g.dtype, hint: 'logits' }], { transB: attr.int(1) })[0];
  samplingOutputs(g, logits, outputs);
  const weights = options.weights ? decodeStepWeights(cfg, options.weights) : undefined;
  return g.build({ outputs, initializers: bake(g, weights, 'buildDecodeStepGraph'), name: 'hone-decode-step' });
}
