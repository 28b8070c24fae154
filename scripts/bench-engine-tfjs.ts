/**
 * The engine's GPT (engine/models gptForward) written in @tensorflow/tfjs ops, for the side-by-side training
 * benchmark in bench-engine.ts. Same math: token + position embeddings, pre-LN blocks with causal multi-head
 * attention (q scaled by 1/√hd) and a tanh-GELU MLP, final LayerNorm, LM head tied to the token embedding, mean
 * token cross-entropy. The embedding lookup is a one-hot MatMul on the wasm backend, whose kernels lack Gather's
 * gradient (UnsortedSegmentSum); the result is the same numbers.
 */
import * as tf from '@tensorflow/tfjs';
import type { ModelConfig } from '../engine/models/config';

type Params = Record<string, tf.Variable>;

/** GPT-2-initialised tfjs variables with the engine's parameter layout. */
export function tfjsGptParams(cfg: ModelConfig, seed: number): Params {
  const { vocabSize: V, context: T, width: D, layers: L } = cfg;
  let s = seed;
  const normal = (shape: number[], std: number): tf.Variable => tf.variable(tf.randomNormal(shape, 0, std, 'float32', s++));
  const p: Params = { wte: normal([V, D], 0.02), wpe: normal([T, D], 0.01) };
  for (let l = 0; l < L; l++) {
    p[`ln1g${l}`] = tf.variable(tf.ones([D]));
    p[`ln1b${l}`] = tf.variable(tf.zeros([D]));
    p[`attnW${l}`] = normal([D, 3 * D], 0.02);
    p[`attnB${l}`] = tf.variable(tf.zeros([3 * D]));
    p[`projW${l}`] = normal([D, D], 0.02 / Math.sqrt(2 * L));
    p[`projB${l}`] = tf.variable(tf.zeros([D]));
    p[`ln2g${l}`] = tf.variable(tf.ones([D]));
    p[`ln2b${l}`] = tf.variable(tf.zeros([D]));
    p[`fcW${l}`] = normal([D, 4 * D], 0.02);
    p[`fcB${l}`] = tf.variable(tf.zeros([4 * D]));
    p[`fc2W${l}`] = normal([4 * D, D], 0.02 / Math.sqrt(2 * L));
    p[`fc2B${l}`] = tf.variable(tf.zeros([D]));
  }
  p.lnfg = tf.variable(tf.ones([D]));
  p.lnfb = tf.variable(tf.zeros([D]));
  return p;
}

function layerNorm(x: tf.Tensor, g: tf.Tensor, b: tf.Tensor): tf.Tensor {
  const { mean, variance } = tf.moments(x, -1, true);
  return x.sub(mean).mul(tf.rsqrt(variance.add(1e-5))).mul(g).add(b);
}

function gelu(x: tf.Tensor): tf.Tensor {
  return x.mul(0.5).mul(tf.tanh(x.add(x.pow(3).mul(0.044715)).mul(Math.sqrt(2 / Math.PI))).add(1));
}

/** Mean next-token cross-entropy of the model on ids/targets (int32 [B, T]). */
export function tfjsGptLoss(p: Params, cfg: ModelConfig, ids: tf.Tensor2D, targets: tf.Tensor2D, oneHotEmbedding: boolean): tf.Scalar {
  const { vocabSize: V, width: D, layers: L, heads: H } = cfg;
  const [B, T] = ids.shape;
  const hd = D / H;
  const flat = ids.reshape([-1]) as tf.Tensor1D;
  let x = (oneHotEmbedding ? tf.oneHot(flat, V).matMul(p.wte) : tf.gather(p.wte, flat)).reshape([B, T, D]);
  x = x.add(p.wpe.slice([0, 0], [T, D]));
  const causal = tf.sub(1, tf.linalg.bandPart(tf.ones([T, T]), -1, 0)).mul(-1e9);
  const heads = (t: tf.Tensor): tf.Tensor4D => t.reshape([B, T, H, hd]).transpose([0, 2, 1, 3]) as tf.Tensor4D;
  for (let l = 0; l < L; l++) {
    const h = layerNorm(x, p[`ln1g${l}`], p[`ln1b${l}`]).reshape([B * T, D]);
    const qkv = h.matMul(p[`attnW${l}`]).add(p[`attnB${l}`]);
    const [q, k, v] = tf.split(qkv, 3, 1).map(heads);
    const att = tf.softmax(tf.matMul(q.mul(1 / Math.sqrt(hd)), k, false, true).add(causal), -1);
    const y = tf.matMul(att, v).transpose([0, 2, 1, 3]).reshape([B * T, D]);
    x = x.add(y.matMul(p[`projW${l}`]).add(p[`projB${l}`]).reshape([B, T, D]));
    const h2 = layerNorm(x, p[`ln2g${l}`], p[`ln2b${l}`]).reshape([B * T, D]);
    const m = gelu(h2.matMul(p[`fcW${l}`]).add(p[`fcB${l}`])).matMul(p[`fc2W${l}`]).add(p[`fc2B${l}`]);
    x = x.add(m.reshape([B, T, D]));
  }
  const logits = layerNorm(x, p.lnfg, p.lnfb).reshape([B * T, D]).matMul(p.wte, false, true);
  const logp = tf.logSoftmax(logits, -1);
  const picked = logp.mul(tf.oneHot(targets.reshape([-1]) as tf.Tensor1D, V)).sum(-1);
  return picked.mean().neg() as tf.Scalar;
}

/** A tfjs GPT with an Adam optimizer whose training step can be timed one at a time. */
export interface TfjsTrainer {
  backend: string;
  /** One training step; returns its wall time in ms. */
  step(): Promise<number>;
  dispose(): void;
}

/**
 * Sets up Adam training of the tfjs GPT on `backend` ('wasm' | 'cpu') for batch × context tokens and runs one
 * warm-up step.
 */
export async function createTfjsTrainer(backend: string, cfg: ModelConfig, batch: number): Promise<TfjsTrainer> {
  if (backend === 'wasm') await import('@tensorflow/tfjs-backend-wasm');
  const ok = await tf.setBackend(backend);
  if (!ok) throw new Error(`tfjs backend ${backend} did not initialise`);
  await tf.ready();
  const T = cfg.context;
  const p = tfjsGptParams(cfg, 1);
  const opt = tf.train.adam(1e-3);
  const ids = tf.tensor2d(Int32Array.from({ length: batch * T }, (_, i) => (i * 7) % cfg.vocabSize), [batch, T], 'int32');
  const targets = tf.tensor2d(Int32Array.from({ length: batch * T }, (_, i) => (i * 7 + 3) % cfg.vocabSize), [batch, T], 'int32');
  const oneHot = backend === 'wasm';
  const step = async (): Promise<number> => {
    // the backend is global in tfjs: select ours before each step (benchmarks interleave backends)
    if (tf.getBackend() !== backend) await tf.setBackend(backend);
    const t0 = performance.now();
    const l = opt.minimize(() => tfjsGptLoss(p, cfg, ids, targets, oneHot), true, Object.values(p)) as tf.Scalar;
    await l.data();
    l.dispose();
    return performance.now() - t0;
  };
  await step();
  return {
    backend,
    step,
    dispose: () => {
      tf.dispose([ids, targets, ...Object.values(p)]);
      opt.dispose();
    },
  };
}
