/**
 * Output shapes of the ops hone emits, checked at build time. Every error names the op, the tensors and their
 * shapes, e.g. `matmul(h_3, w_q_0): inner dims 64 vs 128 ([2,5,64] x [128,64])`.
 */
import { type Dim, type Shape, ShapeError, broadcastShapes, dimsEqual, divideDims, formatShape, isStatic, normAxis, numel, numelDiffers } from './shape';
import type { Tensor } from './tensor';

const names = (ts: readonly Tensor[]): string => ts.map((t) => t.name).join(', ');

/** Shape of an elementwise op over broadcast operands. */
export function broadcastShape(op: string, ts: readonly Tensor[]): Dim[] {
  let shape: Shape = [];
  for (const t of ts) {
    const r = broadcastShapes(shape, t.shape);
    if ('clash' in r) {
      throw new ShapeError(`${op}(${names(ts)}): shapes ${ts.map((x) => formatShape(x.shape)).join(' and ')} do not broadcast (${r.clash})`);
    }
    shape = r.shape;
  }
  return [...shape];
}

/** Shape of MatMul (both operands rank ≥ 2; batch dims broadcast). */
export function matmulShape(a: Tensor, b: Tensor): Dim[] {
  const where = `matmul(${a.name}, ${b.name})`;
  if (a.rank < 2 || b.rank < 2) throw new ShapeError(`${where}: operands need rank ≥ 2, got ${formatShape(a.shape)} and ${formatShape(b.shape)}`);
  const k1 = a.shape[a.rank - 1];
  const k2 = b.shape[b.rank - 2];
  if (dimsEqual(k1, k2) === false) throw new ShapeError(`${where}: inner dims ${k1} vs ${k2} (${formatShape(a.shape)} x ${formatShape(b.shape)})`);
  const batch = broadcastShapes(a.shape.slice(0, -2), b.shape.slice(0, -2));
  if ('clash' in batch) throw new ShapeError(`${where}: batch dims of ${formatShape(a.shape)} and ${formatShape(b.shape)} do not broadcast (${batch.clash})`);
  return [...batch.shape, a.shape[a.rank - 2], b.shape[b.rank - 1]];
}

/**
 * Resolves a reshape target. Entries: a positive number, -1 (inferred, at most one), or a symbolic name (must
 * equal the input's dim at the same index, emitted as ONNX's 0 = copy, or else be the single inferred dim).
 * Returns the output shape and the int64 values for the Reshape node.
 */
export function reshapeShape(x: Tensor, target: readonly Dim[]): { shape: Dim[]; spec: number[] } {
  const where = `reshape(${x.name})`;
  const spec: number[] = [];
  const shape: Dim[] = [];
  let infer = -1;
  target.forEach((d, i) => {
    if (typeof d === 'string') {
      if (x.shape[i] === d) {
        spec.push(0);
        shape.push(d);
        return;
      }
      if (infer >= 0) throw new ShapeError(`${where}: more than one dim of ${formatShape(target)} must be inferred from ${formatShape(x.shape)} (reshape to a tensor's runtime shape instead)`);
      infer = i;
      spec.push(-1);
      shape.push(d);
      return;
    }
    if (d === -1) {
      if (infer >= 0) throw new ShapeError(`${where}: more than one -1 in ${formatShape(target)}`);
      infer = i;
      spec.push(-1);
      shape.push(-1);
      return;
    }
    if (!Number.isInteger(d) || d < 1) throw new ShapeError(`${where}: bad dim ${d} in ${formatShape(target)}`);
    spec.push(d);
    shape.push(d);
  });
  if (infer >= 0) {
    const known = shape.filter((_, i) => i !== infer);
    const q = divideDims(x.shape, known);
    if (q === undefined) {
      if (isStatic(x.shape) && isStatic(known)) {
        throw new ShapeError(`${where}: cannot reshape ${formatShape(x.shape)} (${numel(x.shape)} elements) to ${formatShape(target)}`);
      }
      if (typeof shape[infer] !== 'string') shape[infer] = `${x.name}_dim${infer}`;
    } else {
      if (typeof shape[infer] === 'string' && typeof q === 'number') {
        throw new ShapeError(`${where}: dim ${shape[infer]} of ${formatShape(target)} would be ${q} for input ${formatShape(x.shape)}`);
      }
      if (typeof shape[infer] !== 'string') shape[infer] = q;
    }
  } else if (numelDiffers(x.shape, shape)) {
    throw new ShapeError(`${where}: cannot reshape ${formatShape(x.shape)} to ${formatShape(target)} (element counts differ)`);
  }
  return { shape, spec };
}

/** Shape after Transpose with `perm` (a permutation of 0..rank-1). */
export function transposeShape(x: Tensor, perm: readonly number[]): Dim[] {
  const sorted = [...perm].sort((p, q) => p - q);
  if (perm.length !== x.rank || sorted.some((p, i) => p !== i)) {
    throw new ShapeError(`transpose(${x.name}): perm [${perm.join(',')}] is not a permutation of the ${x.rank} axes of ${formatShape(x.shape)}`);
  }
  return perm.map((p) => x.shape[p]);
}

/** A static slice, normalised: per sliced axis the start and end within the dim (step 1). */
export interface SliceSpec {
  axes: number[];
  starts: number[];
  ends: number[];
}

/** Shape of a step-1 Slice with numeric starts/ends (negative counts from the end, clamped like ONNX). */
export function sliceShape(x: Tensor, starts: readonly number[], ends: readonly number[], axes?: readonly number[]): { shape: Dim[]; spec: SliceSpec } {
  const where = `slice(${x.name})`;
  const ax = (axes ?? starts.map((_, i) => i)).map((a) => normAxis(a, x.rank, where));
  if (starts.length !== ax.length || ends.length !== ax.length) throw new ShapeError(`${where}: starts, ends and axes differ in length`);
  if (new Set(ax).size !== ax.length) throw new ShapeError(`${where}: an axis is repeated in [${ax.join(',')}]`);
  const shape: Dim[] = [...x.shape];
  const spec: SliceSpec = { axes: ax, starts: [], ends: [] };
  ax.forEach((a, i) => {
    const dim = x.shape[a];
    if (typeof dim !== 'number') {
      // symbolic dim: only the forms [s, s+n) with non-negative s,n are resolvable without knowing it
      if (starts[i] >= 0 && ends[i] >= starts[i] && ends[i] < 2 ** 62) {
        shape[a] = ends[i] - starts[i];
        spec.starts.push(starts[i]);
        spec.ends.push(ends[i]);
        return;
      }
      shape[a] = `${dim}[${starts[i]}:${ends[i]}]`;
      spec.starts.push(starts[i]);
      spec.ends.push(ends[i]);
      return;
    }
    const clamp = (v: number): number => Math.min(Math.max(v < 0 ? v + dim : v, 0), dim);
    const s = clamp(starts[i]);
    const e = Math.max(clamp(ends[i]), s);
    if (e === s) throw new ShapeError(`${where}: slice [${starts[i]}:${ends[i]}] of axis ${a} (size ${dim}) is empty`);
    shape[a] = e - s;
    spec.starts.push(s);
    spec.ends.push(e);
  });
  return { shape, spec };
}

/** Shape of Concat along `axis`. */
export function concatShape(xs: readonly Tensor[], axis: number): { shape: Dim[]; axis: number } {
  if (xs.length === 0) throw new ShapeError('concat: no inputs');
  const where = `concat(${names(xs)})`;
  const rank = xs[0].rank;
  const a = normAxis(axis, rank, where);
  const shape: Dim[] = [...xs[0].shape];
  let sum: number | undefined = 0;
  const parts: string[] = [];
  for (const x of xs) {
    if (x.rank !== rank) throw new ShapeError(`${where}: ranks differ (${xs.map((t) => formatShape(t.shape)).join(', ')})`);
    x.shape.forEach((d, i) => {
      if (i !== a && dimsEqual(d, shape[i]) === false) {
        throw new ShapeError(`${where}: dim ${i} differs (${xs.map((t) => formatShape(t.shape)).join(', ')})`);
      }
    });
    const d = x.shape[a];
    parts.push(String(d));
    sum = typeof d === 'number' && sum !== undefined ? sum + d : undefined;
  }
  shape[a] = sum ?? parts.join('+');
  return { shape, axis: a };
}

/** Shape of Gather(table, indices) along axis 0. */
export function gatherShape(table: Tensor, indices: Tensor): Dim[] {
  if (indices.dtype !== 'int64') throw new ShapeError(`gather(${table.name}, ${indices.name}): indices must be int64, got ${indices.dtype}`);
  if (table.rank < 1) throw new ShapeError(`gather(${table.name}, ${indices.name}): table must have rank ≥ 1`);
  return [...indices.shape, ...table.shape.slice(1)];
}

/** Checks a list of reduction axes and returns them normalised and sorted. */
export function reduceAxes(op: string, x: Tensor, axes: readonly number[]): number[] {
  const norm = axes.map((a) => normAxis(a, x.rank, `${op}(${x.name})`));
  if (new Set(norm).size !== norm.length) throw new ShapeError(`${op}(${x.name}): axis repeated in [${axes.join(',')}]`);
  return norm.sort((p, q) => p - q);
}
