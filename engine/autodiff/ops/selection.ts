import { type DType, ONNX_DATA_TYPE, isFloat } from '../../onnx/dtype';
import { attr } from '../../onnx/attributes';
import { ShapeError } from '../../onnx/shape';
import { broadcastShape } from '../../onnx/shape-inference';
import type { Tensor } from '../../onnx/tensor';
import type { Graph, Operand } from '../graph';

type Compare = 'Greater' | 'Less' | 'GreaterOrEqual' | 'LessOrEqual' | 'Equal';

function compare(g: Graph, op: Compare, a0: Operand, b0: Operand): Tensor {
  const where = op.charAt(0).toLowerCase() + op.slice(1);
  if (typeof a0 === 'number' && typeof b0 === 'number') throw new Error(`${where}: both operands are numbers`);
  const ref = typeof a0 === 'number' ? (b0 as Tensor) : a0;
  const a = g.operand(a0, ref, where);
  const b = g.operand(b0, ref, where);
  if (a.dtype !== b.dtype) throw new ShapeError(`${where}(${a.name}, ${b.name}): element types ${a.dtype} vs ${b.dtype}`);
  return g.emit(op, [a, b], { shape: broadcastShape(where, [a, b]), dtype: 'bool', hint: where });
}

function minMax(g: Graph, op: 'Min' | 'Max', a0: Operand, b0: Operand): Tensor {
  const where = op.toLowerCase();
  if (typeof a0 === 'number' && typeof b0 === 'number') throw new Error(`${where}: both operands are numbers`);
  const ref = typeof a0 === 'number' ? (b0 as Tensor) : a0;
  const a = g.operand(a0, ref, where);
  const b = g.operand(b0, ref, where);
  if (a.dtype !== b.dtype) throw new ShapeError(`${where}(${a.name}, ${b.name}): element types ${a.dtype} vs ${b.dtype}`);
  const y = g.emit(op, [a, b], { shape: broadcastShape(where, [a, b]), dtype: a.dtype, hint: where });
  g.record(where, [a, b], [y], ([gy], needs) => {
    // ties send the gradient to a, like PyTorch's torch.minimum/maximum subgradient choice for one side
    const pickA = op === 'Min' ? g.lessOrEqual(a, b) : g.greaterOrEqual(a, b);
    return [
      needs[0] ? g.reduceTo(g.where(pickA, gy as Tensor, 0), a.shape) : undefined,
      needs[1] ? g.reduceTo(g.where(pickA, 0, gy as Tensor), b.shape) : undefined,
    ];
  });
  return y;
}

/** Comparisons (bool results, no gradient), Where, Min/Max/Clip with gradients, Cast. */
export const selectionOps = {
  /** a > b (bool) */
  greater(this: Graph, a: Operand, b: Operand): Tensor {
    return compare(this, 'Greater', a, b);
  },
  /** a < b (bool) */
  less(this: Graph, a: Operand, b: Operand): Tensor {
    return compare(this, 'Less', a, b);
  },
  /** a ≥ b (bool) */
  greaterOrEqual(this: Graph, a: Operand, b: Operand): Tensor {
    return compare(this, 'GreaterOrEqual', a, b);
  },
  /** a ≤ b (bool) */
  lessOrEqual(this: Graph, a: Operand, b: Operand): Tensor {
    return compare(this, 'LessOrEqual', a, b);
  },
  /** a == b (bool) */
  equal(this: Graph, a: Operand, b: Operand): Tensor {
    return compare(this, 'Equal', a, b);
  },
  /** logical and of two bool tensors */
  and(this: Graph, a: Tensor, b: Tensor): Tensor {
    for (const t of [a, b]) if (this.own(t, 'and').dtype !== 'bool') throw new ShapeError(`and(${a.name}, ${b.name}): needs bool tensors`);
    return this.emit('And', [a, b], { shape: broadcastShape('and', [a, b]), dtype: 'bool', hint: 'and' });
  },
  /** logical not of a bool tensor */
  not(this: Graph, a: Tensor): Tensor {
    if (this.own(a, 'not').dtype !== 'bool') throw new ShapeError(`not(${a.name}): needs a bool tensor`);
    return this.emit('Not', [a], { shape: a.shape, dtype: 'bool', hint: 'not' });
  },

  /** cond ? a : b, broadcasting all three; gradients flow to a and b. */
  where(this: Graph, cond: Tensor, a0: Operand, b0: Operand): Tensor {
    this.own(cond, 'where');
    if (cond.dtype !== 'bool') throw new ShapeError(`where(${cond.name}, …): condition must be bool, got ${cond.dtype}`);
    if (typeof a0 === 'number' && typeof b0 === 'number') throw new Error('where: both branches are numbers; use a constant');
    const ref = typeof a0 === 'number' ? (b0 as Tensor) : a0;
    const a = this.operand(a0, ref, 'where');
    const b = this.operand(b0, ref, 'where');
    if (a.dtype !== b.dtype) throw new ShapeError(`where(${cond.name}, ${a.name}, ${b.name}): element types ${a.dtype} vs ${b.dtype}`);
    const y = this.emit('Where', [cond, a, b], { shape: broadcastShape('where', [cond, a, b]), dtype: a.dtype, hint: 'where' });
    this.record('where', [cond, a, b], [y], ([gy], needs) => [
      undefined,
      needs[1] ? this.reduceTo(this.where(cond, gy as Tensor, 0), a.shape) : undefined,
      needs[2] ? this.reduceTo(this.where(cond, 0, gy as Tensor), b.shape) : undefined,
    ]);
    return y;
  },

  /** Elementwise minimum (PPO's clipped surrogate). */
  min(this: Graph, a: Operand, b: Operand): Tensor {
    return minMax(this, 'Min', a, b);
  },
  /** Elementwise maximum (PPO's clipped value loss). */
  max(this: Graph, a: Operand, b: Operand): Tensor {
    return minMax(this, 'Max', a, b);
  },

  /** Clamps x to [lo, hi] (either bound may be omitted); the gradient passes where x is inside. */
  clip(this: Graph, x: Tensor, lo?: number, hi?: number): Tensor {
    this.own(x, 'clip');
    if (!isFloat(x.dtype)) throw new ShapeError(`clip(${x.name}): needs a float tensor`);
    if (lo !== undefined && hi !== undefined && lo > hi) throw new Error(`clip(${x.name}): lo ${lo} > hi ${hi}`);
    const bound = (v?: number): Tensor | null => (v === undefined ? null : this.scalar(v, x.dtype));
    const y = this.emit('Clip', [x, bound(lo), bound(hi)], { shape: x.shape, dtype: x.dtype, hint: 'clip' });
    // y == x exactly where nothing was clipped: one comparison instead of two and an And
    this.record('clip', [x], [y], ([gy]) => [this.where(this.equal(y, x), gy as Tensor, 0)]);
    return y;
  },

  /** Converts element type; float↔float casts pass gradients (cast back), others do not. */
  cast(this: Graph, x: Tensor, to: DType): Tensor {
    this.own(x, 'cast');
    if (x.dtype === to) return x;
    const y = this.emit('Cast', [x], { shape: x.shape, dtype: to, hint: 'cast' }, { to: attr.int(ONNX_DATA_TYPE[to]) });
    if (isFloat(x.dtype) && isFloat(to)) this.record('cast', [x], [y], ([gy]) => [this.cast(gy as Tensor, x.dtype)]);
    return y;
  },
};
