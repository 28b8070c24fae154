/**
 * Element types the graph builder supports, and their ONNX / typed-array counterparts.
 *
 * float64 exists so that gradient checks can run the very same graphs in double precision on onnxruntime
 * (almost every CPU kernel has a double implementation); models train in float32.
 */
export type DType = 'float32' | 'float64' | 'int64' | 'bool';
/** The floating element types: the only ones that carry gradients. */
export type FloatDType = 'float32' | 'float64';

/** onnx.TensorProto.DataType values. */
export const ONNX_DATA_TYPE: Readonly<Record<DType, number>> = { float32: 1, float64: 11, int64: 7, bool: 9 };

/** The typed array that holds a tensor of each element type (bool as one byte per element). */
export type TypedArrayOf<D extends DType> = D extends 'float32'
  ? Float32Array
  : D extends 'float64'
    ? Float64Array
    : D extends 'int64'
      ? BigInt64Array
      : Uint8Array;

/** Any tensor payload this package reads or writes. */
export type TensorData = Float32Array | Float64Array | BigInt64Array | Uint8Array;

/** True for float32 and float64. */
export function isFloat(dtype: DType): dtype is FloatDType {
  return dtype === 'float32' || dtype === 'float64';
}

/** The element type a typed array naturally holds (Uint8Array is read as bool). */
export function dtypeOfArray(data: TensorData): DType {
  if (data instanceof Float32Array) return 'float32';
  if (data instanceof Float64Array) return 'float64';
  if (data instanceof BigInt64Array) return 'int64';
  return 'bool';
}

/**
 * Converts numbers (or another typed array) into the typed array for `dtype`.
 * Integers for int64 must be safe integers; booleans accept 0/1.
 */
export function toTypedArray(values: ArrayLike<number> | TensorData, dtype: DType): TensorData {
  switch (dtype) {
    case 'float32':
      return values instanceof Float32Array ? values : Float32Array.from(values as ArrayLike<number>, Number);
    case 'float64':
      return values instanceof Float64Array ? values : Float64Array.from(values as ArrayLike<number>, Number);
    case 'int64': {
      if (values instanceof BigInt64Array) return values;
      const out = new BigInt64Array(values.length);
      for (let i = 0; i < values.length; i++) {
        const v = Number(values[i]);
        if (!Number.isSafeInteger(v)) throw new Error(`int64 value ${String(values[i])} at index ${i} is not a safe integer`);
        out[i] = BigInt(v);
      }
      return out;
    }
    case 'bool': {
      const out = new Uint8Array(values.length);
      for (let i = 0; i < values.length; i++) out[i] = Number(values[i]) ? 1 : 0;
      return out;
    }
  }
}

/** Little-endian bytes of a typed array, as ONNX `raw_data` wants them (a copy, so later edits do not leak in). */
export function rawBytes(data: TensorData): Uint8Array {
  return new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength));
}
