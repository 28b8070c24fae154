import { attr } from '../../onnx/attributes';
import { ShapeError, dimsEqual, formatShape } from '../../onnx/shape';
import type { Tensor } from '../../onnx/tensor';
import type { Graph } from '../graph';

const GELU_C = Math.sqrt(2 / Math.PI);
const GELU_A = 0.044715;

function lastAxisFloat(g: Graph, x: Tensor, where: string): void {
  g.own(x, where);
  if (x.rank < 1) throw new ShapeError(`${where}(${x.name}): needs rank ≥ 1`);
  if (x.dtype !== 'float32' && x.dtype !== 'float64') throw new ShapeError(`${where}(${x.name}): needs a float tensor`);
}

/** Softmax family, LayerNorm, GELU, log-prob gathering and the losses built from them. */
export const nnOps = {
  /** Softmax over the last axis. */
  softmax(this: Graph, x: Tensor): Tensor {
    lastAxisFloat(this, x, 'softmax');
    const y = this.emit('Softmax', [x], { shape: x.shape, dtype: x.dtype, hint: 'softmax' }, { axis: attr.int(-1) });
    this.record('softmax', [x], [y], ([gy]) => {
      const s = this.mul(gy as Tensor, y);
      return [this.sub(s, this.mul(y, this.reduceSumRaw(s, [-1], true)))];
    });
    return y;
  },

  /** Log-softmax over the last axis. */
  logSoftmax(this: Graph, x: Tensor): Tensor {
    lastAxisFloat(this, x, 'logSoftmax');
    const y = this.emit('LogSoftmax', [x], { shape: x.shape, dtype: x.dtype, hint: 'logsoftmax' }, { axis: attr.int(-1) });
    this.record('logSoftmax', [x], [y], ([gy0]) => {
      const gy = this.expandTo(gy0 as Tensor, y);
      return [this.sub(gy, this.mul(this.exp(y), this.reduceSumRaw(gy, [-1], true)))];
    });
    return y;
  },

  /**
   * LayerNorm over the last axis with gain and bias [D]. Forward is onnxruntime's fused LayerNormalization
   * (float32 also returns its mean and 1/σ for the backward); the backward is explicit.
   */
  layerNorm(this: Graph, x: Tensor, gamma: Tensor, beta: Tensor, eps = 1e-5): Tensor {
    lastAxisFloat(this, x, 'layerNorm');
    const d = x.shape[x.rank - 1];
    for (const p of [gamma, beta]) {
      this.own(p, 'layerNorm');
      if (p.rank !== 1 || dimsEqual(p.shape[0], d) === false || p.dtype !== x.dtype) {
        throw new ShapeError(`layerNorm(${x.name}, ${gamma.name}, ${beta.name}): gain/bias must be [${d}] ${x.dtype}, got ${p} ${p.dtype}`);
      }
    }
    const statShape = [...x.shape.slice(0, -1), 1];
    const attrs = { axis: attr.int(-1), epsilon: attr.float(eps) };
    let y: Tensor;
    let mean: Tensor | undefined;
    let rstd: Tensor | undefined;
    if (x.dtype === 'float32') {
      [y, mean, rstd] = this.node('LayerNormalization', [x, gamma, beta], [
        { shape: x.shape, dtype: x.dtype, hint: 'layernorm' },
        { shape: statShape, dtype: 'float32', hint: 'ln_mean' },
        { shape: statShape, dtype: 'float32', hint: 'ln_rstd' },
      ], attrs);
    } else {
      // onnxruntime hands out the statistics in float32 even for double input: recompute them in the backward
      y = this.emit('LayerNormalization', [x, gamma, beta], { shape: x.shape, dtype: x.dtype, hint: 'layernorm' }, attrs);
    }
    this.record('layerNorm', [x, gamma, beta], [y], ([gy0], needs) => {
      const gy = this.expandTo(gy0 as Tensor, y);
      if (!mean || !rstd) {
        mean = this.reduceRaw('ReduceMean', x, [x.rank - 1], true);
        const xc = this.sub(x, mean);
        // the attribute is a float32, so the forward used fround(eps): match it
        const v = this.reduceRaw('ReduceMean', this.square(xc), [x.rank - 1], true);
        rstd = this.div(1, this.sqrt(this.add(v, Math.fround(eps))));
      }
      const xhat = this.mul(this.sub(x, mean), rstd);
      const dxhat = this.mul(gy, gamma);
      const m1 = this.reduceRaw('ReduceMean', dxhat, [x.rank - 1], true);
      const m2 = this.reduceRaw('ReduceMean', this.mul(dxhat, xhat), [x.rank - 1], true);
      return [
        needs[0] ? this.mul(rstd, this.sub(this.sub(dxhat, m1), this.mul(xhat, m2))) : undefined,
        needs[1] ? this.reduceTo(this.mul(gy, xhat), gamma.shape) : undefined,
        needs[2] ? this.reduceTo(gy, beta.shape) : undefined,
      ];
    });
    return y;
  },

  /**
   * GELU, tanh approximation (GPT-2): 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))), computed as x·σ(z) with
   * z = x·(2c + 2ca·x²) (the same function: ½(1 + tanh(w)) = σ(2w)). With opset ≥ 20 the forward is the Gelu op and
   * the backward recomputes σ(z); below, the forward is built from primitives that the backward reuses.
   *
   * Why the sigmoid form: a training step spends much of its non-MatMul time in these elementwise kernels over
   * [batch, seq, 4D]; it takes 6 forward + 7 backward kernels where the tanh form took 8 + 8 (measured in
   * engine/autodiff/README.md).
   */
  gelu(this: Graph, x: Tensor): Tensor {
    lastAxisFloat(this, x, 'gelu');
    const s = { shape: x.shape, dtype: x.dtype };
    const c = (v: number): Tensor => this.scalar(v, x.dtype);
    // x2 = x², sig = σ(x·(2c + 2ca·x²)); y = x·sig
    const sigmoidOf = (): { x2: Tensor; sig: Tensor } => {
      const x2 = this.emit('Mul', [x, x], s);
      const poly = this.emit('Add', [this.emit('Mul', [x2, c(2 * GELU_C * GELU_A)], s), c(2 * GELU_C)], s);
      return { x2, sig: this.emit('Sigmoid', [this.emit('Mul', [x, poly], s)], s) };
    };
    let y: Tensor;
    let saved: ReturnType<typeof sigmoidOf> | undefined;
    if (this.opset >= 20) {
      // one fused op forward; the backward recomputes the sigmoid
      y = this.emit('Gelu', [x], { ...s, hint: 'gelu' }, { approximate: 'tanh' });
    } else {
      saved = sigmoidOf();
      y = this.emit('Mul', [x, saved.sig], { ...s, hint: 'gelu' });
    }
    this.record('gelu', [x], [y], ([gy]) => {
      const { x2, sig } = saved ?? sigmoidOf();
      // d/dx = σ + x·σ(1 − σ)·z' with z' = 2c + 6ca·x², and x·σ = y: = σ + (y − y·σ)·z'
      const dz = this.add(this.mul(x2, 6 * GELU_C * GELU_A), 2 * GELU_C);
      const dy = this.add(this.mul(this.sub(y, this.mul(y, sig)), dz), sig);
      return [this.mul(gy as Tensor, dy)];
    });
    return y;
  },

  /**
   * log softmax(logits)[target] for int64 targets: logits [..., V], targets [...] → [...]. The backward is
   * −softmax·g plus a ScatterElements add of g at the targets: no one-hot anywhere.
   */
  gatherLogProbs(this: Graph, logits: Tensor, targets: Tensor): Tensor {
    lastAxisFloat(this, logits, 'gatherLogProbs');
    this.own(targets, 'gatherLogProbs');
    const where = `gatherLogProbs(${logits.name}, ${targets.name})`;
    if (targets.dtype !== 'int64') throw new ShapeError(`${where}: targets must be int64, got ${targets.dtype}`);
    const lead = logits.shape.slice(0, -1);
    if (targets.rank !== lead.length || targets.shape.some((d, i) => dimsEqual(d, lead[i]) === false)) {
      throw new ShapeError(`${where}: targets ${formatShape(targets.shape)} must match logits ${formatShape(logits.shape)} without its last dim`);
    }
    const lsm = this.emit('LogSoftmax', [logits], { shape: logits.shape, dtype: logits.dtype, hint: 'logsoftmax' }, { axis: attr.int(-1) });
    const idxShape = [...targets.shape, 1];
    const idx = this.emit('Unsqueeze', [targets, this.ints([targets.rank])], { shape: idxShape, dtype: 'int64', hint: 'target_idx' });
    const picked = this.emit('GatherElements', [lsm, idx], { shape: idxShape, dtype: logits.dtype }, { axis: attr.int(-1) });
    const y = this.emit('Squeeze', [picked, this.ints([targets.rank])], { shape: targets.shape, dtype: logits.dtype, hint: 'logp' });
    this.record('gatherLogProbs', [logits, targets], [y], ([gy]) => {
      const g1 = this.unsqueeze(this.expandTo(gy as Tensor, y), targets.rank);
      const base = this.mul(this.exp(lsm), this.neg(g1));
      const dl = this.emit('ScatterElements', [base, idx, g1], { shape: logits.shape, dtype: logits.dtype, hint: 'dlogits' }, {
        axis: attr.int(-1),
        reduction: 'add',
      });
      return [dl, undefined];
    });
    return y;
  },

  /**
   * Mean token cross-entropy −Σ mask·log p(target) / max(Σ mask, 1) from logits [..., V], int64 targets [...]
   * and an optional float mask [...] (1 = counts). Without a mask: the plain mean.
   */
  crossEntropy(this: Graph, logits: Tensor, targets: Tensor, mask?: Tensor): Tensor {
    const lp = this.gatherLogProbs(logits, targets);
    if (!mask) return this.neg(this.mean(lp));
    this.own(mask, 'crossEntropy');
    if (mask.dtype !== logits.dtype) throw new ShapeError(`crossEntropy: mask ${mask} must be ${logits.dtype}`);
    const total = this.sum(this.mul(lp, mask));
    const denom = this.max(this.sum(this.stopGradient(mask)), 1);
    return this.neg(this.div(total, denom));
  },

  /** Entropy of softmax(logits) over the last axis: [..., V] → [...] (PPO's entropy bonus/metric). */
  entropy(this: Graph, logits: Tensor): Tensor {
    const lsm = this.logSoftmax(logits);
    return this.neg(this.reduceSum(this.mul(this.exp(lsm), lsm), [-1]));
  },

  /** Additive causal mask [T, T]: 0 on and below the diagonal, −1e9 above (added to attention scores). */
  causalMask(this: Graph, t: number): Tensor {
    const m = new Float64Array(t * t);
    for (let i = 0; i < t; i++) for (let j = i + 1; j < t; j++) m[i * t + j] = -1e9;
    return this.const(m, [t, t]);
  },
};
