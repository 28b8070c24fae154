import { isFloat } from '../../onnx/dtype';
import { ShapeError } from '../../onnx/shape';
import { broadcastShape } from '../../onnx/shape-inference';
import type { Tensor } from '../../onnx/tensor';
import type { Graph, Operand } from '../graph';

function binary(g: Graph, op: 'Add' | 'Sub' | 'Mul' | 'Div', a0: Operand, b0: Operand): { a: Tensor; b: Tensor; y: Tensor } {
  const where = op.toLowerCase();
  if (typeof a0 === 'number' && typeof b0 === 'number') throw new Error(`${where}: both operands are numbers; compute it in JS`);
  const ref = typeof a0 === 'number' ? (b0 as Tensor) : a0;
  const a = g.operand(a0, ref, where);
  const b = g.operand(b0, ref, where);
  if (a.dtype !== b.dtype) throw new ShapeError(`${where}(${a.name}, ${b.name}): element types ${a.dtype} vs ${b.dtype}`);
  if (a.dtype === 'bool') throw new ShapeError(`${where}(${a.name}, ${b.name}): bool operands`);
  const y = g.emit(op, [a, b], { shape: broadcastShape(where, [a, b]), dtype: a.dtype, hint: where });
  return { a, b, y };
}

function unary(g: Graph, op: string, x: Tensor, hint = op.toLowerCase()): Tensor {
  g.own(x, hint);
  if (!isFloat(x.dtype)) throw new ShapeError(`${hint}(${x.name}): needs a float tensor, got ${x.dtype}`);
  return g.emit(op, [x], { shape: x.shape, dtype: x.dtype, hint });
}

/** Broadcasting arithmetic and elementwise functions, with their gradients. */
export const elementwiseOps = {
  /** a + b (numpy broadcasting; a number becomes a constant). */
  add(this: Graph, a0: Operand, b0: Operand): Tensor {
    const { a, b, y } = binary(this, 'Add', a0, b0);
    this.record('add', [a, b], [y], ([gy], needs) => [
      needs[0] ? this.reduceTo(gy as Tensor, a.shape) : undefined,
      needs[1] ? this.reduceTo(gy as Tensor, b.shape) : undefined,
    ]);
    return y;
  },

  /** a - b */
  sub(this: Graph, a0: Operand, b0: Operand): Tensor {
    const { a, b, y } = binary(this, 'Sub', a0, b0);
    this.record('sub', [a, b], [y], ([gy], needs) => [
      needs[0] ? this.reduceTo(gy as Tensor, a.shape) : undefined,
      needs[1] ? this.reduceTo(this.neg(gy as Tensor), b.shape) : undefined,
    ]);
    return y;
  },

  /** a * b */
  mul(this: Graph, a0: Operand, b0: Operand): Tensor {
    const { a, b, y } = binary(this, 'Mul', a0, b0);
    this.record('mul', [a, b], [y], ([gy], needs) => [
      needs[0] ? this.reduceTo(this.mul(gy as Tensor, b), a.shape) : undefined,
      needs[1] ? this.reduceTo(this.mul(gy as Tensor, a), b.shape) : undefined,
    ]);
    return y;
  },

  /** a / b */
  div(this: Graph, a0: Operand, b0: Operand): Tensor {
    const { a, b, y } = binary(this, 'Div', a0, b0);
    this.record('div', [a, b], [y], ([gy], needs) => {
      const ga = needs[0] || needs[1] ? this.div(gy as Tensor, b) : undefined;
      return [
        needs[0] ? this.reduceTo(ga as Tensor, a.shape) : undefined,
        // d(a/b)/db = -(a/b)/b, reusing y
        needs[1] ? this.reduceTo(this.neg(this.mul(ga as Tensor, y)), b.shape) : undefined,
      ];
    });
    return y;
  },

  /** -x */
  neg(this: Graph, x: Tensor): Tensor {
    const y = unary(this, 'Neg', x);
    this.record('neg', [x], [y], ([gy]) => [this.neg(gy as Tensor)]);
    return y;
  },

  /** e^x */
  exp(this: Graph, x: Tensor): Tensor {
    const y = unary(this, 'Exp', x);
    this.record('exp', [x], [y], ([gy]) => [this.mul(gy as Tensor, y)]);
    return y;
  },

  /** natural log */
  log(this: Graph, x: Tensor): Tensor {
    const y = unary(this, 'Log', x);
    this.record('log', [x], [y], ([gy]) => [this.div(gy as Tensor, x)]);
    return y;
  },

  /** √x */
  sqrt(this: Graph, x: Tensor): Tensor {
    const y = unary(this, 'Sqrt', x);
    this.record('sqrt', [x], [y], ([gy]) => [this.div(this.mul(gy as Tensor, 0.5), y)]);
    return y;
  },

  /** x² */
  square(this: Graph, x: Tensor): Tensor {
    requireFloat(x, 'square');
    const y = this.emit('Mul', [x, x], { shape: x.shape, dtype: x.dtype, hint: 'square' });
    this.record('square', [x], [y], ([gy]) => [this.mul(this.mul(gy as Tensor, x), 2)]);
    return y;
  },

  /** x^p for a constant exponent p */
  pow(this: Graph, x: Tensor, p: number): Tensor {
    requireFloat(x, 'pow');
    const y = this.emit('Pow', [x, this.scalar(p, x.dtype)], { shape: x.shape, dtype: x.dtype, hint: 'pow' });
    this.record('pow', [x], [y], ([gy]) => [this.mul(gy as Tensor, this.mul(this.pow(x, p - 1), p))]);
    return y;
  },

  /** tanh */
  tanh(this: Graph, x: Tensor): Tensor {
    const y = unary(this, 'Tanh', x);
    this.record('tanh', [x], [y], ([gy]) => [this.mul(gy as Tensor, this.sub(1, this.square(y)))]);
    return y;
  },

  /** logistic σ(x) */
  sigmoid(this: Graph, x: Tensor): Tensor {
    const y = unary(this, 'Sigmoid', x);
    this.record('sigmoid', [x], [y], ([gy]) => [this.mul(gy as Tensor, this.mul(y, this.sub(1, y)))]);
    return y;
  },

  /** max(x, 0) */
  relu(this: Graph, x: Tensor): Tensor {
    const y = unary(this, 'Relu', x);
    this.record('relu', [x], [y], ([gy]) => [this.where(this.greater(x, 0), gy as Tensor, 0)]);
    return y;
  },

  /** log(1 + e^x), computed stably. */
  softplus(this: Graph, x: Tensor): Tensor {
    const y = softplusRaw(this, x);
    this.record('softplus', [x], [y], ([gy]) => [this.mul(gy as Tensor, this.sigmoid(x))]);
    return y;
  },

  /** log σ(x) = -softplus(-x), stable for large |x| (DPO and reward-model losses). */
  logSigmoid(this: Graph, x: Tensor): Tensor {
    const negX = this.emit('Neg', [requireFloat(x, 'logSigmoid')], { shape: x.shape, dtype: x.dtype, hint: 'neg' });
    const y = this.emit('Neg', [softplusRaw(this, negX)], { shape: x.shape, dtype: x.dtype, hint: 'logsigmoid' });
    this.record('logSigmoid', [x], [y], ([gy]) => [this.mul(gy as Tensor, this.sigmoid(negX))]);
    return y;
  },

  /** Passes x through and blocks its gradient (PPO's old log-probs, DPO's reference terms, targets). */
  stopGradient(this: Graph, x: Tensor): Tensor {
    return this.emit('Identity', [this.own(x, 'stopGradient')], { shape: x.shape, dtype: x.dtype, hint: 'nograd' });
  },
};

function requireFloat(x: Tensor, where: string): Tensor {
  if (!isFloat(x.dtype)) throw new ShapeError(`${where}(${x.name}): needs a float tensor, got ${x.dtype}`);
  return x;
}

/**
 * Softplus without a tape entry. onnxruntime's CPU Softplus has only a float32 kernel, so double graphs use the
 * stable identity softplus(x) = relu(x) + log(1 + e^-|x|).
 */
function softplusRaw(g: Graph, x: Tensor): Tensor {
  requireFloat(g.own(x, 'softplus'), 'softplus');
  const spec = { shape: x.shape, dtype: x.dtype };
  if (x.dtype === 'float32') return g.emit('Softplus', [x], { ...spec, hint: 'softplus' });
  const e = g.emit('Exp', [g.emit('Neg', [g.emit('Abs', [x], spec)], spec)], spec);
  const l = g.emit('Log', [g.emit('Add', [e, g.scalar(1, x.dtype)], spec)], spec);
  return g.emit('Add', [g.emit('Relu', [x], spec), l], { ...spec, hint: 'softplus' });
}
