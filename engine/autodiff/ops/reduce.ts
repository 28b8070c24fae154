import { isFloat } from '../../onnx/dtype';
import { ShapeError } from '../../onnx/shape';
import { reduceAxes } from '../../onnx/shape-inference';
import type { Tensor } from '../../onnx/tensor';
import type { Graph } from '../graph';

/** The gradient of a reduction, reshaped back to keepdims form so that it broadcasts over the reduced axes. */
function keepDimsGrad(g: Graph, gy: Tensor, y: Tensor, x: Tensor, axes: readonly number[], keepDims: boolean): Tensor {
  if (keepDims) return gy;
  const full = g.expandTo(gy, y);
  const shape = x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
  return g.emit('Unsqueeze', [full, g.ints(axes)], { shape, dtype: x.dtype, hint: 'unsqueeze' });
}

function count(x: Tensor, axes: readonly number[], where: string): number {
  let n = 1;
  for (const a of axes) {
    const d = x.shape[a];
    if (typeof d !== 'number') throw new ShapeError(`${where}(${x}): axis ${a} must be static to take a mean`);
    n *= d;
  }
  return n;
}

function checkFloat(x: Tensor, where: string): void {
  if (!isFloat(x.dtype)) throw new ShapeError(`${where}(${x.name}): needs a float tensor, got ${x.dtype}`);
}

/** ReduceSum / ReduceMean / ReduceMax over given axes, and whole-tensor sum/mean. */
export const reduceOps = {
  /** Sum over `axes` (negative allowed); keepDims keeps them as size 1. */
  reduceSum(this: Graph, x: Tensor, axes: readonly number[], keepDims = false): Tensor {
    this.own(x, 'reduceSum');
    checkFloat(x, 'reduceSum');
    const ax = reduceAxes('reduceSum', x, axes);
    const y = this.reduceRaw('ReduceSum', x, ax, keepDims);
    this.record('reduceSum', [x], [y], ([gy]) => [keepDimsGrad(this, gy as Tensor, y, x, ax, keepDims)]);
    return y;
  },

  /** Mean over `axes` (static sizes). */
  reduceMean(this: Graph, x: Tensor, axes: readonly number[], keepDims = false): Tensor {
    this.own(x, 'reduceMean');
    checkFloat(x, 'reduceMean');
    const ax = reduceAxes('reduceMean', x, axes);
    const n = count(x, ax, 'reduceMean');
    const y = this.reduceRaw('ReduceMean', x, ax, keepDims);
    this.record('reduceMean', [x], [y], ([gy]) => [this.mul(keepDimsGrad(this, gy as Tensor, y, x, ax, keepDims), 1 / n)]);
    return y;
  },

  /** Maximum over `axes`; the gradient goes to every element equal to the maximum. */
  reduceMax(this: Graph, x: Tensor, axes: readonly number[], keepDims = false): Tensor {
    this.own(x, 'reduceMax');
    const ax = reduceAxes('reduceMax', x, axes);
    const y = this.reduceRaw('ReduceMax', x, ax, keepDims);
    this.record('reduceMax', [x], [y], ([gy]) => {
      const yk = keepDims ? y : this.emit('Unsqueeze', [y, this.ints(ax)], { shape: x.shape.map((d, i) => (ax.includes(i) ? 1 : d)), dtype: y.dtype });
      return [this.where(this.equal(x, yk), keepDimsGrad(this, gy as Tensor, y, x, ax, keepDims), 0)];
    });
    return y;
  },

  /** Sum of all elements (a scalar). */
  sum(this: Graph, x: Tensor): Tensor {
    return this.reduceSum(x, [...x.shape.keys()]);
  },

  /** Mean of all elements (a scalar; static shape). */
  mean(this: Graph, x: Tensor): Tensor {
    return this.reduceMean(x, [...x.shape.keys()]);
  },
};
