import { attr } from '../../onnx/attributes';
import { type Dim, ShapeError, dimsEqual, formatShape, isStatic } from '../../onnx/shape';
import { matmulShape } from '../../onnx/shape-inference';
import type { Tensor } from '../../onnx/tensor';
import type { Graph } from '../graph';

/** The [K, N] source of a 2-D tensor made by transposing a [N, K] one (undefined otherwise). */
function transposedSource(g: Graph, b: Tensor): Tensor | undefined {
  const p = g.producer(b);
  if (!p || p.opType !== 'Transpose' || !g.isRecorded(b)) return undefined;
  const src = p.inputs[0];
  return src && src.rank === 2 ? src : undefined;
}

/** Gemm on 2-D operands with transpose flags (no Transpose nodes; the GEMM kernel reads either layout). */
function gemm(g: Graph, a: Tensor, b: Tensor, transA: boolean, transB: boolean, c?: Tensor): Tensor {
  const m = transA ? a.shape[1] : a.shape[0];
  const n = transB ? b.shape[0] : b.shape[1];
  return g.emit('Gemm', c ? [a, b, c] : [a, b], { shape: [m, n], dtype: a.dtype, hint: 'gemm' }, {
    transA: attr.int(transA ? 1 : 0),
    transB: attr.int(transB ? 1 : 0),
  });
}

/** [..., K] → [M, K] without a tape entry (a free view in onnxruntime). */
function flatten2d(g: Graph, x: Tensor): Tensor {
  if (x.rank === 2) return x;
  const k = x.shape[x.rank - 1];
  if (typeof k !== 'number') throw new ShapeError(`flatten of ${x}: last dim must be static`);
  return g.reshape(x, [-1, k]);
}

/**
 * Weight-form gradients of y = x·W (+ b) with x [..., K], W [K, N]: one 2-D GEMM each on the flattened
 * activations, so a [B,T,D]x[D,N] layer costs exactly two GEMMs backward and no Transposes.
 */
function weightGrads(g: Graph, x: Tensor, w: Tensor, gy: Tensor, needs: readonly boolean[]): (Tensor | undefined)[] {
  const gy2 = flatten2d(g, gy);
  const dx = needs[0] ? g.reshapeLike(gemm(g, gy2, w, false, true), x) : undefined;
  const dw = needs[1] ? gemm(g, flatten2d(g, x), gy2, true, false) : undefined;
  const db = needs[2] ? g.reduceSumRaw(gy2, [0], false) : undefined;
  return [dx, dw, db];
}

/** MatMul and the fused linear layer. */
export const linalgOps = {
  /**
   * Matrix product with broadcast batch dims (both operands rank ≥ 2). [.., K]x[K, N] (a weight) gets the
   * flattened two-GEMM backward; batched products (attention) get MatMuls with transposes folded away.
   */
  matmul(this: Graph, a: Tensor, b: Tensor): Tensor {
    this.own(a, 'matmul');
    this.own(b, 'matmul');
    if (a.dtype !== b.dtype) throw new ShapeError(`matmul(${a.name}, ${b.name}): element types ${a.dtype} vs ${b.dtype}`);
    const shape = matmulShape(a, b);
    const src = b.rank === 2 ? transposedSource(this, b) : undefined;
    if (src && isStatic(a.shape.slice(0, -1))) {
      // x·Wᵀ (a tied LM head): Gemm with transB reads W in place, and W's gradient comes out as [V, D] directly
      const a2 = flatten2d(this, a);
      const y2 = gemm(this, a2, src, false, true);
      const y = a.rank === 2 ? y2 : this.emit('Reshape', [y2, this.ints(shape as number[])], { shape, dtype: a.dtype, hint: 'matmul' });
      this.record('matmul', [a, src], [y], ([gy0], needs) => {
        const gy2 = flatten2d(this, this.expandTo(gy0 as Tensor, y));
        return [
          needs[0] ? this.reshapeLike(gemm(this, gy2, src, false, false), a) : undefined,
          needs[1] ? gemm(this, gy2, a2, true, false) : undefined,
        ];
      });
      return y;
    }
    const y = this.emit('MatMul', [a, b], { shape, dtype: a.dtype, hint: 'matmul' });
    this.record('matmul', [a, b], [y], ([gy0], needs) => {
      const gy = this.expandTo(gy0 as Tensor, y);
      if (b.rank === 2) return weightGrads(this, a, b, gy, [needs[0], needs[1], false]).slice(0, 2);
      return [
        needs[0] ? this.reduceTo(this.matmul(gy, this.swapLast(b)), a.shape) : undefined,
        needs[1] ? this.reduceTo(this.matmul(this.swapLast(a), gy), b.shape) : undefined,
      ];
    });
    return y;
  },

  /**
   * x·W + b for x [..., K], W [K, N], b [N] (optional): one Gemm over the flattened rows when the leading dims
   * are static, else MatMul + Add.
   */
  linear(this: Graph, x: Tensor, w: Tensor, b?: Tensor): Tensor {
    this.own(x, 'linear');
    this.own(w, 'linear');
    if (b) this.own(b, 'linear');
    const where = `linear(${x.name}, ${w.name}${b ? `, ${b.name}` : ''})`;
    if (w.rank !== 2) throw new ShapeError(`${where}: weight must be [K, N], got ${formatShape(w.shape)}`);
    if (x.rank < 1 || dimsEqual(x.shape[x.rank - 1], w.shape[0]) === false) {
      throw new ShapeError(`${where}: inner dims ${x.shape[x.rank - 1]} vs ${w.shape[0]} (${formatShape(x.shape)} x ${formatShape(w.shape)})`);
    }
    const n = w.shape[1];
    if (b && (b.rank !== 1 || dimsEqual(b.shape[0], n) === false)) throw new ShapeError(`${where}: bias must be [${n}], got ${formatShape(b.shape)}`);
    if (x.dtype !== w.dtype || (b && b.dtype !== w.dtype)) throw new ShapeError(`${where}: element types differ`);
    if (x.rank < 2 || !isStatic(x.shape.slice(0, -1))) {
      const y = this.matmul(x, w);
      return b ? this.add(y, b) : y;
    }
    const x2 = flatten2d(this, x);
    const y2 = gemm(this, x2, w, false, false, b);
    const outShape: Dim[] = [...x.shape.slice(0, -1), n];
    const y = x.rank === 2 ? y2 : this.emit('Reshape', [y2, this.ints(outShape as number[])], { shape: outShape, dtype: x.dtype, hint: 'linear' });
    const inputs = b ? [x, w, b] : [x, w];
    this.record('linear', inputs, [y], ([gy], needs) => weightGrads(this, x, w, this.expandTo(gy as Tensor, y), [needs[0], needs[1], !!b && needs[2]]));
    return y;
  },
};
