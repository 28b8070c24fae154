import { attr, type Attrs } from '../../onnx/attributes';
import type { OutputSpec } from '../../onnx/graph-builder';
import { normAxis } from '../../onnx/shape';
import type { Tensor } from '../../onnx/tensor';
import type { Graph } from '../graph';

/** Non-differentiable helpers and the raw-op escape hatch. */
export const miscOps = {
  /**
   * Any ONNX op, with output shapes/types stated by the caller. Not differentiable: grad() treats its outputs as
   * constants. For inference-only pieces (TopK, Range, Trilu, …).
   */
  op(this: Graph, opType: string, inputs: readonly (Tensor | null)[], outputs: readonly OutputSpec[], attrs: Attrs = {}): Tensor[] {
    return this.node(opType, inputs, outputs, attrs);
  },

  /** The runtime shape of x as int64 [rank]. */
  shapeOf(this: Graph, x: Tensor): Tensor {
    this.own(x, 'shapeOf');
    return this.emit('Shape', [x], { shape: [x.rank], dtype: 'int64', hint: 'shape' });
  },

  /** Index of the maximum along `axis` (int64; ties → first). */
  argMax(this: Graph, x: Tensor, axis = -1, keepDims = false): Tensor {
    this.own(x, 'argMax');
    const a = normAxis(axis, x.rank, `argMax(${x.name})`);
    const shape = keepDims ? x.shape.map((d, i) => (i === a ? 1 : d)) : x.shape.filter((_, i) => i !== a);
    return this.emit('ArgMax', [x], { shape, dtype: 'int64', hint: 'argmax' }, { axis: attr.int(a), keepdims: attr.int(keepDims ? 1 : 0) });
  },
};
