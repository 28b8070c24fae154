/**
 * Static and symbolic tensor shapes.
 *
 * A dimension is a number (known at build time) or a string (a symbolic dimension such as 'batch' or
 * 'past_len', bound when the graph runs). Training graphs use static shapes; inference graphs such as a KV-cache
 * decoder use symbolic ones. Products that come out of reshapes are written 'B*T'.
 */
export type Dim = number | string;
/** A tensor shape; [] is a scalar. */
export type Shape = readonly Dim[];

/** Thrown when shapes do not fit; the message names the op, the tensors and their shapes. */
export class ShapeError extends Error {
  override readonly name = 'ShapeError';
}

/** '[2,B,64]' */
export function formatShape(shape: Shape): string {
  return `[${shape.join(',')}]`;
}

/** True when every dimension is a number. */
export function isStatic(shape: Shape): shape is readonly number[] {
  return shape.every((d) => typeof d === 'number');
}

/** Element count of a static shape; throws for a symbolic one. */
export function numel(shape: Shape): number {
  let n = 1;
  for (const d of shape) {
    if (typeof d !== 'number') throw new ShapeError(`element count of ${formatShape(shape)} is not known at build time`);
    n *= d;
  }
  return n;
}

/** Whether two dimensions are known to be equal (true), known to differ (false) or cannot be told apart yet. */
export function dimsEqual(a: Dim, b: Dim): boolean | undefined {
  if (typeof a === 'number' && typeof b === 'number') return a === b;
  if (typeof a === 'string' && typeof b === 'string') return a === b ? true : undefined;
  return undefined;
}

/** Whether two shapes are known to be identical. */
export function shapesEqual(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => dimsEqual(d, b[i]) === true);
}

/**
 * Numpy/ONNX multidirectional broadcast of two shapes, or a description of the first clash.
 * A symbolic dimension against a number other than 1 is assumed to equal that number.
 */
export function broadcastShapes(a: Shape, b: Shape): { shape: Dim[] } | { clash: string } {
  const rank = Math.max(a.length, b.length);
  const out: Dim[] = [];
  for (let i = 0; i < rank; i++) {
    const da = i < rank - a.length ? 1 : a[i - (rank - a.length)];
    const db = i < rank - b.length ? 1 : b[i - (rank - b.length)];
    if (da === 1) out.push(db);
    else if (db === 1) out.push(da);
    else if (dimsEqual(da, db) === false) return { clash: `dim ${i - rank} is ${da} vs ${db}` };
    else out.push(typeof da === 'number' ? da : db);
  }
  return { shape: out };
}

/** Whether `from` can broadcast to exactly `to` (rank not larger, each dim 1 or equal). */
export function broadcastsTo(from: Shape, to: Shape): boolean {
  if (from.length > to.length) return false;
  const off = to.length - from.length;
  return from.every((d, i) => d === 1 || dimsEqual(d, to[i + off]) !== false);
}

/** Normalises a possibly negative axis against a rank; throws a ShapeError naming `what` when out of range. */
export function normAxis(axis: number, rank: number, what: string): number {
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(axis) || a < 0 || a >= rank) throw new ShapeError(`${what}: axis ${axis} is out of range for rank ${rank}`);
  return a;
}

/** The symbolic product of dims: a numeric coefficient times a multiset of symbol names. */
interface Product {
  coef: number;
  syms: string[];
}

function productOf(dims: Shape): Product {
  const p: Product = { coef: 1, syms: [] };
  for (const d of dims) {
    if (typeof d === 'number') p.coef *= d;
    else for (const part of d.split('*')) {
      const n = Number(part);
      if (part !== '' && Number.isFinite(n)) p.coef *= n;
      else p.syms.push(part);
    }
  }
  p.syms.sort();
  return p;
}

/**
 * `total / known` as a dimension, when the division is exact: used to resolve the -1 of a reshape.
 * Returns undefined when the quotient cannot be written (symbols that do not cancel, non-integer ratio).
 */
export function divideDims(total: Shape, known: Shape): Dim | undefined {
  const t = productOf(total);
  const k = productOf(known);
  const rest = [...t.syms];
  for (const s of k.syms) {
    const i = rest.indexOf(s);
    if (i < 0) return undefined;
    rest.splice(i, 1);
  }
  if (k.coef === 0 || t.coef % k.coef !== 0) return undefined;
  const coef = t.coef / k.coef;
  if (rest.length === 0) return coef;
  return coef === 1 ? rest.join('*') : [String(coef), ...rest].join('*');
}

/** Whether two shapes certainly hold different element counts (false when unknown). */
export function numelDiffers(a: Shape, b: Shape): boolean {
  const pa = productOf(a);
  const pb = productOf(b);
  if (pa.syms.join('*') !== pb.syms.join('*')) return false;
  return pa.coef !== pb.coef;
}
