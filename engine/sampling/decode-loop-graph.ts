import { Graph } from '../autodiff/graph';
import { attr, type Attrs } from '../onnx/attributes';
import type { DType } from '../onnx/dtype';
import type { Shape } from '../onnx/shape';
import type { Tensor } from '../onnx/tensor';
import { type ModelConfig, headDim, validateModelConfig } from '../models/config';
import type { Weights } from '../models/init';
import { paramNames } from '../models/param-names';
import { SAMPLER_OPSET, decodeNames, decodeStepWeights } from './decode-graph';

/**
 * How the decode loop picks tokens: 'greedy' (argmax), 'plain' (inverse CDF over the whole tempered softmax) or
 * 'sorted' (top-k and/or top-p: the candidates sorted by probability, then the inverse CDF over the kept ones).
 * One compiled graph per mode: a top-k sort on every step would cost plain sampling ~0.1 ms.
 */
export type SamplingMode = 'greedy' | 'plain' | 'sorted';

/** Input/output names of the decode-loop graph (besides the cache names of {@link decodeNames}). */
export const loopNames = {
  /** int64 [] — most steps this run (the Loop's trip count). */
  steps: 'steps',
  /** float [batch, V] — logits of each row's next token (the prefill's, or the previous run's `next_logits`). */
  logits: 'logits',
  /** int64 [batch] — position id of the token sampled first. */
  positions: 'position_ids',
  /** float [batch, 1, 1, cap] — 0 = visible slot, −1e9 = padding or not yet written. */
  cacheBias: 'cache_bias',
  /** double [steps, batch] — one uniform per row and step, drawn in JavaScript from each row's stream. */
  uniforms: 'uniforms',
  /** float [1] */
  invTemperature: 'inv_temperature',
  /** int64 [batch] — tokens each row may still sample in this run; 0 = finished (its outputs are ignored). */
  budget: 'budget',
  /** float [V] — 1 where sampling the token ends a row (EOS, stop tokens), else 0. */
  stopTable: 'stop_table',
  /** int64 [1] — 'sorted' mode: how many candidates top-k keeps (the sampleable count when off). */
  topK: 'top_k',
  /** double [] — 'sorted' mode: nucleus mass (1 = off). */
  topP: 'top_p',
  /** outputs: int64 [steps run, batch] and float [steps run, batch] (log p at temperature 1 of each sampled token). */
  tokens: 'tokens',
  logprobs: 'token_logprobs',
  /** output float [batch, V] — logits after the last sampled token (to continue in another run). */
  nextLogits: 'next_logits',
  /** outputs float [batch, heads, steps run, headDim] — the new keys/values of every step (to continue in another run). */
  stepKey: (l: number): string => `step_key.${l}`,
  stepValue: (l: number): string => `step_value.${l}`,
};

/** Options of {@link buildDecodeLoopGraph}. */
export interface DecodeLoopOptions {
  mode: SamplingMode;
  /** Token ids below this are sampleable (default: the whole vocabulary). See TokenSelector. */
  sampleable?: number;
  /** Bake weights in as initializers ({@link decodeStepWeights} of them); without, the params are inputs. */
  weights?: Readonly<Weights>;
  /** The same, already passed through {@link decodeStepWeights} (the Sampler keeps such a copy). */
  scaledWeights?: Readonly<Weights>;
  opset?: number;
}

/**
 * N decode steps in one onnxruntime run: an ONNX `Loop` whose body samples a token per row from the current
 * logits (in-graph, from uniforms the caller drew from each row's seeded stream), then runs the model on it with
 * the KV cache, writing the new keys/values into the next cache slot. onnxruntime-node copies every output of a run
 * into fresh JavaScript arrays and each run has a fixed cost, so a per-token run spent more time around the model
 * than in it on small models; here JavaScript only sees the sampled tokens and their log-probs.
 *
 * Token selection (both modes draw one uniform u per row and step, so streams advance the same whatever the
 * settings): the candidate probabilities p (softmax of logits · inv_temperature, over the sampleable ids — in id
 * order for 'plain', sorted descending with ties to the lower id for 'sorted') are summed cumulatively in float64,
 * c_j = p_0 + … + p_j; the token is the first j with c_j > u · c_last (clamped to the last candidate). 'sorted'
 * keeps the first top_k candidates, then the shortest prefix whose mass reaches top_p · (their mass).
 * TokenSelector implements the same rule in JavaScript.
 *
 * The cache inputs are [batch, heads, cap, headDim] per layer; slots ≥ `slot` must have bias −1e9 (written as the
 * loop goes). Rows stop counting as live when they sample a stop token or exhaust their budget; the loop ends early
 * when no row is live. Outputs: {@link loopNames}.
 */
export function buildDecodeLoopGraph(cfg: ModelConfig, options: DecodeLoopOptions): Uint8Array {
  validateModelConfig(cfg);
  const { vocabSize: V, context, width: D, heads: H, layers: L } = cfg;
  const hd = headDim(cfg);
  const S = options.sampleable ?? V;
  if (!(Number.isInteger(S) && S >= 1 && S <= V)) throw new Error(`buildDecodeLoopGraph: sampleable ${S} must be in [1, ${V}]`);
  const opset = options.opset ?? SAMPLER_OPSET;
  const g = new Graph({ opset });
  const b = new Graph({ opset, namePrefix: 'loop/' });
  const B = 'batch';
  const f = g.dtype;

  // ---- outer graph: inputs, and constants the body reads ----
  const steps = g.input(loopNames.steps, [], 'int64');
  const logits0 = g.input(loopNames.logits, [B, V]);
  const pos0 = g.input(loopNames.positions, [B], 'int64');
  const bias0 = g.input(loopNames.cacheBias, [B, 1, 1, 'cap']);
  const cache0: Tensor[] = [];
  for (let l = 0; l < L; l++) {
    cache0.push(g.input(decodeNames.cacheKey(l), [B, H, 'cap', hd]), g.input(decodeNames.cacheValue(l), [B, H, 'cap', hd]));
  }
  const uniforms = options.mode === 'greedy' ? undefined : g.input(loopNames.uniforms, ['steps', B], 'float64');
  const invT = options.mode === 'greedy' ? undefined : g.input(loopNames.invTemperature, [1]);
  const budget = g.input(loopNames.budget, [B], 'int64');
  const stopTable = g.input(loopNames.stopTable, [V]);
  const topK = options.mode === 'sorted' ? g.input(loopNames.topK, [1], 'int64') : undefined;
  const topP = options.mode === 'sorted' ? g.input(loopNames.topP, [], 'float64') : undefined;
  const alive0 = g.cast(g.greater(budget, g.const(0, [], 'int64')), f);
  const i64 = (v: number): Tensor => g.const(v, [], 'int64');
  const stepIdx = g.op('Range', [i64(0), steps, i64(1)], [{ shape: ['steps'], dtype: 'int64', hint: 'step_idx' }])[0];
  // go_on[t] = 1 − stop_table[t]; budget_left[i, row] = 1 when step i + 1 is within the row's budget
  const goOn = g.sub(g.const(1), stopTable);
  const budgetLeft = g.cast(g.less(g.reshape(g.add(stepIdx, i64(1)), ['steps', 1]), g.reshape(budget, [1, B])), f);
  // index/update templates for the cache writes, built once per run: [batch, H, 1, hd] and [batch, 1, 1, 1] zeros
  const capEnd = g.op('Slice', [g.shapeOf(bias0), g.ints([3]), g.ints([4])], [{ shape: [1], dtype: 'int64', hint: 'cap' }])[0];
  const emptyShape = g.op('Concat', [g.shapeOf(pos0), g.ints([H, 0, hd])], [{ shape: [4], dtype: 'int64', hint: 'empty_shape' }], { axis: attr.int(0) })[0];
  const emptyKV = g.op('Expand', [g.const(0), emptyShape], [{ shape: [B, H, 0, hd], dtype: f, hint: 'empty_kv' }])[0];

  const params: Record<string, Tensor> = {};
  const param = (name: string, shape: number[]): Tensor => (params[name] ??= g.param(name, shape));
  const w = (name: string, shape: number[]): Tensor => b.outer(param(name, shape));
  // per-run tables the body looks up by step (one Gather per step instead of a loop-carried position, an Add, a Min
  // and a Gather; a [1, batch] uniform row without a Reshape): position embeddings [steps, batch, D] of positions
  // min(position_ids + i, context − 1), and the uniforms as [steps, 1, batch]
  const posTable = g.min(g.add(g.reshape(stepIdx, ['steps', 1]), g.reshape(pos0, [1, B])), i64(context - 1));
  const wpeRun = g.gather(param(paramNames.wpe(), [context, D]), posTable);
  const uniformRows = uniforms ? g.reshape(uniforms, ['steps', 1, B]) : undefined;
  const op = (type: string, inputs: (Tensor | null)[], shape: Shape, dtype: DType, attrs: Attrs = {}, hint = type.toLowerCase()): Tensor =>
    b.op(type, inputs, [{ shape, dtype, hint }], attrs)[0];

  // ---- loop body ----
  const iter = b.input('loop.iter', [], 'int64');
  b.input('loop.cond', [], 'bool');
  const logits = b.input('loop.logits', [B, V]);
  const chunk = cache0.map((_, i) => b.input(`loop.chunk.${i}`, [B, H, 'n', hd]));
  const alive = b.input('loop.alive', [B]);

  // 1. choose this step's token per row from `logits`
  const logp = b.logSoftmax(logits);
  let tok: Tensor;
  if (options.mode === 'greedy') {
    const cand = S < V ? op('Slice', [logp, b.ints([0]), b.ints([S]), b.ints([1])], [B, S], f) : logp;
    tok = b.argMax(cand, 1);
  } else {
    const probs = b.softmax(b.mul(logits, b.outer(invT as Tensor)));
    const cand = S < V ? op('Slice', [probs, b.ints([0]), b.ints([S]), b.ints([1])], [B, S], f) : probs;
    const u = op('Gather', [b.outer(uniformRows as Tensor), iter], [1, B], 'float64', { axis: attr.int(0) }, 'u');
    const count = (cdf: Tensor, r: Tensor): Tensor =>
      op('ReduceSum', [b.cast(b.lessOrEqual(cdf, r), 'int64'), b.ints([1])], [B], 'int64', { keepdims: attr.int(0) }, 'count');
    const lastOf = (cdf: Tensor, at: Tensor): Tensor => b.gatherElements(cdf, at, 1);
    if (options.mode === 'plain') {
      // candidates down the columns, [S, batch]: onnxruntime's CumSum along the last axis of [batch, S] took 22 µs
      // for 16 × 512 (float64), along the first axis of the transpose 4.5 µs; the transpose is of the float32
      // probabilities (a float64 one took 15 µs), and the count is a float ReduceSum (exact below 2^24), cheaper than
      // an int64 one. Same sums in the same order, so the same tokens
      const cdf = op('CumSum', [b.cast(b.transpose(cand, [1, 0]), 'float64'), b.const(0, [], 'int64')], [S, B], 'float64', {}, 'cdf');
      const total = op('Slice', [cdf, b.ints([S - 1]), b.ints([S]), b.ints([0])], [1, B], 'float64', {}, 'total');
      const r = b.mul(u, total);
      const below = op('ReduceSum', [b.cast(b.lessOrEqual(cdf, r), f), b.ints([0])], [B], f, { keepdims: attr.int(0) }, 'count');
      tok = b.cast(b.min(below, S - 1), 'int64');
    } else {
      const [vals, idx] = b.op('TopK', [cand, b.outer(topK as Tensor)], [{ shape: [B, 'k'], dtype: f, hint: 'top_vals' }, { shape: [B, 'k'], dtype: 'int64', hint: 'top_idx' }], { axis: attr.int(1), largest: attr.int(1), sorted: attr.int(1) });
      const cdf = op('CumSum', [b.cast(vals, 'float64'), b.const(1, [], 'int64')], [B, 'k'], 'float64', {}, 'cdf');
      const km1 = b.reshape(b.sub(b.outer(topK as Tensor), b.const(1, [], 'int64')), [1, 1]);
      const uCol = b.reshape(u, [B, 1]);
      const kIdx = op('Expand', [km1, op('Shape', [uCol], [2], 'int64')], [B, 1], 'int64');
      const massK = lastOf(cdf, kIdx);
      // kept = shortest prefix whose mass reaches top_p · massK (at least one, at most k)
      const target = b.mul(massK, b.outer(topP as Tensor));
      const below = op('ReduceSum', [b.cast(b.less(cdf, target), 'int64'), b.ints([1])], [B, 1], 'int64', { keepdims: attr.int(1) }, 'below');
      const lastKept = b.min(below, kIdx);
      const mass = lastOf(cdf, lastKept);
      const r = b.mul(uCol, mass);
      const j = b.min(b.reshape(count(cdf, r), [B, 1]), lastKept);
      tok = b.reshape(b.gatherElements(idx, j, 1), [B]);
    }
  }
  const tok2 = b.reshape(tok, [B, 1]);
  // [batch, 1]; the scan output is reshaped once per run
  const tokLogp = b.gatherElements(logp, tok2, 1);
  // alive (1/0 per row) stays 1 while the token is not a stop token and the next step is within the row's budget:
  // both factors are looked up in tables the outer graph builds once per run (4 kernels fewer per step)
  const keepOn = op('Gather', [b.outer(goOn), tok], [B], f, { axis: attr.int(0) }, 'go_on');
  const inBudget = op('Gather', [b.outer(budgetLeft), iter], [B], f, { axis: attr.int(0) }, 'in_budget');
  const aliveNext = b.mul(b.mul(alive, keepOn), inBudget);
  const anyAlive = b.cast(op('ReduceMax', [aliveNext], [], f, { keepdims: attr.int(0) }, 'any_alive'), 'bool');

  // 2. run the model on the chosen tokens. Attention reads the cache (read-only: copying it each step would cost
  // more than the model) and this run's own keys/values, which grow by one slot per step
  let x = b.add(b.gather(w(paramNames.wte(), [V, D]), tok), op('Gather', [b.outer(wpeRun), iter], [B, D], f, { axis: attr.int(0) }, 'wpe_step'));
  const gemm = (a: Tensor, [wn, bn]: [string, string], k: number, n: number): Tensor => op('Gemm', [a, w(wn, [k, n]), w(bn, [n])], [B, n], f, {}, 'gemm');
  const cacheNext: Tensor[] = [];
  for (let l = 0; l < L; l++) {
    const [ln1w, ln1b] = paramNames.ln1(l);
    const h = b.layerNorm(x, w(ln1w, [D]), w(ln1b, [D]));
    // [batch, 3D] → [batch, 3H, 1, hd] → q, k, v [batch, H, 1, hd]: one Reshape and one Split
    const [q, k, v] = b.split(b.reshape(gemm(h, paramNames.attn(l), D, 3 * D), [B, 3 * H, 1, hd]), [H, H, H], 1);
    const ck = op('Concat', [chunk[2 * l], k], [B, H, 'n1', hd], f, { axis: attr.int(2) }, 'chunk_k');
    const cv = op('Concat', [chunk[2 * l + 1], v], [B, H, 'n1', hd], f, { axis: attr.int(2) }, 'chunk_v');
    cacheNext.push(ck, cv);
    const pastK = b.outer(cache0[2 * l]);
    const pastV = b.outer(cache0[2 * l + 1]);
    const sPast = b.add(b.matmul(q, b.swapLast(pastK)), b.outer(bias0));
    const sNew = b.matmul(q, b.swapLast(ck));
    const att = b.softmax(op('Concat', [sPast, sNew], [B, H, 1, 'all'], f, { axis: attr.int(3) }, 'scores'));
    const capT = b.outer(capEnd);
    const pPast = op('Slice', [att, b.ints([0]), capT, b.ints([3])], [B, H, 1, 'cap'], f, {}, 'p_past');
    const pNew = op('Slice', [att, capT, b.ints([Number.MAX_SAFE_INTEGER]), b.ints([3])], [B, H, 1, 'n1'], f, {}, 'p_new');
    const y = b.reshape(b.add(b.matmul(pPast, pastV), b.matmul(pNew, cv)), [B, D]);
    x = b.add(x, gemm(y, paramNames.attnProj(l), D, D));
    const [ln2w, ln2b] = paramNames.ln2(l);
    const m = b.gelu(gemm(b.layerNorm(x, w(ln2w, [D]), w(ln2b, [D])), paramNames.fc(l), D, 4 * D));
    x = b.add(x, gemm(m, paramNames.mlpProj(l), 4 * D, D));
  }
  const [lnfw, lnfb] = paramNames.lnf();
  const hf = b.layerNorm(x, w(lnfw, [D]), w(lnfb, [D]));
  const nextLogits = op('Gemm', [hf, w(paramNames.wte(), [V, D])], [B, V], f, { transB: attr.int(1) }, 'logits');

  const bodyOutputs: Record<string, Tensor> = { 'loop.cond_out': anyAlive, 'loop.logits_out': nextLogits };
  cacheNext.forEach((t, i) => (bodyOutputs[`loop.cache_out.${i}`] = t));
  bodyOutputs['loop.alive_out'] = aliveNext;
  bodyOutputs['loop.tok'] = tok;
  bodyOutputs['loop.logp'] = tokLogp;
  const body = b.buildGraph({ outputs: bodyOutputs, name: 'decode_step' });

  // ---- the Loop node ----
  const cond0 = g.cast(g.op('ReduceMax', [alive0], [{ shape: [], dtype: f, hint: 'any_alive0' }], { keepdims: attr.int(0) })[0], 'bool');
  const outs = g.node(
    'Loop',
    [steps, cond0, logits0, ...cache0.map(() => emptyKV), alive0],
    [
      { shape: [B, V], dtype: f, hint: 'loop_logits' },
      ...cache0.map(() => ({ shape: [B, H, 'n', hd], dtype: f, hint: 'loop_chunk' })),
      { shape: [B], dtype: f, hint: 'loop_alive' },
      { shape: ['n', B], dtype: 'int64', hint: 'loop_tokens' },
      { shape: ['n', B, 1], dtype: f, hint: 'loop_logprobs' },
    ],
    { body: attr.graph(body) },
    '',
    b.outerValues,
  );
  // Loop outputs: the carried values' finals (logits, chunk keys/values, alive), then the scan outputs
  const nCarried = 1 + cache0.length + 1;
  const outputs: Record<string, Tensor> = {
    [loopNames.tokens]: outs[nCarried],
    [loopNames.logprobs]: g.reshape(outs[nCarried + 1], ['n', B]),
    [loopNames.nextLogits]: outs[0],
  };
  // the run's new keys/values are the carried chunks' finals, already [batch, H, steps, hd] as in the cache (scan
  // outputs of each step's k/v would be copied per step and transposed after the loop)
  for (let l = 0; l < L; l++) {
    outputs[loopNames.stepKey(l)] = outs[1 + 2 * l];
    outputs[loopNames.stepValue(l)] = outs[1 + 2 * l + 1];
  }
  const scaled = options.scaledWeights ?? (options.weights ? decodeStepWeights(cfg, options.weights) : undefined);
  const initializers = scaled ? bakeParams(g, scaled) : undefined;
  return g.build({ outputs, initializers, name: `hone-decode-loop-${options.mode}` });
}

function bakeParams(g: Graph, weights: Readonly<Weights>): Record<string, Float32Array> {
  const out: Record<string, Float32Array> = {};
  for (const p of g.params) {
    const w = weights[p.name];
    if (!w) throw new Error(`buildDecodeLoopGraph: weights lack ${p.name}`);
    out[p.name] = w;
  }
  return out;
}
