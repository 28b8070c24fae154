import type { Tensor } from '../onnx/tensor';
import { seededUniform } from './grad-check';
import type { Graph } from './graph';

/** Size of the reference GPT block used by the whole-model gradient test and scripts/bench-autodiff.ts. */
export interface TinyGptConfig {
  vocab: number;
  ctx: number;
  dim: number;
  layers: number;
  heads: number;
}

/** Handles of the reference model's graph. */
export interface TinyGpt {
  ids: Tensor;
  targets: Tensor;
  mask: Tensor;
  logits: Tensor;
  loss: Tensor;
}

/**
 * A GPT-2-style language model written with the autodiff ops — token + position embeddings (Gather), pre-LN
 * blocks with causal multi-head attention and a GELU MLP, a final LayerNorm, an LM head tied to the token
 * embedding, and masked token cross-entropy. It exists to test and benchmark the autodiff engine on the whole
 * pattern; the production policy lives in engine/models.
 */
export function buildTinyGpt(g: Graph, cfg: TinyGptConfig, batch: number): TinyGpt {
  const { vocab: V, ctx: T, dim: D, layers: L, heads: H } = cfg;
  if (D % H !== 0) throw new Error(`tiny GPT: dim ${D} is not divisible by heads ${H}`);
  const hd = D / H;
  const B = batch;
  const ids = g.input('ids', [B, T], 'int64');
  const targets = g.input('targets', [B, T], 'int64');
  const mask = g.input('loss_mask', [B, T]);
  const wte = g.param('wte', [V, D]);
  let x = g.add(g.gather(wte, ids), g.param('wpe', [T, D]));
  const causal = g.causalMask(T);
  const split = (t: Tensor): Tensor => g.transpose(g.reshape(t, [B, T, H, hd]), [0, 2, 1, 3]);
  for (let l = 0; l < L; l++) {
    x = g.scope(`h${l}`, () => {
      const h = g.layerNorm(x, g.param(`h${l}.ln1.g`, [D]), g.param(`h${l}.ln1.b`, [D]));
      const qkv = g.linear(h, g.param(`h${l}.attn.w`, [D, 3 * D]), g.param(`h${l}.attn.b`, [3 * D]));
      const [q, k, v] = g.split(qkv, [D, D, D], -1).map(split);
      // scale q (hd wide) rather than the scores (T wide)
      const scores = g.add(g.matmul(g.mul(q, 1 / Math.sqrt(hd)), g.swapLast(k)), causal);
      const y = g.reshape(g.transpose(g.matmul(g.softmax(scores), v), [0, 2, 1, 3]), [B, T, D]);
      const x1 = g.add(x, g.linear(y, g.param(`h${l}.proj.w`, [D, D]), g.param(`h${l}.proj.b`, [D])));
      const h2 = g.layerNorm(x1, g.param(`h${l}.ln2.g`, [D]), g.param(`h${l}.ln2.b`, [D]));
      const m = g.gelu(g.linear(h2, g.param(`h${l}.fc.w`, [D, 4 * D]), g.param(`h${l}.fc.b`, [4 * D])));
      return g.add(x1, g.linear(m, g.param(`h${l}.fc2.w`, [4 * D, D]), g.param(`h${l}.fc2.b`, [D])));
    });
  }
  const hf = g.layerNorm(x, g.param('lnf.g', [D]), g.param('lnf.b', [D]));
  const logits = g.matmul(hf, g.transpose(wte, [1, 0]));
  const loss = g.crossEntropy(logits, targets, mask);
  return { ids, targets, mask, logits, loss };
}

/**
 * Seeded initial values for the reference model's params (GPT-2 style: gains 1, biases 0, weights with std
 * `std`, drawn uniformly).
 */
export function initTinyGpt(g: Graph, seed: number, std = 0.02): Record<string, Float64Array> {
  const out: Record<string, Float64Array> = {};
  const half = std * Math.sqrt(3);
  g.params.forEach((p, i) => {
    const n = p.shape.reduce((a, b) => a * b, 1);
    if (p.name.endsWith('.g')) out[p.name] = new Float64Array(n).fill(1);
    else if (p.name.endsWith('.b')) out[p.name] = new Float64Array(n);
    else out[p.name] = seededUniform(seed * 1000 + i, n, -half, half);
  });
  return out;
}
