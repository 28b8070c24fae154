import { Graph } from '../autodiff/graph';
import { attr } from '../onnx/attributes';
import type { Tensor } from '../onnx/tensor';
import { type ModelConfig, headDim, validateModelConfig } from './config';
import { type AttendFn, gptBlocks } from './gpt';
import type { Weights } from './init';
import { paramNames } from './param-names';

/** Options of {@link buildCausalLmGraph}. */
export interface CausalLmGraphOptions {
  /**
   * Bake these weights into the model as initializers (onnxruntime can then constant-fold and pre-pack them).
   * Without weights the params stay graph inputs named as in ./param-names, fed on every run.
   */
  weights?: Readonly<Weights>;
  /** Return only the last position's logits, `logits` [batch, V] (what a sampler needs). Default false. */
  lastLogitsOnly?: boolean;
  /** ONNX opset (default 17; ≥ 20 uses the fused Gelu op). */
  opset?: number;
}

/** Input and output names of the KV-cache graph (the transformers.js / Optimum GPT-2 signature). */
export const causalLmNames = {
  pastKey: (l: number): string => `past_key_values.${l}.key`,
  pastValue: (l: number): string => `past_key_values.${l}.value`,
  presentKey: (l: number): string => `present.${l}.key`,
  presentValue: (l: number): string => `present.${l}.value`,
};

/**
 * The inference graph of a causal LM with a key/value cache, in the signature transformers.js expects of an
 * Optimum GPT-2 export:
 *
 * - inputs `input_ids` int64 [batch, seq], `attention_mask` int64 [batch, past + seq] (1 = token),
 *   `position_ids` int64 [batch, seq], `past_key_values.{l}.key|value` float [batch, heads, past, headDim];
 * - outputs `logits` [batch, seq, V] (or [batch, V] with `lastLogitsOnly`), `present.{l}.key|value`
 *   [batch, heads, past + seq, headDim].
 *
 * One graph serves prefill (past = 0, seq = prompt length) and decoding (seq = 1). It runs the same block code as
 * the training graphs (`gptBlocks`), so logits agree with `gptForward`'s up to float rounding.
 */
export function buildCausalLmGraph(cfg: ModelConfig, options: CausalLmGraphOptions = {}): Uint8Array {
  validateModelConfig(cfg);
  const { vocabSize: V, context, width: D, heads: H, layers: L } = cfg;
  const hd = headDim(cfg);
  const g = new Graph({ opset: options.opset });
  const inputIds = g.input('input_ids', ['batch', 'seq'], 'int64');
  const mask = g.input('attention_mask', ['batch', 'total'], 'int64');
  const positionIds = g.input('position_ids', ['batch', 'seq'], 'int64');
  const past = Array.from({ length: L }, (_, l) => ({
    k: g.input(causalLmNames.pastKey(l), ['batch', H, 'past', hd]),
    v: g.input(causalLmNames.pastValue(l), ['batch', H, 'past', hd]),
  }));

  const wte = g.param(paramNames.wte(), [V, D]);
  const wpe = g.param(paramNames.wpe(), [context, D]);
  const x = g.add(g.gather(wte, inputIds), g.gather(wpe, positionIds));

  // additive mask [batch, 1, seq, total]: key j is visible to query i (absolute position past + i) when
  // j ≤ past + i and attention_mask[j] = 1
  const i64 = (v: number): Tensor => g.const(v, [], 'int64');
  const scalarDim = (t: Tensor, axis: number, name: string): Tensor =>
    g.op('Gather', [g.shapeOf(t), i64(axis)], [{ shape: [], dtype: 'int64', hint: name }], { axis: attr.int(0) })[0];
  const seq = scalarDim(inputIds, 1, 'seq_len');
  const pastLen = scalarDim(past[0].k, 2, 'past_len');
  const total = g.op('Add', [pastLen, seq], [{ shape: [], dtype: 'int64', hint: 'total_len' }])[0];
  const range = (from: Tensor, to: Tensor, dim: string): Tensor => g.op('Range', [from, to, i64(1)], [{ shape: [dim], dtype: 'int64', hint: 'range' }])[0];
  const qPos = g.reshape(range(pastLen, total, 'seq'), ['seq', 1]);
  const kPos = g.reshape(range(i64(0), total, 'total'), [1, 'total']);
  const causal = g.lessOrEqual(kPos, qPos);
  const keyOk = g.reshape(g.cast(mask, 'bool'), ['batch', 1, 1, 'total']);
  const visible = g.and(causal, keyOk);
  const additive = g.where(visible, g.const(0), g.const(-1e9));

  const present: Record<string, Tensor> = {};
  const attend: AttendFn = (l, q, k, v) => {
    const kAll = g.concat([past[l].k, k], 2);
    const vAll = g.concat([past[l].v, v], 2);
    present[causalLmNames.presentKey(l)] = kAll;
    present[causalLmNames.presentValue(l)] = vAll;
    return g.matmul(g.softmax(g.add(g.matmul(q, g.swapLast(kAll)), additive)), vAll);
  };
  let hidden = gptBlocks(g, cfg, x, ['batch', 'seq'], attend);
  if (options.lastLogitsOnly) {
    hidden = g.op('Gather', [hidden, i64(-1)], [{ shape: ['batch', D], dtype: g.dtype, hint: 'last_hidden' }], { axis: attr.int(1) })[0];
  }
  const logits = g.matmul(hidden, g.transpose(wte, [1, 0]));
  let initializers: Record<string, Float32Array> | undefined;
  if (options.weights) {
    // heads the LM graph does not use (value_head, reward_head) stay out
    initializers = {};
    for (const p of g.params) {
      const w = options.weights[p.name];
      if (!w) throw new Error(`buildCausalLmGraph: weights lack ${p.name}`);
      initializers[p.name] = w;
    }
  }
  return g.build({ outputs: { logits, ...present }, initializers, name: 'hone-gpt2' });
}
