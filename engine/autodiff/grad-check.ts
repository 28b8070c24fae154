import type * as ort from 'onnxruntime-node';
import { type TensorData, isFloat, toTypedArray } from '../onnx/dtype';
import { createSession, toOrt } from '../onnx/session';
import { isStatic, numel } from '../onnx/shape';
import type { Tensor } from '../onnx/tensor';
import { Graph } from './graph';

/** Builds a model into `g` and returns its scalar loss. Called once in float64 (and once in float32). */
export type LossBuilder = (g: Graph) => Tensor;

/** Options of {@link checkGradients}. */
export interface GradCheckOptions {
  /** Seed for generated values and for sampling coordinates (default 1). */
  seed?: number;
  /** Values for inputs and params by name; float inputs/params not given are drawn uniformly from [-1, 1). */
  feeds?: Readonly<Record<string, TensorData | readonly number[]>>;
  /** Names of the float inputs/params to check (default: every param). */
  wrt?: readonly string[];
  /** Central-difference step (default 1e-6). */
  eps?: number;
  /**
   * Gradients smaller than this are compared absolutely: the error is |a − n| / max(|a|, |n|, absFloor)
   * (default 1e-3). Finite differences of an exactly-zero gradient come out as roundoff (~1e-10), not zero.
   */
  absFloor?: number;
  /** Coordinates checked per tensor; larger tensors are sampled (default 24). */
  maxCoords?: number;
  /** ONNX opset of the graphs (default: the Graph default, 17). */
  opset?: number;
  /** Also build the model in float32 and compare its loss and gradients with the float64 ones (default true). */
  float32?: boolean;
}

/** One checked coordinate. */
export interface GradCoordinate {
  tensor: string;
  index: number;
  analytic: number;
  numeric: number;
  error: number;
}

/** Outcome of {@link checkGradients}. */
export interface GradCheckResult {
  loss: number;
  /** max over coordinates of |analytic − numeric| / max(|analytic|, |numeric|, absFloor), float64 graph. */
  maxError: number;
  worst: GradCoordinate | undefined;
  checked: number;
  /** float32 vs float64: max over tensors of max|g32 − g64| / max(max|g64|, 1e-6), and the loss's relative gap. */
  float32?: { gradError: number; lossError: number; worstTensor: string };
}

/** A small seeded generator for test data (mulberry32). */
export function seededUniform(seed: number, n: number, lo = -1, hi = 1): Float64Array {
  let s = seed >>> 0;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = lo + (hi - lo) * (((t ^ (t >>> 14)) >>> 0) / 4294967296);
  }
  return out;
}

/** sum(y ⊙ R) for a fixed random R: turns any output into a scalar loss in which every element matters differently. */
export function randomProjection(g: Graph, y: Tensor, seed = 7): Tensor {
  if (!isStatic(y.shape)) throw new Error(`randomProjection: ${y} needs a static shape`);
  const r = g.const(seededUniform(seed, numel(y.shape), -1, 1), y.shape);
  return g.sum(g.mul(y, r));
}

interface Built {
  g: Graph;
  loss: Tensor;
  session: ort.InferenceSession;
  feeds: Record<string, ort.Tensor>;
  values: Map<string, TensorData>;
  wrt: Tensor[];
}

async function buildAndFeed(build: LossBuilder, dtype: 'float32' | 'float64', options: GradCheckOptions, withGrads: boolean): Promise<Built> {
  const g = new Graph({ dtype, opset: options.opset });
  const loss = build(g);
  const wrtNames = options.wrt ?? g.params.map((p) => p.name);
  const wrt = wrtNames.map((n) => {
    const t = g.inputs.find((i) => i.name === n);
    if (!t) throw new Error(`checkGradients: no input or param named ${n}`);
    return t;
  });
  const outputs: Record<string, Tensor> = { loss };
  if (withGrads) g.grad(loss, wrt).forEach((gr, i) => (outputs[`grad:${wrt[i].name}`] = gr));
  const session = await createSession(g.build({ outputs }), { threads: 1 });
  const values = new Map<string, TensorData>();
  const feeds: Record<string, ort.Tensor> = {};
  let seed = options.seed ?? 1;
  for (const t of g.inputs) {
    if (!isStatic(t.shape)) throw new Error(`checkGradients: input ${t} needs a static shape`);
    const given = options.feeds?.[t.name];
    let data: TensorData;
    if (given !== undefined) data = toTypedArray(given as ArrayLike<number>, t.dtype);
    else if (isFloat(t.dtype)) data = toTypedArray(seededUniform(seed++ * 7919, numel(t.shape)), t.dtype);
    else throw new Error(`checkGradients: give feeds for ${t.dtype} input ${t.name}`);
    values.set(t.name, data);
    feeds[t.name] = toOrt(data, t.shape, t.dtype);
  }
  return { g, loss, session, feeds, values, wrt };
}

/**
 * Checks reverse-mode gradients of `build`'s loss against central finite differences, both in float64 on
 * onnxruntime (every op hone emits has a double kernel), and compares the float32 build with the float64 one.
 */
export async function checkGradients(build: LossBuilder, options: GradCheckOptions = {}): Promise<GradCheckResult> {
  const eps = options.eps ?? 1e-6;
  const maxCoords = options.maxCoords ?? 24;
  const absFloor = options.absFloor ?? 1e-3;
  const f64 = await buildAndFeed(build, 'float64', options, true);
  const out = await f64.session.run(f64.feeds);
  const loss = Number(out.loss.data[0]);
  // finite differences only need the loss: a forward-only build of the same graph (build() prunes the backward)
  const fwd = await createSession(f64.g.build({ outputs: { loss: f64.loss } }), { threads: 1 });

  let maxError = 0;
  let worst: GradCoordinate | undefined;
  let checked = 0;
  let pick = (options.seed ?? 1) * 104729;
  for (const w of f64.wrt) {
    const analytic = out[`grad:${w.name}`].data as Float64Array;
    const base = f64.values.get(w.name) as Float64Array;
    const n = base.length;
    const idx = n <= maxCoords ? [...Array(n).keys()] : [...new Set(Array.from(seededUniform(pick++, maxCoords, 0, n), Math.floor))];
    for (const i of idx) {
      const orig = base[i];
      const runAt = async (v: number): Promise<number> => {
        const data = base.slice();
        data[i] = v;
        const r = await fwd.run({ ...f64.feeds, [w.name]: toOrt(data, w.shape as number[], 'float64') });
        return Number(r.loss.data[0]);
      };
      const numeric = ((await runAt(orig + eps)) - (await runAt(orig - eps))) / (2 * eps);
      const a = analytic[i];
      const error = Math.abs(a - numeric) / Math.max(Math.abs(a), Math.abs(numeric), absFloor);
      checked++;
      if (!(error <= maxError)) {
        maxError = Number.isNaN(error) ? Infinity : error;
        worst = { tensor: w.name, index: i, analytic: a, numeric, error };
      }
    }
  }
  const result: GradCheckResult = { loss, maxError, worst, checked };

  if (options.float32 ?? true) {
    const f32opts = { ...options, feeds: Object.fromEntries([...f64.values].map(([k, v]) => [k, v instanceof Float64Array ? Float32Array.from(v) : v])) };
    const f32 = await buildAndFeed(build, 'float32', f32opts, true);
    const o32 = await f32.session.run(f32.feeds);
    let gradError = 0;
    let worstTensor = '';
    for (const w of f64.wrt) {
      const g64 = out[`grad:${w.name}`].data as Float64Array;
      const g32 = o32[`grad:${w.name}`].data as Float32Array;
      let scale = 1e-6;
      let diff = 0;
      for (let i = 0; i < g64.length; i++) {
        scale = Math.max(scale, Math.abs(g64[i]));
        diff = Math.max(diff, Math.abs(g32[i] - g64[i]));
      }
      const e = Number.isNaN(diff) ? Infinity : diff / scale;
      if (e >= gradError) {
        gradError = e;
        worstTensor = w.name;
      }
    }
    const l32 = Number(o32.loss.data[0]);
    result.float32 = { gradError, lossError: Math.abs(l32 - loss) / Math.max(Math.abs(loss), 1e-6), worstTensor };
  }
  return result;
}
