import { type DType, type FloatDType, type TensorData, isFloat, toTypedArray } from '../onnx/dtype';
import { GraphBuilder, type GraphBuilderOptions, type OutputSpec } from '../onnx/graph-builder';
import { attr, type Attrs } from '../onnx/attributes';
import { type Shape, ShapeError, broadcastsTo, formatShape, isStatic, shapesEqual } from '../onnx/shape';
import { Tensor } from '../onnx/tensor';
import type { BackwardRule, GradPart } from './grad-part';
import { type GraphOps, allOps } from './ops';

/** Options of a {@link Graph}. */
export interface GraphOptions extends GraphBuilderOptions {
  /**
   * Element type of params, float inputs and constants made from plain numbers (default 'float32').
   * 'float64' runs the same model code in double precision for gradient checks.
   */
  dtype?: FloatDType;
}

/** A tensor or a plain number (made into a constant of the other operand's element type). */
export type Operand = Tensor | number;

/** A parameter as the optimizer and checkpoints see it. */
export interface ParamInfo {
  readonly name: string;
  readonly shape: readonly number[];
  readonly tensor: Tensor;
}

interface TapeEntry {
  readonly op: string;
  readonly inputs: readonly Tensor[];
  readonly outputs: readonly Tensor[];
  readonly backward: BackwardRule;
}

/**
 * A differentiable ONNX graph: the builder of engine/onnx plus a tape of differentiable ops and reverse-mode
 * `grad()`, which emits the backward pass as more standard ONNX nodes in the same graph.
 *
 * Op methods (add, matmul, layerNorm, softmax, gather, …) are attached from ./ops/*; see README.md for the list.
 * Gradients are first order: tensors that grad() produced are treated as constants by a later grad() call.
 */
export class Graph extends GraphBuilder {
  /** Element type of params and float constants. */
  readonly dtype: FloatDType;
  private readonly tape: TapeEntry[] = [];
  private readonly producerEntry = new Map<number, TapeEntry>();
  private readonly paramList: ParamInfo[] = [];
  private recording = true;
  private readonly memo = new Map<string, Tensor>();

  constructor(options: GraphOptions = {}) {
    super(options);
    this.dtype = options.dtype ?? 'float32';
  }

  /** A trainable parameter: a graph input of the graph's float type, fed each step (or baked in at build). */
  param(name: string, shape: readonly number[]): Tensor {
    if (!isStatic(shape)) throw new ShapeError(`param ${name}: parameters need static shapes, got ${formatShape(shape)}`);
    const t = this.addInput(name, shape, this.dtype, 'param');
    this.paramList.push({ name, shape: [...shape], tensor: t });
    return t;
  }

  /** Parameters in declaration order. */
  get params(): readonly ParamInfo[] {
    return this.paramList;
  }

  /** A graph input; float inputs default to the graph's float type. Symbolic dims are strings. */
  override input(name: string, shape: Shape, dtype: DType = this.dtype): Tensor {
    return super.input(name, shape, dtype);
  }

  /**
   * A constant. Numbers become the graph's float type unless `dtype` says otherwise; a float typed array is
   * converted to the graph's float type (so model code runs unchanged in float64); int64/bool arrays keep theirs.
   */
  const(value: number | readonly number[] | TensorData, shape?: readonly number[], dtype?: DType): Tensor {
    const arr = typeof value === 'number' ? [value] : value;
    const natural: DType =
      arr instanceof BigInt64Array ? 'int64' : arr instanceof Uint8Array ? 'bool' : this.dtype;
    const dt = dtype ?? natural;
    const dims = shape ?? (typeof value === 'number' ? [] : [arr.length]);
    return this.constant(toTypedArray(arr as ArrayLike<number>, dt), dims);
  }

  /** A scalar constant of the given type (default: the graph's float type). */
  scalar(value: number, dtype: DType = this.dtype): Tensor {
    return this.const(value, [], dtype);
  }

  /** An int64 1-D constant, e.g. a shape or axes list. */
  ints(values: readonly number[]): Tensor {
    return this.const(values, [values.length], 'int64');
  }

  /** Turns a number into a constant matching `like` (a tensor passes through, checked to be ours). */
  operand(x: Operand, like: Tensor, where: string): Tensor {
    return typeof x === 'number' ? this.scalar(x, like.dtype) : this.own(x, where);
  }

  /** @internal emits one node (no tape entry). */
  emit(opType: string, inputs: readonly (Tensor | null)[], out: OutputSpec, attrs: Attrs = {}): Tensor {
    return this.node1(opType, inputs, out, attrs);
  }

  /**
   * @internal records a differentiable op. Ops whose inputs are all non-float (or that run inside grad()) are
   * not recorded: nothing can flow through them.
   */
  record(op: string, inputs: readonly Tensor[], outputs: readonly Tensor[], backward: BackwardRule): void {
    if (!this.recording || !inputs.some((t) => isFloat(t.dtype))) return;
    const e: TapeEntry = { op, inputs, outputs, backward };
    this.tape.push(e);
    for (const o of outputs) this.producerEntry.set(o.id, e);
  }

  /**
   * @internal memoises a pure emission (e.g. the same Transpose of a weight asked for twice). Entries made inside
   * grad() carry no tape entry, so forward code never reuses them; grad() may reuse forward ones.
   */
  memoize(key: string, make: () => Tensor): Tensor {
    const hit = this.memo.get(`f:${key}`) ?? (this.recording ? undefined : this.memo.get(`b:${key}`));
    if (hit) return hit;
    const t = make();
    this.memo.set(`${this.recording ? 'f' : 'b'}:${key}`, t);
    return t;
  }

  /** Whether `t` is produced by a recorded op (not an input, constant or stop-gradient). */
  isRecorded(t: Tensor): boolean {
    return this.producerEntry.has(t.id);
  }

  /**
   * Reverse-mode gradient of a scalar `loss` with respect to each tensor in `wrt` (params, float inputs or
   * intermediates), emitted as ONNX nodes. A tensor the loss does not depend on gets zeros.
   */
  grad(loss: Tensor, wrt: readonly Tensor[]): Tensor[] {
    this.own(loss, 'grad');
    if (!isFloat(loss.dtype)) throw new Error(`grad: loss ${loss} is ${loss.dtype}, not a float`);
    if (loss.shape.length !== 0) throw new ShapeError(`grad: loss ${loss} must be a scalar (shape [])`);
    for (const w of wrt) {
      this.own(w, 'grad');
      if (!isFloat(w.dtype)) throw new Error(`grad: cannot differentiate with respect to ${w} of type ${w.dtype}`);
    }
    // Forward reachability: which tensors depend on something in wrt.
    const wrtIds = new Set(wrt.map((t) => t.id));
    const depends = new Set<number>(wrtIds);
    for (const e of this.tape) if (e.inputs.some((t) => depends.has(t.id))) for (const o of e.outputs) depends.add(o.id);

    const parts = new Map<number, GradPart[]>();
    const dense = new Map<number, Tensor>();
    const add = (t: Tensor, g: GradPart): void => {
      const list = parts.get(t.id);
      if (list) list.push(g);
      else parts.set(t.id, [g]);
    };
    const wasRecording = this.recording;
    this.recording = false;
    try {
      add(loss, this.scalar(1, loss.dtype));
      for (let i = this.tape.length - 1; i >= 0; i--) {
        const e = this.tape[i];
        if (!e.outputs.some((o) => parts.has(o.id))) continue;
        const needs = e.inputs.map((t) => depends.has(t.id) && isFloat(t.dtype));
        if (!needs.some(Boolean)) continue;
        const gys = e.outputs.map((o) => this.sumParts(o, parts, dense));
        const gxs = this.scope(`grad/${e.op}`, () => e.backward(gys, needs));
        e.inputs.forEach((t, k) => {
          const g = gxs[k];
          if (!needs[k] || g === undefined) return;
          if (!(g instanceof Tensor) || broadcastsTo(g.shape, t.shape)) add(t, g);
          else throw new ShapeError(`grad of ${e.op}: gradient ${g} does not broadcast to input ${t}`);
        });
      }
      return wrt.map((w) => {
        const g = this.sumParts(w, parts, dense);
        return g ? this.expandTo(g, w) : this.zerosLike(w);
      });
    } finally {
      this.recording = wasRecording;
    }
  }

  /** Gradients of `loss` for every parameter (or the given ones), keyed by parameter name. */
  gradients(loss: Tensor, params: readonly ParamInfo[] = this.paramList): Record<string, Tensor> {
    const gs = this.grad(loss, params.map((p) => p.tensor));
    return Object.fromEntries(params.map((p, i) => [p.name, gs[i]]));
  }

  private sumParts(t: Tensor, parts: Map<number, GradPart[]>, dense: Map<number, Tensor>): Tensor | undefined {
    const done = dense.get(t.id);
    if (done) return done;
    const list = parts.get(t.id);
    if (!list) return undefined;
    const d = list.filter((p): p is Tensor => p instanceof Tensor);
    let g: Tensor | undefined = d.length <= 1 ? d[0] : this.sumN(d);
    for (const p of list) {
      if (p instanceof Tensor) continue;
      const data = g ? this.expandTo(g, t) : this.zerosLike(t);
      g = this.emit('ScatterElements', [data, p.indices, p.updates], { shape: t.shape, dtype: t.dtype, hint: 'scatter_add' }, {
        axis: attr.int(p.axis),
        reduction: 'add',
      });
    }
    if (g) dense.set(t.id, g);
    parts.delete(t.id);
    return g;
  }

  private sumN(ts: readonly Tensor[]): Tensor {
    const shape = ts.slice(1).reduce<Shape>((acc, t) => bcast(acc, t.shape), ts[0].shape);
    return this.emit('Sum', ts, { shape, dtype: ts[0].dtype, hint: 'grad_sum' });
  }

  // ---- helpers for backward rules -------------------------------------------------------------------------

  /** Sums a gradient down to something that broadcasts to `shape` (over broadcast axes; leading ones dropped). */
  reduceTo(g: Tensor, shape: Shape): Tensor {
    if (broadcastsTo(g.shape, shape)) return g;
    const off = g.rank - shape.length;
    const lead: number[] = [];
    const inner: number[] = [];
    for (let i = 0; i < g.rank; i++) {
      if (i < off) lead.push(i);
      else if (shape[i - off] === 1 && g.shape[i] !== 1) inner.push(i);
    }
    let y = g;
    if (inner.length) y = this.reduceSumRaw(y, inner, true);
    if (lead.length) y = this.reduceSumRaw(y, lead, false);
    return y;
  }

  /** Broadcasts a gradient to the exact shape of `like` (no node when it already has it). */
  expandTo(g: Tensor, like: Tensor): Tensor {
    if (shapesEqual(g.shape, like.shape)) return g;
    return this.emit('Expand', [g, this.shapeOfTensor(like)], { shape: like.shape, dtype: g.dtype, hint: 'expand' });
  }

  /** Zeros with the shape and type of `like` (ConstantOfShape; onnxruntime folds it when the shape is static). */
  zerosLike(like: Tensor): Tensor {
    return this.emit('ConstantOfShape', [this.shapeOfTensor(like)], { shape: like.shape, dtype: like.dtype, hint: 'zeros' }, {
      value: attr.tensor([0], [1], like.dtype),
    });
  }

  /** The shape of `t` as an int64 tensor: a constant when static, a Shape node otherwise. */
  shapeOfTensor(t: Tensor): Tensor {
    if (isStatic(t.shape)) return this.ints(t.shape);
    return this.memoize(`shape:${t.id}`, () => this.emit('Shape', [t], { shape: [t.rank], dtype: 'int64', hint: 'shape' }));
  }

  /** ReduceSum without a tape entry (ReduceSum takes axes as an input since opset 13). */
  reduceSumRaw(x: Tensor, axes: readonly number[], keepdims: boolean): Tensor {
    return this.reduceRaw('ReduceSum', x, axes, keepdims);
  }

  /** Any Reduce* op without a tape entry; axes go in as attribute or input depending on the op and opset. */
  reduceRaw(op: 'ReduceSum' | 'ReduceMean' | 'ReduceMax' | 'ReduceMin' | 'ReduceSumSquare', x: Tensor, axes: readonly number[], keepdims: boolean): Tensor {
    const norm = axes.map((a) => (a < 0 ? a + x.rank : a));
    const shape = keepdims ? x.shape.map((d, i) => (norm.includes(i) ? 1 : d)) : x.shape.filter((_, i) => !norm.includes(i));
    const axesAsInput = op === 'ReduceSum' || this.opset >= 18;
    return this.emit(op, axesAsInput ? [x, this.ints(norm)] : [x], { shape, dtype: x.dtype, hint: op.toLowerCase() }, {
      keepdims: attr.int(keepdims ? 1 : 0),
      ...(axesAsInput ? {} : { axes: attr.ints(norm) }),
    });
  }
}

function bcast(a: Shape, b: Shape): Shape {
  const rank = Math.max(a.length, b.length);
  return Array.from({ length: rank }, (_, i) => {
    const da = a[i - (rank - a.length)] ?? 1;
    const db = b[i - (rank - b.length)] ?? 1;
    return da === 1 ? db : da;
  });
}

// The op families live in ./ops (one file per family); they are methods of Graph.
export interface Graph extends OpMethods {}
type OpMethods = { [K in keyof GraphOps]: OmitThisParameter<GraphOps[K]> };
Object.assign(Graph.prototype, allOps);
