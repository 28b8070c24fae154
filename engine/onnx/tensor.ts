import type { DType } from './dtype';
import { type Shape, formatShape } from './shape';

/** Where a tensor comes from: a graph input, a trainable parameter (an input the optimizer feeds), a named
 * initializer, an anonymous constant, the output of a node, or (in a subgraph such as a Loop body) a value of the
 * enclosing graph referenced by name. */
export type TensorKind = 'input' | 'param' | 'initializer' | 'constant' | 'node' | 'outer';

/**
 * A handle to a value in a graph under construction: its name, static/symbolic shape and element type.
 * Handles are only valid in the graph that made them.
 */
export class Tensor {
  /** @internal use the graph's methods to create tensors */
  constructor(
    /** The graph this tensor belongs to. */
    readonly owner: object,
    /** Creation order, unique within the graph. */
    readonly id: number,
    /** The ONNX value name (unique within the graph). */
    readonly name: string,
    readonly shape: Shape,
    readonly dtype: DType,
    readonly kind: TensorKind,
  ) {}

  /** Number of dimensions. */
  get rank(): number {
    return this.shape.length;
  }

  /** 'h_3[2,5,64]' — how error messages name a tensor. */
  toString(): string {
    return `${this.name}${formatShape(this.shape)}`;
  }
}
