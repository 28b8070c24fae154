import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Rng } from '../util/rng';
import {
  parseSafetensors, parseSafetensorsHeader, readSafetensorsFile, readSafetensorsFileHeader, serializeSafetensors, tensor,
  writeSafetensorsFile, type SafeTensor,
} from './safetensors';

const f32 = (values: number[], shape: number[]): SafeTensor => tensor(Float32Array.from(values), shape);

function sample(): Record<string, SafeTensor> {
  const rng = Rng.fromSeed(1);
  return {
    'wte.weight': tensor(Float32Array.from({ length: 12 }, () => rng.normal()), [3, 4]),
    'ln.bias': tensor(Float32Array.from([0, -0, NaN, Infinity, -Infinity, 1e-45, 3.4e38]), [7]),
    'adam.v': tensor(Float64Array.from([Math.PI, -Number.MAX_VALUE, Number.MIN_VALUE, NaN]), [2, 2]),
    step: tensor(BigInt64Array.from([9007199254740993n, -(2n ** 63n), 2n ** 63n - 1n]), [3]),
    'input_ids': tensor(Int32Array.from([0, -1, 2147483647, -2147483648, 5, 6]), [2, 1, 3]),
    scalar: tensor(Float32Array.from([42]), []),
    empty: tensor(new Float32Array(0), [0, 5]),
    mask: tensor(Uint8Array.from([1, 0, 1]), [3], 'BOOL'),
    half: tensor(Uint16Array.from([0x3c00, 0xc000]), [2], 'F16'),
  };
}

describe('safetensors', () => {
  it('writes the reference implementation\'s bytes (its own test vectors)', () => {
    // safetensors/src/tensor.rs test_serialization: "attn.0", F32 [1,2,3], values 0..5.
    const out = serializeSafetensors({ 'attn.0': f32([0, 1, 2, 3, 4, 5], [1, 2, 3]) });
    const header = '{"attn.0":{"dtype":"F32","shape":[1,2,3],"data_offsets":[0,24]}}';
    expect(Buffer.from(out.subarray(0, 8)).readBigUInt64LE(0)).toBe(64n);
    expect(Buffer.from(out.subarray(8, 72)).toString()).toBe(header);
    expect([...out.subarray(72)]).toEqual([0, 0, 0, 0, 0, 0, 128, 63, 0, 0, 0, 64, 0, 0, 64, 64, 0, 0, 128, 64, 0, 0, 160, 64]);
    // test_serialization_forced_alignement: a shorter name leaves 7 spaces of padding.
    const aligned = serializeSafetensors({ attn0: f32([0, 1, 2, 3, 4, 5], [1, 1, 2, 3]) });
    expect(Buffer.from(aligned.subarray(0, 8)).readBigUInt64LE(0)).toBe(72n);
    expect(Buffer.from(aligned.subarray(8, 80)).toString()).toBe('{"attn0":{"dtype":"F32","shape":[1,1,2,3],"data_offsets":[0,24]}}       ');
    // test_empty, without and with metadata.
    expect([...serializeSafetensors({})]).toEqual([8, 0, 0, 0, 0, 0, 0, 0, 123, 125, 32, 32, 32, 32, 32, 32]);
    expect(Buffer.from(serializeSafetensors({}, { framework: 'pt' })).subarray(8).toString()).toBe('{"__metadata__":{"framework":"pt"}}     ');
  });

  it('lays the file out as the spec says (header parsed by hand)', () => {
    const bytes = serializeSafetensors(sample(), { format: 'hone', step: '3' });
    const n = Number(Buffer.from(bytes).readBigUInt64LE(0));
    expect((8 + n) % 8).toBe(0);
    const text = Buffer.from(bytes.subarray(8, 8 + n)).toString('utf8');
    expect(text.trimEnd().length).toBeGreaterThan(n - 8);
    expect(/^ *$/.test(text.slice(text.trimEnd().length))).toBe(true);
    const header = JSON.parse(text);
    expect(Object.keys(header)[0]).toBe('__metadata__');
    expect(header.__metadata__).toEqual({ format: 'hone', step: '3' });
    // Order: widest dtype first (I64, F64, F32, I32, F16, BOOL), then by name.
    expect(Object.keys(header).slice(1)).toEqual(['step', 'adam.v', 'empty', 'ln.bias', 'scalar', 'wte.weight', 'input_ids', 'half', 'mask']);
    let expected = 0;
    for (const name of Object.keys(header).slice(1)) {
      const [begin, end] = header[name].data_offsets;
      expect(begin).toBe(expected);
      expected = end;
    }
    expect(8 + n + expected).toBe(bytes.length);
    const w = header['wte.weight'];
    expect(w).toEqual({ dtype: 'F32', shape: [3, 4], data_offsets: [w.data_offsets[0], w.data_offsets[0] + 48] });
    const view = new DataView(bytes.buffer, bytes.byteOffset + 8 + n + w.data_offsets[0]);
    const values = sample()['wte.weight'].data as Float32Array;
    for (let i = 0; i < 12; i++) expect(view.getFloat32(4 * i, true)).toBe(values[i]);
    const step = header.step;
    expect(new DataView(bytes.buffer, bytes.byteOffset + 8 + n + step.data_offsets[0]).getBigInt64(0, true)).toBe(9007199254740993n);
  });

  it('round-trips every dtype bit for bit, with metadata', () => {
    const input = sample();
    const { tensors, metadata } = parseSafetensors(serializeSafetensors(input, { a: 'ü', b: '' }));
    expect(metadata).toEqual({ a: 'ü', b: '' });
    expect(Object.keys(tensors).sort()).toEqual(Object.keys(input).sort());
    for (const [name, t] of Object.entries(input)) {
      expect(tensors[name].dtype).toBe(t.dtype);
      expect(tensors[name].shape).toEqual(t.shape);
      expect(tensors[name].data.constructor).toBe(t.data.constructor);
      expect(Buffer.from(tensors[name].data.buffer, tensors[name].data.byteOffset, tensors[name].data.byteLength)).toEqual(
        Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength),
      );
    }
  });

  it('writes the same bytes whatever the insertion order of tensors and metadata', () => {
    const a = sample();
    const b = Object.fromEntries(Object.entries(a).reverse());
    expect(serializeSafetensors(a, { x: '1', y: '2' })).toEqual(serializeSafetensors(b, { y: '2', x: '1' }));
    expect(serializeSafetensors(new Map(Object.entries(b)))).toEqual(serializeSafetensors(a));
  });

  it('writes files atomically and reads them and their header back', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hone-st-'));
    try {
      const path = join(dir, 'model.safetensors');
      await writeSafetensorsFile(path, sample(), { step: '7' });
      expect(readFileSync(path)).toEqual(Buffer.from(serializeSafetensors(sample(), { step: '7' })));
      const back = await readSafetensorsFile(path);
      expect(back.metadata).toEqual({ step: '7' });
      expect(Array.from(back.tensors['input_ids'].data as Int32Array)).toEqual([0, -1, 2147483647, -2147483648, 5, 6]);
      const header = await readSafetensorsFileHeader(path);
      expect(header.tensors['wte.weight']).toMatchObject({ dtype: 'F32', shape: [3, 4] });
      writeFileSync(path, Buffer.from(serializeSafetensors(sample())).subarray(0, 100));
      await expect(readSafetensorsFile(path)).rejects.toThrow(/model\.safetensors: safetensors: header length/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('rejects malformed input with messages that name the problem', () => {
    const good = serializeSafetensors({ w: f32([1, 2], [2]) });
    expect(() => parseSafetensors(good.subarray(0, 5))).toThrow(/too small/);
    expect(() => parseSafetensors(good.subarray(0, good.length - 1))).toThrow(/ends at byte/);
    const huge = new Uint8Array(16);
    new DataView(huge.buffer).setBigUint64(0, 200_000_000n, true);
    expect(() => parseSafetensors(huge)).toThrow(/exceeds/);
    const make = (header: string, dataBytes: number): Uint8Array => {
      const h = Buffer.from(header);
      const out = Buffer.alloc(8 + h.length + dataBytes);
      out.writeBigUInt64LE(BigInt(h.length), 0);
      h.copy(out, 8);
      return out;
    };
    expect(() => parseSafetensors(make('{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,12]}}', 12))).toThrow(/needs 8 bytes/);
    expect(() => parseSafetensors(make('{"w":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}', 8))).toThrow(/do not continue from 0/);
    expect(() => parseSafetensors(make('{"w":{"dtype":"Q4","shape":[1],"data_offsets":[0,1]}}', 1))).toThrow(/unknown dtype "Q4"/);
    expect(() => parseSafetensors(make('{"__metadata__":{"a":1}}', 0))).toThrow(/__metadata__\.a must be a string/);
    expect(() => parseSafetensors(make('not json', 0))).toThrow(/not valid JSON/);
    // Entries in name order rather than offset order are fine (older writers did that).
    const reordered = make('{"a":{"dtype":"U8","shape":[1],"data_offsets":[1,2]},"b":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}', 2);
    expect(Object.keys(parseSafetensorsHeader(reordered).tensors)).toEqual(['b', 'a']);
  });

  it('refuses to write inconsistent tensors, naming them', () => {
    expect(() => serializeSafetensors({ w: f32([1, 2, 3], [2]) })).toThrow(/"w" has shape \[2\] \(2 elements\) but 3 values/);
    expect(() => serializeSafetensors({ w: tensor(Float32Array.from([1]), [1], 'F64') })).toThrow(/"w" is F64 but its data is a Float32Array/);
    expect(() => serializeSafetensors({ __metadata__: f32([1], [1]) })).toThrow(/__metadata__/);
    expect(() => serializeSafetensors({ w: f32([1], [-1]) })).toThrow(/invalid shape/);
  });
});

// Cross-check with the reference implementation through Python when `safetensors` and `numpy` are installed
// (pip install safetensors numpy). Skipped, with a message, where they are not.
const python = spawnSync('python3', ['-c', 'import safetensors, numpy'], { encoding: 'utf8' });
const havePython = python.status === 0;
if (!havePython) {
  console.warn('safetensors: skipping the Python cross-check: python3 with `safetensors` and `numpy` is not available (pip install safetensors numpy)');
}

(havePython ? describe : describe.skip)('safetensors against Python safetensors', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'hone-st-py-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const tensors = (): Record<string, SafeTensor> => {
    const s = sample();
    delete s.mask; // numpy has bool, but keep the comparison to numeric dtypes
    return s;
  };

  it('Python reads our file and writes byte-identical bytes for the same tensors', () => {
    const ours = join(dir, 'ours.safetensors');
    const theirs = join(dir, 'theirs.safetensors');
    writeFileSync(ours, serializeSafetensors(tensors(), { format: 'np' }));
    const script = `
import json, sys, numpy as np
from safetensors.numpy import load_file, save_file
from safetensors import safe_open
t = load_file(sys.argv[1])
with safe_open(sys.argv[1], framework="np") as f:
    meta = f.metadata()
save_file(t, sys.argv[2], metadata=meta)
out = {k: {"dtype": str(v.dtype), "shape": list(v.shape), "values": [repr(x) for x in v.reshape(-1).tolist()]} for k, v in t.items()}
print(json.dumps({"meta": meta, "tensors": out}))
`;
    const result = JSON.parse(execFileSync('python3', ['-c', script, ours, theirs], { encoding: 'utf8' }));
    expect(result.meta).toEqual({ format: 'np' });
    expect(result.tensors['wte.weight'].shape).toEqual([3, 4]);
    expect(result.tensors.step.values).toEqual(['9007199254740993', '-9223372036854775808', '9223372036854775807']);
    expect(result.tensors['ln.bias'].values.slice(0, 5)).toEqual(['0.0', '-0.0', 'nan', 'inf', '-inf']);
    expect(result.tensors.scalar.shape).toEqual([]);
    expect(result.tensors.empty.shape).toEqual([0, 5]);
    // One metadata key, so the reference's hash-map order cannot differ: the files must be identical.
    expect(readFileSync(theirs)).toEqual(readFileSync(ours));
  });

  it('we read what Python writes', async () => {
    const path = join(dir, 'py.safetensors');
    execFileSync('python3', ['-c', `
import sys, numpy as np
from safetensors.numpy import save_file
save_file({"b": np.arange(6, dtype=np.float32).reshape(2, 3), "a": np.array([-1, 2**40], dtype=np.int64), "c": np.array([1.5], dtype=np.float64), "d": np.array([7, -7], dtype=np.int32)}, sys.argv[1], metadata={"who": "python"})
`, path]);
    const { tensors, metadata } = await readSafetensorsFile(path);
    expect(metadata).toEqual({ who: 'python' });
    expect(Array.from(tensors.b.data as Float32Array)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(tensors.b.shape).toEqual([2, 3]);
    expect(Array.from(tensors.a.data as BigInt64Array)).toEqual([-1n, 2n ** 40n]);
    expect(Array.from(tensors.c.data as Float64Array)).toEqual([1.5]);
    expect(Array.from(tensors.d.data as Int32Array)).toEqual([7, -7]);
  });
});
