import { attr } from '../../onnx/attributes';
import { type Dim, ShapeError, formatShape, isStatic, normAxis, shapesEqual } from '../../onnx/shape';
import { concatShape, reshapeShape, sliceShape, transposeShape } from '../../onnx/shape-inference';
import type { Tensor } from '../../onnx/tensor';
import type { Graph } from '../graph';

/** Source and permutation of tensors made by transpose(), for the transpose-of-transpose peephole. */
const transposeOf = new WeakMap<Tensor, { src: Tensor; perm: readonly number[] }>();

/** Reshape, Transpose, Slice, Concat, Split, Expand, (Un)squeeze — with gradients. */
export const shapeOps = {
  /**
   * Reshape. Dims: positive numbers, one -1 (inferred), or symbolic names equal to the input's dim at the same
   * index (kept as ONNX's 0). Reshaping to the same shape returns x.
   */
  reshape(this: Graph, x: Tensor, dims: readonly Dim[]): Tensor {
    this.own(x, 'reshape');
    const { shape, spec } = reshapeShape(x, dims);
    if (shapesEqual(shape, x.shape)) return x;
    return this.memoize(`reshape:${x.id}:${spec.join(',')}`, () => {
      const y = this.emit('Reshape', [x, this.ints(spec)], { shape, dtype: x.dtype, hint: 'reshape' });
      this.record('reshape', [x], [y], ([gy]) => [this.reshapeLike(this.expandTo(gy as Tensor, y), x)]);
      return y;
    });
  },

  /** Reshape to the shape of `like` (same element count), read at run time when it is symbolic. */
  reshapeLike(this: Graph, x: Tensor, like: Tensor): Tensor {
    if (shapesEqual(x.shape, like.shape)) return x;
    if (isStatic(like.shape)) return this.reshape(x, like.shape);
    const y = this.emit('Reshape', [x, this.shapeOfTensor(like)], { shape: like.shape, dtype: x.dtype, hint: 'reshape' });
    this.record('reshape', [x], [y], ([gy]) => [this.reshapeLike(this.expandTo(gy as Tensor, y), x)]);
    return y;
  },

  /**
   * Transpose. A transpose of a transpose is emitted as one (or none, when they cancel), and asking twice for
   * the same transpose of a tensor returns the first one — so backward passes add no redundant Transposes.
   */
  transpose(this: Graph, x: Tensor, perm: readonly number[]): Tensor {
    this.own(x, 'transpose');
    transposeShape(x, perm);
    const prior = transposeOf.get(x);
    if (prior) return this.transpose(prior.src, perm.map((p) => prior.perm[p]));
    if (perm.every((p, i) => p === i)) return x;
    return this.memoize(`transpose:${x.id}:${perm.join(',')}`, () => {
      const y = this.emit('Transpose', [x], { shape: transposeShape(x, perm), dtype: x.dtype, hint: 'transpose' }, { perm: attr.ints(perm) });
      transposeOf.set(y, { src: x, perm: [...perm] });
      const inv: number[] = [];
      perm.forEach((p, i) => (inv[p] = i));
      this.record('transpose', [x], [y], ([gy]) => [this.transpose(this.expandTo(gy as Tensor, y), inv)]);
      return y;
    });
  },

  /** Swaps the last two axes (for matmul backward and attention). */
  swapLast(this: Graph, x: Tensor): Tensor {
    if (x.rank < 2) throw new ShapeError(`swapLast(${x}): needs rank ≥ 2`);
    const perm = [...Array(x.rank).keys()];
    [perm[x.rank - 2], perm[x.rank - 1]] = [perm[x.rank - 1], perm[x.rank - 2]];
    return this.transpose(x, perm);
  },

  /** Step-1 slice with numeric starts/ends per axis (negative counts from the end). Gradient: Pad with zeros. */
  slice(this: Graph, x: Tensor, starts: readonly number[], ends: readonly number[], axes?: readonly number[]): Tensor {
    this.own(x, 'slice');
    const { shape, spec } = sliceShape(x, starts, ends, axes);
    const y = this.emit('Slice', [x, this.ints(spec.starts), this.ints(spec.ends), this.ints(spec.axes)], { shape, dtype: x.dtype, hint: 'slice' });
    this.record('slice', [x], [y], ([gy]) => {
      const pads = new Array<number>(2 * x.rank).fill(0);
      spec.axes.forEach((a, i) => {
        const dim = x.shape[a];
        if (typeof dim !== 'number') throw new ShapeError(`grad of slice(${x}): axis ${a} must be static`);
        pads[a] = spec.starts[i];
        pads[x.rank + a] = dim - spec.ends[i];
      });
      return [this.emit('Pad', [this.expandTo(gy as Tensor, y), this.ints(pads)], { shape: x.shape, dtype: x.dtype, hint: 'pad' })];
    });
    return y;
  },

  /** Concatenation along an axis. Gradient: Split. */
  concat(this: Graph, xs: readonly Tensor[], axis: number): Tensor {
    for (const x of xs) this.own(x, 'concat');
    if (xs.length === 1) return xs[0];
    const dtype = xs[0].dtype;
    if (xs.some((x) => x.dtype !== dtype)) throw new ShapeError(`concat(${xs.map((x) => x.name).join(', ')}): element types differ`);
    const { shape, axis: a } = concatShape(xs, axis);
    const y = this.emit('Concat', xs, { shape, dtype, hint: 'concat' }, { axis: attr.int(a) });
    this.record('concat', xs, [y], ([gy], needs) => {
      const sizes = xs.map((x) => x.shape[a]);
      if (!sizes.every((s): s is number => typeof s === 'number')) throw new ShapeError(`grad of concat: axis ${a} must be static`);
      const parts = this.split(this.expandTo(gy as Tensor, y), sizes, a);
      return parts.map((p, i) => (needs[i] ? p : undefined));
    });
    return y;
  },

  /** Splits along an axis into pieces of the given sizes. Gradient: Concat (zeros for unused pieces). */
  split(this: Graph, x: Tensor, sizes: readonly number[], axis: number): Tensor[] {
    this.own(x, 'split');
    const a = normAxis(axis, x.rank, `split(${x.name})`);
    const total = sizes.reduce((p, q) => p + q, 0);
    if (typeof x.shape[a] === 'number' && total !== x.shape[a]) {
      throw new ShapeError(`split(${x.name}): sizes [${sizes.join(',')}] sum to ${total}, axis ${a} of ${formatShape(x.shape)} is ${x.shape[a]}`);
    }
    const outs = this.node('Split', [x, this.ints(sizes)], sizes.map((s) => ({ shape: x.shape.map((d, i) => (i === a ? s : d)), dtype: x.dtype, hint: 'split' })), {
      axis: attr.int(a),
    });
    this.record('split', [x], outs, (gys) => [this.concat(gys.map((g, i) => (g ? this.expandTo(g, outs[i]) : this.zerosLike(outs[i]))), a)]);
    return outs;
  },

  /** Broadcasts x to `shape`. Gradient: sum over the broadcast axes. */
  expand(this: Graph, x: Tensor, shape: readonly number[]): Tensor {
    this.own(x, 'expand');
    const off = shape.length - x.rank;
    if (off < 0 || x.shape.some((d, i) => d !== 1 && d !== shape[i + off])) {
      throw new ShapeError(`expand(${x.name}): ${formatShape(x.shape)} does not broadcast to ${formatShape(shape)}`);
    }
    if (shapesEqual(x.shape, shape)) return x;
    const y = this.emit('Expand', [x, this.ints(shape)], { shape, dtype: x.dtype, hint: 'expand' });
    this.record('expand', [x], [y], ([gy]) => [this.reduceTo(gy as Tensor, x.shape)]);
    return y;
  },

  /** Inserts a size-1 axis at `axis` (in the output's numbering). */
  unsqueeze(this: Graph, x: Tensor, axis: number): Tensor {
    this.own(x, 'unsqueeze');
    const a = normAxis(axis, x.rank + 1, `unsqueeze(${x.name})`);
    const shape = [...x.shape.slice(0, a), 1, ...x.shape.slice(a)];
    const y = this.emit('Unsqueeze', [x, this.ints([a])], { shape, dtype: x.dtype, hint: 'unsqueeze' });
    this.record('unsqueeze', [x], [y], ([gy]) => [this.squeeze(this.expandTo(gy as Tensor, y), a)]);
    return y;
  },

  /** Removes the size-1 axis `axis`. */
  squeeze(this: Graph, x: Tensor, axis: number): Tensor {
    this.own(x, 'squeeze');
    const a = normAxis(axis, x.rank, `squeeze(${x.name})`);
    if (x.shape[a] !== 1) throw new ShapeError(`squeeze(${x.name}): axis ${a} of ${formatShape(x.shape)} is not 1`);
    const shape = x.shape.filter((_, i) => i !== a);
    const y = this.emit('Squeeze', [x, this.ints([a])], { shape, dtype: x.dtype, hint: 'squeeze' });
    this.record('squeeze', [x], [y], ([gy]) => [this.unsqueeze(this.expandTo(gy as Tensor, y), a)]);
    return y;
  },
};
