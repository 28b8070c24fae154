import { attr } from '../../onnx/attributes';
import { ShapeError, formatShape, normAxis } from '../../onnx/shape';
import { gatherShape } from '../../onnx/shape-inference';
import type { Tensor } from '../../onnx/tensor';
import type { Graph } from '../graph';

/** Gather (embeddings) and GatherElements, whose gradients are scatter-adds. */
export const indexingOps = {
  /**
   * Rows of `table` [V, ...] picked by int64 `indices` [...] → [...indices, ...]: an embedding lookup. The
   * gradient is a ScatterElements add into the table's shape — no one-hot, cost O(N·D) whatever V is.
   */
  gather(this: Graph, table: Tensor, indices: Tensor): Tensor {
    this.own(table, 'gather');
    this.own(indices, 'gather');
    const shape = gatherShape(table, indices);
    const y = this.emit('Gather', [table, indices], { shape, dtype: table.dtype, hint: 'gather' }, { axis: attr.int(0) });
    this.record('gather', [table, indices], [y], ([gy]) => {
      const rest = table.shape.slice(1);
      const updates = this.reshape(this.expandTo(gy as Tensor, y), [-1, ...rest]);
      const idx = this.reshape(indices, [-1, ...rest.map(() => 1)]);
      const expanded = this.emit('Expand', [idx, this.shapeOfTensor(updates)], { shape: updates.shape, dtype: 'int64', hint: 'gather_idx' });
      return [{ kind: 'scatterAdd', axis: 0, indices: expanded, updates }, undefined];
    });
    return y;
  },

  /** x[..., indices[...], ...] along `axis` (indices same rank as x). Gradient: ScatterElements add. */
  gatherElements(this: Graph, x: Tensor, indices: Tensor, axis: number): Tensor {
    this.own(x, 'gatherElements');
    this.own(indices, 'gatherElements');
    const where = `gatherElements(${x.name}, ${indices.name})`;
    if (indices.dtype !== 'int64') throw new ShapeError(`${where}: indices must be int64`);
    if (indices.rank !== x.rank) throw new ShapeError(`${where}: ranks differ (${formatShape(x.shape)} vs ${formatShape(indices.shape)})`);
    const a = normAxis(axis, x.rank, where);
    const y = this.emit('GatherElements', [x, indices], { shape: indices.shape, dtype: x.dtype, hint: 'gather_elements' }, { axis: attr.int(a) });
    this.record('gatherElements', [x, indices], [y], ([gy]) => [
      { kind: 'scatterAdd', axis: a, indices, updates: this.expandTo(gy as Tensor, y) },
      undefined,
    ]);
    return y;
  },
};
