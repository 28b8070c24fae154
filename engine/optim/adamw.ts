/** A parameter as the optimizer sees it (engine/autodiff's ParamInfo fits). */
export interface ParamSpec {
  readonly name: string;
  readonly shape: readonly number[];
}

/** Hyper-parameters of {@link AdamW}. */
export interface AdamWOptions {
  /** Default learning rate when step() is not given one (default 1e-3). */
  lr?: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
  /** Decoupled weight decay λ: p ← p − lr·λ·p on decayed params (default 0.01). */
  weightDecay?: number;
  /**
   * Which params get weight decay. Default: rank ≥ 2 (matrices and embeddings), not biases or LayerNorm gains.
   * Pass e.g. `(name, shape) => shape.length >= 2 && name !== 'wte'` to exclude embeddings too.
   */
  decay?: (name: string, shape: readonly number[]) => boolean;
}

/** The JSON half of a serialised optimizer; the moments travel as Float32Arrays next to it. */
export interface AdamWStateMeta {
  format: 'hone.adamw.v1';
  step: number;
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  params: { name: string; shape: number[]; decay: boolean }[];
}

/** Serialised optimizer: `meta` is JSON; `tensors` holds `m/<param>` and `v/<param>` (copies). */
export interface AdamWState {
  meta: AdamWStateMeta;
  tensors: Record<string, Float32Array>;
}

interface Slot {
  name: string;
  shape: number[];
  size: number;
  decay: boolean;
  m: Float32Array;
  v: Float32Array;
}

/**
 * AdamW (Loshchilov & Hutter; the PyTorch update order) over Float32Array params, in JavaScript.
 *
 * Why JavaScript and not an onnxruntime graph: measured with scripts/bench-autodiff.ts on the 2-core machine
 * (2 threads, copies back into the Float32Arrays included), 0.5M params 2.7–3.5 ms in JS vs 3.0–5.0 ms as a graph,
 * 2M params 10.5–14 ms vs 25–26 ms; the graph also costs an extra session and feeds. Arithmetic is float64, moments
 * are stored as float32; the update is a fixed sequence of IEEE operations, so a run resumed from
 * {@link exportState} continues bit-identically.
 */
export class AdamW {
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly weightDecay: number;
  /** Default learning rate. */
  lr: number;
  private slots: Slot[];
  private t = 0;

  constructor(params: readonly ParamSpec[], options: AdamWOptions = {}) {
    this.lr = options.lr ?? 1e-3;
    this.beta1 = options.beta1 ?? 0.9;
    this.beta2 = options.beta2 ?? 0.999;
    this.eps = options.eps ?? 1e-8;
    this.weightDecay = options.weightDecay ?? 0.01;
    for (const [k, v] of Object.entries({ beta1: this.beta1, beta2: this.beta2 })) {
      if (!(v >= 0 && v < 1)) throw new Error(`AdamW: ${k} must be in [0, 1), got ${v}`);
    }
    if (!(this.eps > 0)) throw new Error(`AdamW: eps must be positive, got ${this.eps}`);
    if (!(this.weightDecay >= 0)) throw new Error(`AdamW: weightDecay must be ≥ 0, got ${this.weightDecay}`);
    const decay = options.decay ?? ((_name: string, shape: readonly number[]) => shape.length >= 2);
    const seen = new Set<string>();
    this.slots = params.map((p) => {
      if (seen.has(p.name)) throw new Error(`AdamW: param ${p.name} listed twice`);
      seen.add(p.name);
      const size = p.shape.reduce((a, b) => a * b, 1);
      return { name: p.name, shape: [...p.shape], size, decay: decay(p.name, p.shape), m: new Float32Array(size), v: new Float32Array(size) };
    });
  }

  /** Number of updates taken so far. */
  get stepCount(): number {
    return this.t;
  }

  /** Names of the params that get weight decay. */
  get decayed(): string[] {
    return this.slots.filter((s) => s.decay).map((s) => s.name);
  }

  /**
   * One update of every param in place. `gradScale` multiplies the gradients first (global-norm clipping
   * without an extra pass: see clipScale in ./clip-grad).
   */
  step(params: Readonly<Record<string, Float32Array>>, grads: Readonly<Record<string, ArrayLike<number>>>, options: { lr?: number; gradScale?: number } = {}): void {
    const lr = options.lr ?? this.lr;
    const scale = options.gradScale ?? 1;
    if (!Number.isFinite(lr) || !Number.isFinite(scale)) throw new Error(`AdamW.step: lr ${lr} / gradScale ${scale} must be finite`);
    for (const s of this.slots) {
      const p = params[s.name];
      const g = grads[s.name];
      if (!p) throw new Error(`AdamW.step: no values for param ${s.name}`);
      if (!g) throw new Error(`AdamW.step: no gradient for param ${s.name}`);
      if (p.length !== s.size || g.length !== s.size) throw new Error(`AdamW.step: ${s.name} has ${p.length} values and ${g.length} gradients, expected ${s.size}`);
    }
    const t = ++this.t;
    const b1 = this.beta1;
    const b2 = this.beta2;
    const ob1 = 1 - b1;
    const ob2 = 1 - b2;
    // p ← p·(1 − lr·λ) − (lr/c1)·m / (√v/√c2 + eps): bias corrections folded into two scalars
    const stepSize = lr / (1 - b1 ** t);
    const invSqrtC2 = 1 / Math.sqrt(1 - b2 ** t);
    const eps = this.eps;
    for (const s of this.slots) {
      const p = params[s.name];
      const g = grads[s.name];
      const { m, v, size } = s;
      const keep = s.decay ? 1 - lr * this.weightDecay : 1;
      for (let i = 0; i < size; i++) {
        const gi = g[i] * scale;
        const mi = b1 * m[i] + ob1 * gi;
        const vi = b2 * v[i] + ob2 * (gi * gi);
        m[i] = mi;
        v[i] = vi;
        p[i] = p[i] * keep - (stepSize * mi) / (Math.sqrt(vi) * invSqrtC2 + eps);
      }
    }
  }

  /** A snapshot of the optimizer: JSON-able meta plus copies of the moments. */
  exportState(): AdamWState {
    const tensors: Record<string, Float32Array> = {};
    for (const s of this.slots) {
      tensors[`m/${s.name}`] = s.m.slice();
      tensors[`v/${s.name}`] = s.v.slice();
    }
    return {
      meta: {
        format: 'hone.adamw.v1',
        step: this.t,
        lr: this.lr,
        beta1: this.beta1,
        beta2: this.beta2,
        eps: this.eps,
        weightDecay: this.weightDecay,
        params: this.slots.map((s) => ({ name: s.name, shape: [...s.shape], decay: s.decay })),
      },
      tensors,
    };
  }

  /** Rebuilds an optimizer from {@link exportState}'s output (e.g. after JSON and safetensors round trips). */
  static fromState(state: AdamWState): AdamW {
    const { meta, tensors } = state;
    if (meta.format !== 'hone.adamw.v1') throw new Error(`AdamW.fromState: unknown format ${String(meta.format)}`);
    if (!Number.isInteger(meta.step) || meta.step < 0) throw new Error(`AdamW.fromState: bad step ${meta.step}`);
    const decayOf = new Map(meta.params.map((p) => [p.name, p.decay]));
    const opt = new AdamW(meta.params, {
      lr: meta.lr,
      beta1: meta.beta1,
      beta2: meta.beta2,
      eps: meta.eps,
      weightDecay: meta.weightDecay,
      decay: (name) => decayOf.get(name) === true,
    });
    for (const s of opt.slots) {
      for (const k of ['m', 'v'] as const) {
        const data = tensors[`${k}/${s.name}`];
        if (!data) throw new Error(`AdamW.fromState: missing ${k}/${s.name}`);
        if (data.length !== s.size) throw new Error(`AdamW.fromState: ${k}/${s.name} has ${data.length} values, expected ${s.size}`);
        s[k].set(data);
      }
    }
    opt.t = meta.step;
    return opt;
  }
}
