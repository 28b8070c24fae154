import { onnx } from 'onnx-proto';
import { type DType, type TensorData, ONNX_DATA_TYPE, rawBytes, toTypedArray } from './dtype';

const AT = onnx.AttributeProto.AttributeType;

/**
 * A typed ONNX attribute value. JavaScript numbers cannot tell 1 from 1.0, and ONNX rejects an INT where the
 * schema says FLOAT (and vice versa), so numeric attributes are always tagged: `attr.int(-1)`,
 * `attr.float(1e-5)`. A bare string is a STRING attribute.
 */
export type AttrValue =
  | { readonly kind: 'int'; readonly value: number }
  | { readonly kind: 'float'; readonly value: number }
  | { readonly kind: 'ints'; readonly value: readonly number[] }
  | { readonly kind: 'floats'; readonly value: readonly number[] }
  | { readonly kind: 'string'; readonly value: string }
  | { readonly kind: 'strings'; readonly value: readonly string[] }
  | { readonly kind: 'tensor'; readonly value: { data: TensorData; dims: readonly number[]; dtype: DType } }
  | { readonly kind: 'graph'; readonly value: onnx.IGraphProto };

/** Attributes of one node, by name. */
export type Attrs = Readonly<Record<string, AttrValue | string | undefined>>;

function checkInt(v: number, what: string): number {
  if (!Number.isSafeInteger(v)) throw new Error(`attribute ${what}: ${v} is not an integer`);
  return v;
}

/** Constructors for typed attribute values. */
export const attr = {
  int: (value: number): AttrValue => ({ kind: 'int', value: checkInt(value, 'int') }),
  float: (value: number): AttrValue => ({ kind: 'float', value }),
  ints: (value: readonly number[]): AttrValue => ({ kind: 'ints', value: value.map((v) => checkInt(v, 'ints')) }),
  floats: (value: readonly number[]): AttrValue => ({ kind: 'floats', value: [...value] }),
  string: (value: string): AttrValue => ({ kind: 'string', value }),
  strings: (value: readonly string[]): AttrValue => ({ kind: 'strings', value: [...value] }),
  /** A tensor attribute (e.g. ConstantOfShape's `value`). */
  tensor: (data: ArrayLike<number> | TensorData, dims: readonly number[], dtype: DType): AttrValue => ({
    kind: 'tensor',
    value: { data: toTypedArray(data, dtype), dims: [...dims], dtype },
  }),
  /** A subgraph attribute (Loop's `body`, If's branches): see GraphBuilder.buildGraph. */
  graph: (value: onnx.IGraphProto): AttrValue => ({ kind: 'graph', value }),
};

/** Encodes one attribute for a NodeProto. */
export function encodeAttribute(name: string, v: AttrValue | string): onnx.IAttributeProto {
  if (typeof v === 'string') return { name, type: AT.STRING, s: new TextEncoder().encode(v) };
  switch (v.kind) {
    case 'int':
      return { name, type: AT.INT, i: v.value };
    case 'float':
      return { name, type: AT.FLOAT, f: v.value };
    case 'ints':
      return { name, type: AT.INTS, ints: [...v.value] };
    case 'floats':
      return { name, type: AT.FLOATS, floats: [...v.value] };
    case 'string':
      return { name, type: AT.STRING, s: new TextEncoder().encode(v.value) };
    case 'strings':
      return { name, type: AT.STRINGS, strings: v.value.map((s) => new TextEncoder().encode(s)) };
    case 'tensor':
      return {
        name,
        type: AT.TENSOR,
        t: { dims: [...v.value.dims], dataType: ONNX_DATA_TYPE[v.value.dtype], rawData: rawBytes(v.value.data) },
      };
    case 'graph':
      return { name, type: AT.GRAPH, g: v.value };
  }
}
