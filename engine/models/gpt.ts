import type { Graph } from '../autodiff/graph';
import type { Dim } from '../onnx/shape';
import { ShapeError } from '../onnx/shape';
import type { Tensor } from '../onnx/tensor';
import { type ModelConfig, headDim, validateModelConfig } from './config';
import { type HeadOptions, paramNames } from './param-names';

/**
 * Attention of one layer: q, k, v are [batch, heads, seq, headDim] (q already scaled by 1/√headDim); returns the
 * attended values with q's shape. Training graphs add a causal (+ padding) mask; the KV-cache graphs also
 * concatenate the past keys/values here.
 */
export type AttendFn = (layer: number, q: Tensor, k: Tensor, v: Tensor) => Tensor;

/**
 * The GPT-2 trunk after the embeddings: `layers` pre-LN blocks (causal multi-head attention, GELU MLP) and the
 * final LayerNorm. `x` is [...lead, D]; `lead` names the leading dims ([B, T] static or ['batch', 'seq']).
 * Declares the block and final-LN params (`prefix` namespaces them) and returns the final hidden states.
 */
export function gptBlocks(g: Graph, cfg: ModelConfig, x: Tensor, lead: readonly Dim[], attend: AttendFn, prefix = ''): Tensor {
  const { width: D, heads: H, layers: L } = cfg;
  const hd = headDim(cfg);
  const p = (name: string, shape: number[]): Tensor => g.param(name, shape);
  const split = (t: Tensor): Tensor => g.transpose(g.reshape(t, [...lead, H, hd]), [0, 2, 1, 3]);
  for (let l = 0; l < L; l++) {
    x = g.scope(`${prefix}h${l}`, () => {
      const [ln1w, ln1b] = paramNames.ln1(l, prefix);
      const [aw, ab] = paramNames.attn(l, prefix);
      const [apw, apb] = paramNames.attnProj(l, prefix);
      const [ln2w, ln2b] = paramNames.ln2(l, prefix);
      const [fw, fb] = paramNames.fc(l, prefix);
      const [mpw, mpb] = paramNames.mlpProj(l, prefix);
      const h = g.layerNorm(x, p(ln1w, [D]), p(ln1b, [D]));
      const qkv = g.linear(h, p(aw, [D, 3 * D]), p(ab, [3 * D]));
      const [q, k, v] = g.split(qkv, [D, D, D], -1).map(split);
      // scale q (hd wide) rather than the scores (seq wide)
      const y = attend(l, g.mul(q, 1 / Math.sqrt(hd)), k, v);
      const merged = g.reshape(g.transpose(y, [0, 2, 1, 3]), [...lead, D]);
      const x1 = g.add(x, g.linear(merged, p(apw, [D, D]), p(apb, [D])));
      const h2 = g.layerNorm(x1, p(ln2w, [D]), p(ln2b, [D]));
      const m = g.gelu(g.linear(h2, p(fw, [D, 4 * D]), p(fb, [4 * D])));
      return g.add(x1, g.linear(m, p(mpw, [4 * D, D]), p(mpb, [D])));
    });
  }
  const [lnfw, lnfb] = paramNames.lnf(prefix);
  return g.layerNorm(x, p(lnfw, [D]), p(lnfb, [D]));
}

/** Static shape of a training/scoring graph: every batch is padded to exactly these. */
export interface GptShape {
  batch: number;
  seq: number;
}

/** Options of {@link gptForward}. */
export interface GptForwardOptions extends HeadOptions {
  /**
   * Add an `attention_mask` input [batch, seq] (float, 1 = token, 0 = padding): padding keys are masked out of
   * attention and position ids count only tokens (so left- and right-padded rows give the same results). Without
   * it rows must be right-padded (tokens contiguous from position 0), which causal attention alone handles.
   * Implied by `rewardHead` (the reward is read at the last token the mask marks).
   */
  attentionMask?: boolean;
  /** Namespace for params (e.g. 'value.' for a separate value trunk next to the policy). Default ''. */
  prefix?: string;
  /** Reuse existing inputs (e.g. the policy's `input_ids` for a second trunk in the same graph). */
  inputs?: { inputIds: Tensor; attentionMask?: Tensor };
}

/** Handles of a model added to a graph by {@link gptForward}. */
export interface GptForward {
  /** int64 [batch, seq] */
  inputIds: Tensor;
  /** float [batch, seq] (1 = token), when the graph has one. */
  attentionMask?: Tensor;
  /** Final-LayerNorm hidden states [batch, seq, D]. */
  hidden: Tensor;
  /** Next-token logits [batch, seq, V] from the LM head tied to the token embedding. Free when unused: build() prunes it. */
  logits: Tensor;
  /** Per-token values [batch, seq] (with `valueHead`). */
  values?: Tensor;
  /** Per-token reward-head outputs [batch, seq] (with `rewardHead`). */
  tokenRewards?: Tensor;
  /** Scalar reward per row [batch], read at the row's last non-pad token (with `rewardHead`). */
  rewards?: Tensor;
  /** Names of the params this call declared, in order. */
  paramNames: string[];
}

/**
 * Adds a GPT-2-architecture model to `g` with static shapes: token + position embeddings, pre-LN blocks, final
 * LayerNorm, an LM head tied to the token embedding and optional value / reward heads. Any trainer puts its own
 * loss on the returned handles, then `g.gradients(loss)` and `g.build()`.
 *
 * ```ts
 * const g = new Graph();
 * const m = gptForward(g, cfg, { batch: 16, seq: 48 });
 * const loss = g.crossEntropy(m.logits, g.input('targets', [16, 48], 'int64'), g.input('loss_mask', [16, 48]));
 * ```
 */
export function gptForward(g: Graph, cfg: ModelConfig, shape: GptShape, options: GptForwardOptions = {}): GptForward {
  validateModelConfig(cfg);
  const { batch: B, seq: T } = shape;
  const { vocabSize: V, context, width: D } = cfg;
  if (!Number.isInteger(B) || B < 1 || !Number.isInteger(T) || T < 1) throw new ShapeError(`gptForward: batch ${B} and seq ${T} must be positive integers`);
  if (T > context) throw new ShapeError(`gptForward: seq ${T} exceeds the model's context ${context}`);
  const prefix = options.prefix ?? '';
  const first = g.params.length;
  const wantMask = options.attentionMask === true || options.rewardHead === true;

  const inputIds = options.inputs?.inputIds ?? g.input('input_ids', [B, T], 'int64');
  if (inputIds.dtype !== 'int64' || inputIds.rank !== 2 || inputIds.shape[0] !== B || inputIds.shape[1] !== T) {
    throw new ShapeError(`gptForward: input ids ${inputIds} must be int64 [${B},${T}]`);
  }
  let attentionMask = options.inputs?.attentionMask;
  if (wantMask && !attentionMask) {
    attentionMask = options.inputs ? undefined : g.input('attention_mask', [B, T]);
    if (!attentionMask) throw new Error('gptForward: options.inputs must carry an attentionMask when the model needs one (attentionMask or rewardHead)');
  }
  if (attentionMask && (attentionMask.dtype !== g.dtype || attentionMask.shape[0] !== B || attentionMask.shape[1] !== T)) {
    throw new ShapeError(`gptForward: attention mask ${attentionMask} must be ${g.dtype} [${B},${T}]`);
  }

  const wte = g.param(paramNames.wte(prefix), [V, D]);
  const wpe = g.param(paramNames.wpe(prefix), [context, D]);
  let pos: Tensor;
  if (attentionMask) {
    // position of a token = number of tokens before it in its row (HF: cumsum(mask) − 1, pads clamped to 0)
    const csum = g.op('CumSum', [attentionMask, g.const(1, [], 'int64')], [{ shape: [B, T], dtype: g.dtype, hint: 'positions' }])[0];
    const ids = g.cast(g.max(g.sub(csum, 1), 0), 'int64');
    pos = g.gather(wpe, ids);
  } else {
    pos = T === context ? wpe : g.slice(wpe, [0], [T], [0]);
  }
  const x = g.add(g.gather(wte, inputIds), pos);

  // additive mask [T,T] or [B,1,T,T]: causal, plus −1e9 on padding keys
  let mask: Tensor = g.causalMask(T);
  if (attentionMask) {
    const padKeys = g.reshape(g.mul(g.sub(attentionMask, 1), 1e9), [B, 1, 1, T]);
    mask = g.add(padKeys, mask);
  }
  const attend: AttendFn = (_l, q, k, v) => g.matmul(g.softmax(g.add(g.matmul(q, g.swapLast(k)), mask)), v);
  const hidden = gptBlocks(g, cfg, x, [B, T], attend, prefix);
  const logits = g.matmul(hidden, g.transpose(wte, [1, 0]));

  const out: GptForward = { inputIds, attentionMask, hidden, logits, paramNames: [] };
  const head = ([w, b]: [string, string]): Tensor => g.reshape(g.linear(hidden, g.param(w, [D, 1]), g.param(b, [1])), [B, T]);
  if (options.valueHead) out.values = head(paramNames.valueHead(prefix));
  if (options.rewardHead) {
    const tokenRewards = head(paramNames.rewardHead(prefix));
    // last token of each row = argmax over t of mask·(t+1); works for left and right padding alike
    const ramp = g.const(Float64Array.from({ length: T }, (_, t) => t + 1), [1, T]);
    const last = g.argMax(g.mul(attentionMask as Tensor, ramp), 1, true);
    out.tokenRewards = tokenRewards;
    out.rewards = g.reshape(g.gatherElements(tokenRewards, last, 1), [B]);
  }
  out.paramNames = g.params.slice(first).map((p) => p.name);
  return out;
}
