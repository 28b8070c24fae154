import { onnx } from 'onnx-proto';
import { type Attrs, encodeAttribute } from './attributes';
import { type DType, type TensorData, ONNX_DATA_TYPE, dtypeOfArray, rawBytes, toTypedArray } from './dtype';
import { type Dim, type Shape, ShapeError, formatShape, isStatic, numel } from './shape';
import { Tensor, type TensorKind } from './tensor';

/** Default ONNX opset: LayerNormalization is standard from 17 and onnxruntime-node 1.30 runs everything we emit. */
export const DEFAULT_OPSET = 17;

/** Shape and element type of one output of a node. */
export interface OutputSpec {
  shape: Shape;
  dtype: DType;
  /** Name hint, e.g. 'logits' (the builder appends a counter). */
  hint?: string;
}

/** A node as recorded by the builder. */
export interface NodeRecord {
  readonly opType: string;
  readonly domain: string;
  readonly inputs: readonly (Tensor | null)[];
  readonly outputs: readonly Tensor[];
  readonly attrs: Attrs;
  /** Values of this graph that the node's subgraphs read by name (kept alive, never renamed). */
  readonly implicit: readonly Tensor[];
}

/** Options of {@link GraphBuilder.build}. */
export interface BuildOptions {
  /** Graph outputs by name. A tensor that is an input or already an output is routed through an Identity. */
  outputs: Readonly<Record<string, Tensor>>;
  /**
   * Values for inputs/params to bake into the model as initializers instead of graph inputs: how an inference
   * graph carries its trained weights. Converted to the input's element type; sizes are checked.
   */
  initializers?: Readonly<Record<string, TensorData | readonly number[]>>;
  /** Graph name stored in the model (default 'hone'). */
  name?: string;
}

/** Options of a {@link GraphBuilder}. */
export interface GraphBuilderOptions {
  /** ONNX default-domain opset, 17 or newer (default {@link DEFAULT_OPSET}). */
  opset?: number;
  /**
   * Prefix of generated tensor names. A subgraph (a Loop body) needs one: its names must not collide with those of
   * the graph around it.
   */
  namePrefix?: string;
}

const SMALL_CONST_BYTES = 512;

/**
 * A small ONNX graph builder: unique names, typed inputs (static or symbolic dims), initializers, deduplicated
 * constants, nodes with typed attributes, outputs; `build()` prunes nodes the outputs do not need and encodes a
 * ModelProto that `ort.InferenceSession.create(bytes)` accepts. Shape inference lives with the ops
 * (engine/autodiff), which pass each node's output shapes in.
 */
export class GraphBuilder {
  /** Default-domain opset of the model. */
  readonly opset: number;
  private readonly nodeList: NodeRecord[] = [];
  private readonly producers = new Map<number, NodeRecord>();
  private readonly inputList: Tensor[] = [];
  private readonly initData = new Map<number, TensorData>();
  private readonly tensorsByName = new Map<string, Tensor>();
  private readonly tensorsById = new Map<number, Tensor>();
  private readonly smallConsts = new Map<string, Tensor>();
  private readonly bigConsts = new WeakMap<TensorData, Tensor>();
  private readonly scopes: string[] = [];
  private readonly outerRefs = new Map<number, Tensor>();
  private readonly namePrefix: string;
  private nextId = 0;

  constructor(options: GraphBuilderOptions = {}) {
    this.opset = options.opset ?? DEFAULT_OPSET;
    this.namePrefix = options.namePrefix ?? '';
    if (!Number.isInteger(this.opset) || this.opset < 17) throw new Error(`opset ${this.opset}: hone emits opset 17 or newer`);
  }

  /** Declares a graph input. Symbolic dims are strings ('batch'); names must be unique. */
  input(name: string, shape: Shape, dtype: DType): Tensor {
    return this.addInput(name, shape, dtype, 'input');
  }

  /** @internal shared by input() and Graph.param() */
  protected addInput(name: string, shape: Shape, dtype: DType, kind: 'input' | 'param'): Tensor {
    for (const d of shape) {
      if (typeof d === 'number' ? !(Number.isInteger(d) && d >= 0) : d.length === 0)
        throw new ShapeError(`input ${name}: bad dimension ${JSON.stringify(d)} in ${formatShape(shape)}`);
    }
    const t = this.newTensor(name, shape, dtype, kind, true);
    this.inputList.push(t);
    return t;
  }

  /** A named initializer (a weight baked into the model). */
  initializer(name: string, data: TensorData | readonly number[], shape: readonly number[], dtype?: DType): Tensor {
    const dt = dtype ?? (Array.isArray(data) ? 'float32' : dtypeOfArray(data as TensorData));
    const arr = toTypedArray(data as ArrayLike<number>, dt);
    if (arr.length !== numel(shape)) throw new ShapeError(`initializer ${name}: ${arr.length} values for shape ${formatShape(shape)}`);
    const t = this.newTensor(name, shape, dt, 'initializer', true);
    this.initData.set(t.id, arr);
    return t;
  }

  /**
   * In a subgraph: a value of the enclosing graph (a weight, an input, a computed tensor), read by name. Pass the
   * node that holds this subgraph {@link outerValues} as its implicit inputs (see {@link node}).
   */
  outer(t: Tensor): Tensor {
    if (t.owner === this) throw new Error(`outer(${t.name}): the tensor already belongs to this graph`);
    const have = this.tensorsByName.get(t.name);
    if (have) {
      if (have.kind === 'outer') return have;
      throw new Error(`outer(${t.name}): the name is already used in this graph`);
    }
    const local = this.newTensor(t.name, t.shape, t.dtype, 'outer', true);
    this.outerRefs.set(local.id, t);
    return local;
  }

  /** The enclosing graph's tensors this graph references through {@link outer}. */
  get outerValues(): Tensor[] {
    return [...this.outerRefs.values()];
  }

  /** An anonymous constant; small constants with equal contents are shared. */
  constant(data: TensorData, shape: readonly number[]): Tensor {
    const dtype = dtypeOfArray(data);
    if (data.length !== numel(shape)) throw new ShapeError(`constant: ${data.length} values for shape ${formatShape(shape)}`);
    let key: string | undefined;
    if (data.byteLength <= SMALL_CONST_BYTES) {
      key = `${dtype}|${shape.join(',')}|${Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('hex')}`;
      const hit = this.smallConsts.get(key);
      if (hit) return hit;
    } else {
      const hit = this.bigConsts.get(data);
      if (hit && hit.shape.join(',') === shape.join(',')) return hit;
    }
    const t = this.newTensor('const', shape, dtype, 'constant', false);
    this.initData.set(t.id, data.slice());
    if (key) this.smallConsts.set(key, t);
    else this.bigConsts.set(data, t);
    return t;
  }

  /**
   * Appends a node and returns its output tensors. `inputs` may contain null for an omitted optional input.
   * The caller (an op with shape inference) states each output's shape and element type. `implicit`: the values
   * of this graph that the node's subgraph attributes read by name (a Loop body's `outerValues`).
   */
  node(opType: string, inputs: readonly (Tensor | null)[], outputs: readonly OutputSpec[], attrs: Attrs = {}, domain = '', implicit: readonly Tensor[] = []): Tensor[] {
    for (const t of inputs) if (t) this.own(t, opType);
    for (const t of implicit) this.own(t, `${opType} (subgraph reference)`);
    const outs = outputs.map((o) => this.newTensor(o.hint ?? opType.toLowerCase(), o.shape, o.dtype, 'node', false));
    const rec: NodeRecord = { opType, domain, inputs: [...inputs], outputs: outs, attrs, implicit: [...implicit] };
    this.nodeList.push(rec);
    for (const t of outs) this.producers.set(t.id, rec);
    return outs;
  }

  /** Single-output {@link node}. */
  node1(opType: string, inputs: readonly (Tensor | null)[], out: OutputSpec, attrs: Attrs = {}, domain = ''): Tensor {
    return this.node(opType, inputs, [out], attrs, domain)[0];
  }

  /** The node that produced a tensor (undefined for inputs, initializers, constants). */
  producer(t: Tensor): NodeRecord | undefined {
    return this.producers.get(t.id);
  }

  /** The data of a constant or initializer tensor (undefined for anything computed or fed). */
  constantData(t: Tensor): TensorData | undefined {
    return this.initData.get(t.id);
  }

  /** All declared inputs (params included), in declaration order. */
  get inputs(): readonly Tensor[] {
    return this.inputList;
  }

  /** Runs `fn` with names of new intermediate tensors prefixed by `prefix/` (nested scopes join). */
  scope<T>(prefix: string, fn: () => T): T {
    this.scopes.push(prefix);
    try {
      return fn();
    } finally {
      this.scopes.pop();
    }
  }

  /** Throws unless `t` belongs to this graph; `where` names the op for the message. */
  own(t: Tensor, where: string): Tensor {
    if (!(t instanceof Tensor)) throw new TypeError(`${where}: expected a Tensor, got ${String(t)}`);
    if (t.owner !== this) throw new Error(`${where}: tensor ${t.name} belongs to another graph`);
    return t;
  }

  private newTensor(hint: string, shape: Shape, dtype: DType, kind: TensorKind, exact: boolean): Tensor {
    const id = this.nextId++;
    let name: string;
    if (exact) {
      if (!/^[A-Za-z_][\w.:/-]*$/.test(hint)) throw new Error(`name ${JSON.stringify(hint)} is not a valid tensor name`);
      if (this.tensorsByName.has(hint)) throw new Error(`name ${hint} is already used in this graph`);
      name = hint;
    } else {
      const prefix = this.namePrefix + (this.scopes.length ? `${this.scopes.join('/')}/` : '');
      name = `${prefix}${hint}_${id}`;
      while (this.tensorsByName.has(name)) name = `${prefix}${hint}_${id}_${this.nextId++}`;
    }
    const t = new Tensor(this, id, name, [...shape], dtype, kind);
    this.tensorsByName.set(name, t);
    this.tensorsById.set(id, t);
    return t;
  }

  /** Encodes the model. See {@link BuildOptions}. */
  build(options: BuildOptions): Uint8Array {
    const model: onnx.IModelProto = {
      irVersion: irVersionFor(this.opset),
      producerName: 'hone',
      opsetImport: [{ domain: '', version: this.opset }],
      graph: this.buildGraph(options),
    };
    return onnx.ModelProto.encode(onnx.ModelProto.create(model)).finish();
  }

  /**
   * The GraphProto alone: what {@link build} wraps into a model, and what a subgraph attribute holds
   * (`attr.graph(body.buildGraph({ outputs }))`). Outputs keep the order of `options.outputs`; inputs keep their
   * declaration order (a Loop body declares iteration, condition, then its loop-carried values).
   */
  buildGraph(options: BuildOptions): onnx.IGraphProto {
    const bake = new Map<string, TensorData | readonly number[]>(Object.entries(options.initializers ?? {}));
    for (const name of bake.keys()) {
      if (!this.inputList.some((t) => t.name === name)) throw new Error(`build: initializer ${name} names no input of this graph`);
    }
    const outEntries = Object.entries(options.outputs);
    if (outEntries.length === 0) throw new Error('build: no outputs');

    // Route outputs: a computed tensor takes the output's name; anything else goes through an Identity.
    const finalName = new Map<number, string>();
    const extraNodes: { input: Tensor; output: string }[] = [];
    const outputNames = new Set<string>();
    for (const [name, t] of outEntries) {
      this.own(t, `build output ${name}`);
      if (outputNames.has(name)) throw new Error(`build: output ${name} given twice`);
      outputNames.add(name);
      const clash = this.tensorsByName.get(name);
      if (clash && clash !== t) throw new Error(`build: output name ${name} is already the name of ${clash} (${clash.kind})`);
      if (t.kind === 'node' && !finalName.has(t.id)) finalName.set(t.id, name);
      else if (clash === t) throw new Error(`build: output ${name} is the ${t.kind} of the same name; pick another output name`);
      else extraNodes.push({ input: t, output: name });
    }
    const nameOf = (t: Tensor): string => finalName.get(t.id) ?? t.name;

    // Liveness: keep only nodes the outputs depend on.
    const live = new Set<NodeRecord>();
    const usedTensors = new Set<number>();
    const stack: Tensor[] = outEntries.map(([, t]) => t);
    while (stack.length) {
      const t = stack.pop() as Tensor;
      if (usedTensors.has(t.id)) continue;
      usedTensors.add(t.id);
      const p = this.producers.get(t.id);
      if (p && !live.has(p)) {
        live.add(p);
        for (const i of p.inputs) if (i) stack.push(i);
        for (const i of p.implicit) {
          // a subgraph reads it by its name: renaming it to an output name would break the reference
          if (finalName.has(i.id)) throw new Error(`build: ${i.name} is read by a ${p.opType} subgraph and cannot also be output ${finalName.get(i.id)}`);
          stack.push(i);
        }
      }
    }

    const nodes: onnx.INodeProto[] = [];
    for (const n of this.nodeList) {
      if (!live.has(n)) continue;
      nodes.push({
        opType: n.opType,
        domain: n.domain,
        name: nameOf(n.outputs[0]),
        input: n.inputs.map((i) => (i ? nameOf(i) : '')),
        output: n.outputs.map(nameOf),
        attribute: Object.entries(n.attrs)
          .filter((e): e is [string, NonNullable<(typeof e)[1]>] => e[1] !== undefined)
          .map(([k, v]) => encodeAttribute(k, v)),
      });
    }
    for (const e of extraNodes) nodes.push({ opType: 'Identity', name: e.output, input: [nameOf(e.input)], output: [e.output] });

    const initializer: onnx.ITensorProto[] = [];
    const input: onnx.IValueInfoProto[] = [];
    for (const t of this.inputList) {
      const v = bake.get(t.name);
      if (v === undefined) {
        input.push(valueInfo(t.name, t.dtype, t.shape));
        continue;
      }
      if (!isStatic(t.shape)) throw new ShapeError(`build: input ${t} has symbolic dims and cannot become an initializer`);
      const data = toTypedArray(v as ArrayLike<number>, t.dtype);
      if (data.length !== numel(t.shape)) throw new ShapeError(`build: initializer ${t.name} has ${data.length} values, shape ${formatShape(t.shape)} needs ${numel(t.shape)}`);
      initializer.push(tensorProto(t.name, data, t.shape, t.dtype));
    }
    for (const [id, data] of this.initData) {
      if (!usedTensors.has(id)) continue;
      const t = this.tensorsById.get(id) as Tensor;
      initializer.push(tensorProto(t.name, data, t.shape as number[], t.dtype));
    }
    const output = outEntries.map(([name, t]) => valueInfo(name, t.dtype, t.shape));
    return { name: options.name ?? 'hone', node: nodes, initializer, input, output };
  }
}

function valueInfo(name: string, dtype: DType, shape: Shape): onnx.IValueInfoProto {
  const dim = shape.map((d: Dim) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d }));
  return { name, type: { tensorType: { elemType: ONNX_DATA_TYPE[dtype], shape: { dim } } } };
}

function tensorProto(name: string, data: TensorData, dims: readonly number[], dtype: DType): onnx.ITensorProto {
  return { name, dims: [...dims], dataType: ONNX_DATA_TYPE[dtype], rawData: rawBytes(data) };
}

/** The IR version that goes with an opset (onnx/helper.py VERSION_TABLE). */
function irVersionFor(opset: number): number {
  if (opset <= 18) return 8;
  if (opset <= 20) return 9;
  return 10;
}
