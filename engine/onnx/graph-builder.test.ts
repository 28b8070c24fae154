/**
 * @jest-environment ./engine/onnx/ort-test-environment.ts
 */
import { onnx } from 'onnx-proto';
import { attr } from './attributes';
import { GraphBuilder } from './graph-builder';
import { createSession, toOrt } from './session';

const decode = (bytes: Uint8Array): onnx.ModelProto => onnx.ModelProto.decode(bytes);
const graphOf = (bytes: Uint8Array): onnx.GraphProto => {
  const g = decode(bytes).graph;
  if (!g) throw new Error('model has no graph');
  return g as onnx.GraphProto;
};

describe('GraphBuilder', () => {
  it('encodes float, int, string and tensor attributes with their ONNX types', async () => {
    const g = new GraphBuilder();
    const x = g.input('x', [4], 'float32');
    // alpha = 2 is an integer value but a FLOAT attribute: encoding it as INT would make onnxruntime reject the model
    const y = g.node1('LeakyRelu', [x], { shape: [4], dtype: 'float32' }, { alpha: attr.float(2) });
    const z = g.node1('Softmax', [y], { shape: [4], dtype: 'float32' }, { axis: attr.int(-1) });
    const zeros = g.node1('ConstantOfShape', [g.constant(BigInt64Array.from([4n]), [1])], { shape: [4], dtype: 'float32' }, {
      value: attr.tensor([0], [1], 'float32'),
    });
    const idx = g.constant(BigInt64Array.from([1n, 1n]), [2]);
    const sc = g.node1('ScatterElements', [zeros, idx, g.constant(Float32Array.from([1, 2]), [2])], { shape: [4], dtype: 'float32' }, {
      axis: attr.int(0),
      reduction: 'add',
    });
    const graph = graphOf(g.build({ outputs: { y, z, sc } }));
    const types = Object.fromEntries(graph.node.flatMap((n) => (n.attribute ?? []).map((a) => [`${n.opType}.${a.name}`, a.type])));
    expect(types['LeakyRelu.alpha']).toBe(onnx.AttributeProto.AttributeType.FLOAT);
    expect(types['Softmax.axis']).toBe(onnx.AttributeProto.AttributeType.INT);
    expect(types['ConstantOfShape.value']).toBe(onnx.AttributeProto.AttributeType.TENSOR);
    expect(types['ScatterElements.reduction']).toBe(onnx.AttributeProto.AttributeType.STRING);
    const s = await createSession(g.build({ outputs: { y, z, sc } }), { threads: 1 });
    const r = await s.run({ x: toOrt(Float32Array.from([-1, 0, 1, -3]), [4]) });
    expect(Array.from(r.y.data as Float32Array)).toEqual([-2, 0, 1, -6]);
    expect(Array.from(r.sc.data as Float32Array)).toEqual([0, 3, 0, 0]);
  });

  it('rejects attributes that are not what they claim', () => {
    expect(() => attr.int(1.5)).toThrow('attribute int: 1.5 is not an integer');
    expect(() => attr.ints([1, 2.5])).toThrow('attribute ints: 2.5 is not an integer');
  });

  it('gives intermediates unique scoped names and refuses duplicate input names', () => {
    const g = new GraphBuilder();
    const x = g.input('x', [2], 'float32');
    const a = g.scope('h0', () => g.node1('Neg', [x], { shape: [2], dtype: 'float32' }));
    const b = g.scope('h0', () => g.scope('attn', () => g.node1('Neg', [a], { shape: [2], dtype: 'float32', hint: 'q' })));
    expect(a.name).toMatch(/^h0\/neg_\d+$/);
    expect(b.name).toMatch(/^h0\/attn\/q_\d+$/);
    expect(a.name).not.toBe(b.name);
    expect(() => g.input('x', [3], 'float32')).toThrow('name x is already used in this graph');
    expect(() => g.input('bad name', [3], 'float32')).toThrow('is not a valid tensor name');
    expect(() => g.input('y', [-1], 'float32')).toThrow('input y: bad dimension -1 in [-1]');
  });

  it('runs inputs with symbolic dims at different sizes', async () => {
    const g = new GraphBuilder();
    const x = g.input('x', ['batch', 3], 'float32');
    const y = g.node1('Neg', [x], { shape: ['batch', 3], dtype: 'float32' });
    const graph = graphOf(g.build({ outputs: { y } }));
    expect(graph.input[0].type?.tensorType?.shape?.dim?.[0].dimParam).toBe('batch');
    const s = await createSession(g.build({ outputs: { y } }), { threads: 1 });
    for (const n of [1, 4]) {
      const r = await s.run({ x: toOrt(new Float32Array(3 * n).fill(1), [n, 3]) });
      expect(r.y.dims).toEqual([n, 3]);
    }
  });

  it('bakes inputs into initializers, prunes unused nodes and routes inputs to outputs through Identity', async () => {
    const g = new GraphBuilder();
    const w = g.input('w', [2], 'float32');
    const x = g.input('x', [2], 'float32');
    const y = g.node1('Add', [x, w], { shape: [2], dtype: 'float32' });
    g.node1('Exp', [y], { shape: [2], dtype: 'float32', hint: 'unused' });
    const bytes = g.build({ outputs: { y, x_copy: x, y_again: y }, initializers: { w: [10, 20] } });
    const graph = graphOf(bytes);
    expect(graph.input.map((i) => i.name)).toEqual(['x']);
    expect(graph.initializer.map((i) => i.name)).toEqual(['w']);
    expect(graph.node.map((n) => n.opType).sort()).toEqual(['Add', 'Identity', 'Identity']);
    const s = await createSession(bytes, { threads: 1 });
    const r = await s.run({ x: toOrt(Float32Array.from([1, 2]), [2]) });
    expect(Array.from(r.y.data as Float32Array)).toEqual([11, 22]);
    expect(Array.from(r.y_again.data as Float32Array)).toEqual([11, 22]);
    expect(Array.from(r.x_copy.data as Float32Array)).toEqual([1, 2]);
  });

  it('names what is wrong with outputs and initializers', () => {
    const g = new GraphBuilder();
    const x = g.input('x', [2], 'float32');
    const y = g.node1('Neg', [x], { shape: [2], dtype: 'float32' });
    expect(() => g.build({ outputs: {} })).toThrow('build: no outputs');
    expect(() => g.build({ outputs: { x: y } })).toThrow('build: output name x is already the name of x[2] (input)');
    expect(() => g.build({ outputs: { y }, initializers: { w: [1] } })).toThrow('build: initializer w names no input of this graph');
    expect(() => g.build({ outputs: { y }, initializers: { x: [1, 2, 3] } })).toThrow('build: initializer x has 3 values, shape [2] needs 2');
    const other = new GraphBuilder();
    expect(() => other.build({ outputs: { y } })).toThrow('build output y: tensor');
  });

  it('shares small constants with equal contents', () => {
    const g = new GraphBuilder();
    const a = g.constant(Float32Array.from([1, 2]), [2]);
    expect(g.constant(Float32Array.from([1, 2]), [2])).toBe(a);
    expect(g.constant(Float32Array.from([1, 2]), [1, 2])).not.toBe(a);
    expect(g.constant(Float64Array.from([1, 2]), [2])).not.toBe(a);
  });

  it('stamps the opset and refuses opsets older than 17', () => {
    for (const opset of [undefined, 18, 20]) {
      const g = new GraphBuilder({ opset });
      const x = g.input('x', [1], 'float32');
      const model = decode(g.build({ outputs: { y: g.node1('Neg', [x], { shape: [1], dtype: 'float32' }) } }));
      expect(Number(model.opsetImport[0].version)).toBe(opset ?? 17);
    }
    expect(() => new GraphBuilder({ opset: 13 })).toThrow('opset 13: hone emits opset 17 or newer');
  });
});
