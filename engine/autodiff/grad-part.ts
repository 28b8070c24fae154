import type { Tensor } from '../onnx/tensor';

/**
 * A scatter-add gradient contribution: `ScatterElements(data, indices, updates, axis, reduction='add')` applied
 * to whatever dense gradient the target already has (zeros if none). Gather-style ops return this instead of a
 * dense tensor, so that a tied embedding's gradient is the head's MatMul gradient plus one scatter, with no
 * [V, D] zeros and no extra Add.
 *
 * Why ScatterElements and not ScatterND: onnxruntime's CPU ScatterND with reduction='add' splits the index list
 * across threads, and two threads that meet the same row lose updates (measured: wrong sums in 18 of 20 runs with
 * 2 threads). ScatterElements parallelises over output columns and walks the axis in order, so it is exact and
 * deterministic.
 */
export interface ScatterAddPart {
  readonly kind: 'scatterAdd';
  readonly axis: number;
  /** int64, same shape as `updates`. */
  readonly indices: Tensor;
  readonly updates: Tensor;
}

/** A gradient contribution: a dense tensor broadcastable to the target's shape, or a scatter-add. */
export type GradPart = Tensor | ScatterAddPart;

/**
 * A backward rule: given the gradients of an op's outputs (undefined where an output gets none; a dense gradient
 * may have a broadcastable rather than the full shape) and which inputs need a gradient, returns one contribution
 * per input (undefined where none is needed or defined).
 */
export type BackwardRule = (gys: readonly (Tensor | undefined)[], needs: readonly boolean[]) => readonly (GradPart | undefined)[];
