import { open, readFile, rename, rm } from 'node:fs/promises';

/**
 * The safetensors format (https://github.com/huggingface/safetensors), read and written in plain TypeScript:
 *
 *   8 bytes  N, little-endian u64: length of the header
 *   N bytes  JSON header {"__metadata__": {str: str}?, name: {"dtype", "shape", "data_offsets": [begin, end]}, …}
 *            padded with spaces so that the data starts 8-byte aligned
 *   …        tensor bytes, little-endian, C order, offsets relative to the end of the header, contiguous
 *
 * The writer follows the reference implementation byte for byte: tensors ordered by dtype (widest first) then by
 * name, compact JSON with "__metadata__" first, space padding to a multiple of 8. Metadata keys are sorted (the
 * reference leaves their order to a hash map), so the same input always gives the same bytes.
 */

/** Element types of the format. F16, BF16 and the F8 types are carried as raw bits (Uint16Array / Uint8Array). */
export type Dtype = 'BOOL' | 'U8' | 'I8' | 'F8_E5M2' | 'F8_E4M3' | 'I16' | 'U16' | 'F16' | 'BF16' | 'I32' | 'U32' | 'F32' | 'F64' | 'I64' | 'U64';

export type TensorData =
  | Float64Array | Float32Array | BigInt64Array | BigUint64Array | Int32Array | Uint32Array | Int16Array | Uint16Array | Int8Array | Uint8Array;

/** One tensor: element type, shape (row-major) and data with exactly prod(shape) elements. */
export interface SafeTensor {
  dtype: Dtype;
  shape: number[];
  data: TensorData;
}

/** Header entry of one tensor. */
export interface SafetensorsTensorInfo {
  dtype: Dtype;
  shape: number[];
  /** [begin, end) in bytes, relative to the first byte after the header. */
  dataOffsets: [number, number];
}

/** The parsed header of a file. */
export interface SafetensorsHeader {
  /** N: header bytes after the 8-byte length, padding included. */
  headerLength: number;
  metadata: Record<string, string>;
  /** By name, in file (offset) order. */
  tensors: Record<string, SafetensorsTensorInfo>;
}

/** A whole file: tensors (copies, safely aligned) and the string metadata. */
export interface SafetensorsContents {
  tensors: Record<string, SafeTensor>;
  metadata: Record<string, string>;
}

interface DtypeSpec {
  size: number;
  /** Position in the reference's Dtype enum ("increasing alignment order"): the writer sorts by it, descending. */
  rank: number;
  make: (buffer: ArrayBuffer, byteOffset: number, length: number) => TensorData;
  matches: (data: TensorData) => boolean;
}

const DTYPES: Record<Dtype, DtypeSpec> = {
  BOOL: { size: 1, rank: 0, make: (b, o, n) => new Uint8Array(b, o, n), matches: (d) => d instanceof Uint8Array },
  U8: { size: 1, rank: 1, make: (b, o, n) => new Uint8Array(b, o, n), matches: (d) => d instanceof Uint8Array },
  I8: { size: 1, rank: 2, make: (b, o, n) => new Int8Array(b, o, n), matches: (d) => d instanceof Int8Array },
  F8_E5M2: { size: 1, rank: 3, make: (b, o, n) => new Uint8Array(b, o, n), matches: (d) => d instanceof Uint8Array },
  F8_E4M3: { size: 1, rank: 4, make: (b, o, n) => new Uint8Array(b, o, n), matches: (d) => d instanceof Uint8Array },
  I16: { size: 2, rank: 5, make: (b, o, n) => new Int16Array(b, o, n), matches: (d) => d instanceof Int16Array },
  U16: { size: 2, rank: 6, make: (b, o, n) => new Uint16Array(b, o, n), matches: (d) => d instanceof Uint16Array },
  F16: { size: 2, rank: 7, make: (b, o, n) => new Uint16Array(b, o, n), matches: (d) => d instanceof Uint16Array },
  BF16: { size: 2, rank: 8, make: (b, o, n) => new Uint16Array(b, o, n), matches: (d) => d instanceof Uint16Array },
  I32: { size: 4, rank: 9, make: (b, o, n) => new Int32Array(b, o, n), matches: (d) => d instanceof Int32Array },
  U32: { size: 4, rank: 10, make: (b, o, n) => new Uint32Array(b, o, n), matches: (d) => d instanceof Uint32Array },
  F32: { size: 4, rank: 11, make: (b, o, n) => new Float32Array(b, o, n), matches: (d) => d instanceof Float32Array },
  F64: { size: 8, rank: 12, make: (b, o, n) => new Float64Array(b, o, n), matches: (d) => d instanceof Float64Array },
  I64: { size: 8, rank: 13, make: (b, o, n) => new BigInt64Array(b, o, n), matches: (d) => d instanceof BigInt64Array },
  U64: { size: 8, rank: 14, make: (b, o, n) => new BigUint64Array(b, o, n), matches: (d) => d instanceof BigUint64Array },
};

/** The reference rejects headers above 100 MB; so do we. */
export const MAX_HEADER_BYTES = 100_000_000;
const METADATA_KEY = '__metadata__';

// Typed arrays use the machine's byte order and the format is little-endian: refuse to run where they differ.
if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) {
  throw new Error('safetensors: this module needs a little-endian machine');
}

/** The natural dtype of a typed array (Uint16Array → F16 is a guess: say BF16/U16 explicitly when meant). */
export function dtypeOf(data: TensorData): Dtype {
  if (data instanceof Float64Array) return 'F64';
  if (data instanceof Float32Array) return 'F32';
  if (data instanceof BigInt64Array) return 'I64';
  if (data instanceof BigUint64Array) return 'U64';
  if (data instanceof Int32Array) return 'I32';
  if (data instanceof Uint32Array) return 'U32';
  if (data instanceof Int16Array) return 'I16';
  if (data instanceof Uint16Array) return 'F16';
  if (data instanceof Int8Array) return 'I8';
  if (data instanceof Uint8Array) return 'U8';
  throw new TypeError('safetensors: unsupported data array');
}

/** Shorthand for a tensor from a typed array (dtype from the array unless given). */
export function tensor(data: TensorData, shape: number[], dtype: Dtype = dtypeOf(data)): SafeTensor {
  return { dtype, shape, data };
}

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

interface Prepared {
  header: Uint8Array;
  order: { name: string; bytes: Uint8Array }[];
}

function prepare(tensors: Record<string, SafeTensor> | ReadonlyMap<string, SafeTensor>, metadata: Record<string, string> = {}): Prepared {
  const entries: [string, SafeTensor][] = isMap(tensors) ? [...tensors.entries()] : Object.entries(tensors);
  const utf8 = new TextEncoder();
  for (const [name, t] of entries) {
    if (name === METADATA_KEY) throw new Error(`safetensors: a tensor cannot be named ${METADATA_KEY}`);
    if (LONE_SURROGATE.test(name)) throw new Error(`safetensors: tensor name ${JSON.stringify(name)} is not valid UTF-8 text`);
    const spec = DTYPES[t.dtype];
    if (!spec) throw new Error(`safetensors: tensor ${JSON.stringify(name)} has unknown dtype ${JSON.stringify(t.dtype)}`);
    if (!spec.matches(t.data)) throw new TypeError(`safetensors: tensor ${JSON.stringify(name)} is ${t.dtype} but its data is a ${t.data.constructor.name}`);
    if (!Array.isArray(t.shape) || !t.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      throw new Error(`safetensors: tensor ${JSON.stringify(name)} has invalid shape ${JSON.stringify(t.shape)}`);
    }
    const count = t.shape.reduce((a, b) => a * b, 1);
    if (count !== t.data.length) throw new Error(`safetensors: tensor ${JSON.stringify(name)} has shape [${t.shape}] (${count} elements) but ${t.data.length} values`);
  }
  for (const [k, v] of Object.entries(metadata)) {
    if (typeof v !== 'string') throw new TypeError(`safetensors: metadata ${JSON.stringify(k)} must be a string, got ${typeof v}`);
    if (LONE_SURROGATE.test(k) || LONE_SURROGATE.test(v)) throw new Error(`safetensors: metadata ${JSON.stringify(k)} is not valid UTF-8 text`);
  }
  // Reference order: dtype descending (widest alignment first, so every tensor stays aligned), then name by bytes.
  const byteName = new Map(entries.map(([name]) => [name, Buffer.from(utf8.encode(name))]));
  entries.sort(([a, ta], [b, tb]) => DTYPES[tb.dtype].rank - DTYPES[ta.dtype].rank || Buffer.compare(byteName.get(a) as Buffer, byteName.get(b) as Buffer));

  let json = '{';
  const metaKeys = Object.keys(metadata).sort();
  if (metaKeys.length > 0) {
    json += `${JSON.stringify(METADATA_KEY)}:{${metaKeys.map((k) => `${JSON.stringify(k)}:${JSON.stringify(metadata[k])}`).join(',')}}`;
  }
  let offset = 0;
  const order: Prepared['order'] = [];
  entries.forEach(([name, t], i) => {
    const bytes = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
    if (i > 0 || metaKeys.length > 0) json += ',';
    json += `${JSON.stringify(name)}:{"dtype":${JSON.stringify(t.dtype)},"shape":[${t.shape.join(',')}],"data_offsets":[${offset},${offset + bytes.length}]}`;
    offset += bytes.length;
    order.push({ name, bytes });
  });
  json += '}';
  const body = utf8.encode(json);
  const padded = Math.ceil(body.length / 8) * 8;
  const header = new Uint8Array(8 + padded).fill(0x20, 8);
  new DataView(header.buffer).setBigUint64(0, BigInt(padded), true);
  header.set(body, 8);
  return { header, order };
}

function isMap(x: Record<string, SafeTensor> | ReadonlyMap<string, SafeTensor>): x is ReadonlyMap<string, SafeTensor> {
  return x instanceof Map;
}

/** The bytes of a safetensors file holding `tensors` and string `metadata`. */
export function serializeSafetensors(tensors: Record<string, SafeTensor> | ReadonlyMap<string, SafeTensor>, metadata?: Record<string, string>): Uint8Array {
  const { header, order } = prepare(tensors, metadata);
  const out = new Uint8Array(header.length + order.reduce((s, t) => s + t.bytes.length, 0));
  out.set(header, 0);
  let at = header.length;
  for (const t of order) {
    out.set(t.bytes, at);
    at += t.bytes.length;
  }
  return out;
}

/** Parses and validates the header of safetensors `bytes` (the whole file, or at least 8 + N bytes of it). */
export function parseSafetensorsHeader(bytes: Uint8Array, fileLength = bytes.length): SafetensorsHeader {
  const fail = (what: string): never => {
    throw new Error(`safetensors: ${what}`);
  };
  if (bytes.length < 8) fail(`file of ${bytes.length} bytes is too small for the 8-byte header length`);
  const n64 = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
  if (n64 > BigInt(MAX_HEADER_BYTES)) fail(`header length ${n64} exceeds ${MAX_HEADER_BYTES} bytes`);
  const n = Number(n64);
  if (8 + n > fileLength || 8 + n > bytes.length) fail(`header length ${n} runs past the end of the ${fileLength}-byte file`);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + n));
  } catch {
    return fail('header is not valid UTF-8');
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    return fail(`header is not valid JSON (${(e as Error).message})`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return fail('header must be a JSON object');

  const metadata: Record<string, string> = {};
  const infos: [string, SafetensorsTensorInfo][] = [];
  for (const [name, value] of Object.entries(parsed as Record<string, unknown>)) {
    if (name === METADATA_KEY) {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(`${METADATA_KEY} must be an object of strings`);
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
        if (typeof v !== 'string') fail(`${METADATA_KEY}.${k} must be a string, got ${JSON.stringify(v)}`);
        metadata[k] = v as string;
      }
      continue;
    }
    const info = value as { dtype?: unknown; shape?: unknown; data_offsets?: unknown } | null;
    if (typeof info !== 'object' || info === null) fail(`tensor ${JSON.stringify(name)}: entry must be an object`);
    const dtype = info!.dtype as Dtype;
    if (typeof dtype !== 'string' || !(dtype in DTYPES)) fail(`tensor ${JSON.stringify(name)}: unknown dtype ${JSON.stringify(info!.dtype)}`);
    const shape = info!.shape;
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) fail(`tensor ${JSON.stringify(name)}: invalid shape ${JSON.stringify(shape)}`);
    const off = info!.data_offsets;
    if (!Array.isArray(off) || off.length !== 2 || !off.every((x) => Number.isSafeInteger(x) && x >= 0)) {
      fail(`tensor ${JSON.stringify(name)}: invalid data_offsets ${JSON.stringify(off)}`);
    }
    infos.push([name, { dtype, shape: shape as number[], dataOffsets: [(off as number[])[0], (off as number[])[1]] }]);
  }
  // Older writers ordered entries by name; the data must still tile the buffer in offset order.
  infos.sort(([, a], [, b]) => a.dataOffsets[0] - b.dataOffsets[0] || a.dataOffsets[1] - b.dataOffsets[1]);
  let expected = 0;
  const tensors: Record<string, SafetensorsTensorInfo> = {};
  for (const [name, info] of infos) {
    const [begin, end] = info.dataOffsets;
    if (begin !== expected || end < begin) fail(`tensor ${JSON.stringify(name)}: data_offsets [${begin}, ${end}] do not continue from ${expected}`);
    const count = info.shape.reduce((a, b) => a * b, 1);
    const nbytes = count * DTYPES[info.dtype].size;
    if (!Number.isSafeInteger(nbytes)) fail(`tensor ${JSON.stringify(name)}: shape [${info.shape}] overflows`);
    if (end - begin !== nbytes) fail(`tensor ${JSON.stringify(name)}: ${info.dtype}[${info.shape}] needs ${nbytes} bytes, data_offsets give ${end - begin}`);
    expected = end;
    tensors[name] = info;
  }
  if (8 + n + expected !== fileLength) fail(`tensor data ends at byte ${8 + n + expected} but the file has ${fileLength} bytes`);
  return { headerLength: n, metadata, tensors };
}

/** Parses a whole safetensors file. Tensor data are copied into fresh (aligned) typed arrays. */
export function parseSafetensors(bytes: Uint8Array): SafetensorsContents {
  const header = parseSafetensorsHeader(bytes);
  const start = bytes.byteOffset + 8 + header.headerLength;
  const tensors: Record<string, SafeTensor> = {};
  for (const [name, info] of Object.entries(header.tensors)) {
    const [begin, end] = info.dataOffsets;
    const copy = bytes.buffer.slice(start + begin, start + end) as ArrayBuffer;
    tensors[name] = { dtype: info.dtype, shape: [...info.shape], data: DTYPES[info.dtype].make(copy, 0, (end - begin) / DTYPES[info.dtype].size) };
  }
  return { tensors, metadata: header.metadata };
}

let tempCounter = 0;

/**
 * Writes a safetensors file without building it in memory, atomically: a temporary file in the same folder is
 * renamed over `path`, so readers never see half a checkpoint.
 */
export async function writeSafetensorsFile(path: string, tensors: Record<string, SafeTensor> | ReadonlyMap<string, SafeTensor>, metadata?: Record<string, string>): Promise<void> {
  const { header, order } = prepare(tensors, metadata);
  const temp = `${path}.tmp-${process.pid}-${tempCounter++}`;
  const handle = await open(temp, 'w');
  try {
    await handle.write(header);
    for (const t of order) if (t.bytes.length > 0) await handle.write(t.bytes);
    await handle.sync();
  } catch (e) {
    await handle.close();
    await rm(temp, { force: true });
    throw e;
  }
  await handle.close();
  await rename(temp, path);
}

/** Reads a whole safetensors file. */
export async function readSafetensorsFile(path: string): Promise<SafetensorsContents> {
  const bytes = await readFile(path);
  try {
    return parseSafetensors(bytes);
  } catch (e) {
    throw new Error(`${path}: ${(e as Error).message}`);
  }
}

/** Reads only the header of a safetensors file (names, dtypes, shapes, metadata) without loading the data. */
export async function readSafetensorsFileHeader(path: string): Promise<SafetensorsHeader> {
  const handle = await open(path, 'r');
  try {
    const { size } = await handle.stat();
    const first = Buffer.alloc(8);
    await handle.read(first, 0, Math.min(8, size), 0);
    const n = size >= 8 ? first.readBigUInt64LE(0) : 0n;
    const want = n <= BigInt(MAX_HEADER_BYTES) ? Math.min(size, 8 + Number(n)) : 8;
    const head = Buffer.alloc(want);
    await handle.read(head, 0, want, 0);
    return parseSafetensorsHeader(head, size);
  } catch (e) {
    throw new Error(`${path}: ${(e as Error).message}`);
  } finally {
    await handle.close();
  }
}
