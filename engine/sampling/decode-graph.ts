import { Graph } from '../autodiff/graph';
import { attr } from '../onnx/attributes';
import type { Tensor } from '../onnx/tensor';
import { type ModelConfig, headDim, validateModelConfig } from '../models/config';
import { type AttendFn, gptBlocks } from '../models/gpt';
import type { Weights } from '../models/init';
import { paramNames } from '../models/param-names';

/** Input/output names of the sampler's decode graph. */
export const decodeNames = {
  cacheKey: (l: number): string => `cache_key.${l}`,
  cacheValue: (l: number): string => `cache_value.${l}`,
  newKey: (l: number): string => `key.${l}`,
  newValue: (l: number): string => `value.${l}`,
};

/** Options of {@link buildDecodeGraph}. */
export interface DecodeGraphOptions {
  /** Bake weights in as initializers; without them the params stay inputs (fed each run). */
  weights?: Readonly<Weights>;
  /** ONNX opset (default 17). */
  opset?: number;
}

/**
 * The sampler's cached-attention graph. Unlike the Hugging Face signature (engine/models/causal-lm-graph), the
 * cache is an input the caller owns and the graph returns only the new tokens' keys/values: onnxruntime-node
 * reads inputs in place but copies every output into a fresh JavaScript array (measured: 3 ms per million
 * floats), so returning the whole grown cache each step cost more than the model itself.
 *
 * - inputs `input_ids`, `position_ids` int64 [batch, seq]; `new_mask` float [batch, seq] (1 = token, 0 =
 *   padding among the new tokens); `cache_mask` float [batch, cap] (1 = cache slot holds a visible token);
 *   `cache_key.{l}`, `cache_value.{l}` float [batch, heads, cap, headDim] (cap may be 0);
 * - outputs `logits` [batch, V] of the last new position; `key.{l}`, `value.{l}` [batch, heads, seq, headDim].
 *
 * New tokens see every visible cache slot and, causally, each other. Attention is computed in two blocks (cache,
 * new) whose scores are concatenated for one softmax, so the cache is never copied inside the graph either.
 */
export function buildDecodeGraph(cfg: ModelConfig, options: DecodeGraphOptions = {}): Uint8Array {
  validateModelConfig(cfg);
  const { vocabSize: V, context, width: D, heads: H, layers: L } = cfg;
  const hd = headDim(cfg);
  const g = new Graph({ opset: options.opset });
  const inputIds = g.input('input_ids', ['batch', 'seq'], 'int64');
  const positionIds = g.input('position_ids', ['batch', 'seq'], 'int64');
  const newMask = g.input('new_mask', ['batch', 'seq']);
  const cacheMask = g.input('cache_mask', ['batch', 'cap']);
  const cache = Array.from({ length: L }, (_, l) => ({
    k: g.input(decodeNames.cacheKey(l), ['batch', H, 'cap', hd]),
    v: g.input(decodeNames.cacheValue(l), ['batch', H, 'cap', hd]),
  }));

  const wte = g.param(paramNames.wte(), [V, D]);
  const wpe = g.param(paramNames.wpe(), [context, D]);
  const x = g.add(g.gather(wte, inputIds), g.gather(wpe, positionIds));

  const i64 = (v: number): Tensor => g.const(v, [], 'int64');
  const ones1 = (t: Tensor): Tensor => g.reshape(t, ['batch', 1, 1, t.shape[1]]);
  // additive masks: [batch,1,1,cap] for the cache block; [batch,1,seq,seq] (causal + padding) for the new block
  const cacheAdd = ones1(g.mul(g.sub(cacheMask, 1), 1e9));
  const seqLen = g.op('Gather', [g.shapeOf(inputIds), i64(1)], [{ shape: [], dtype: 'int64', hint: 'seq_len' }], { axis: attr.int(0) })[0];
  const r = g.op('Range', [i64(0), seqLen, i64(1)], [{ shape: ['seq'], dtype: 'int64', hint: 'range' }])[0];
  const causal = g.lessOrEqual(g.reshape(r, [1, 'seq']), g.reshape(r, ['seq', 1]));
  const newAdd = g.add(ones1(g.mul(g.sub(newMask, 1), 1e9)), g.where(causal, g.const(0), g.const(-1e9)));
  const capLen = g.op('Slice', [g.shapeOf(cacheMask), g.ints([1]), g.ints([2]), g.ints([0])], [{ shape: [1], dtype: 'int64', hint: 'cap_len' }])[0];

  const outputs: Record<string, Tensor> = {};
  const attend: AttendFn = (l, q, k, v) => {
    outputs[decodeNames.newKey(l)] = k;
    outputs[decodeNames.newValue(l)] = v;
    const sCache = g.add(g.matmul(q, g.swapLast(cache[l].k)), cacheAdd);
    const sNew = g.add(g.matmul(q, g.swapLast(k)), newAdd);
    const p = g.softmax(g.concat([sCache, sNew], 3));
    const slice = (from: Tensor, to: Tensor, dim: string): Tensor =>
      g.op('Slice', [p, from, to, g.ints([3])], [{ shape: ['batch', H, 'seq', dim], dtype: g.dtype, hint: 'probs' }])[0];
    const pCache = slice(g.ints([0]), capLen, 'cap');
    const pNew = slice(capLen, g.ints([Number.MAX_SAFE_INTEGER]), 'seq');
    return g.add(g.matmul(pCache, cache[l].v), g.matmul(pNew, v));
  };
  const hidden = gptBlocks(g, cfg, x, ['batch', 'seq'], attend);
  const last = g.op('Gather', [hidden, i64(-1)], [{ shape: ['batch', D], dtype: g.dtype, hint: 'last_hidden' }], { axis: attr.int(1) })[0];
  outputs.logits = g.matmul(last, g.transpose(wte, [1, 0]));
  let initializers: Record<string, Float32Array> | undefined;
  if (options.weights) {
    initializers = {};
    for (const p of g.params) {
      const w = options.weights[p.name];
      if (!w) throw new Error(`buildDecodeGraph: weights lack ${p.name}`);
      initializers[p.name] = w;
    }
  }
  return g.build({ outputs, initializers, name: 'hone-decode' });
}
