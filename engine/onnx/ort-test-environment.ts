/**
 * Jest environment for tests that run onnxruntime-node.
 *
 * Jest runs each test file in its own V8 context, whose typed-array constructors differ from the main context's.
 * onnxruntime-node creates output arrays in the main context and onnxruntime-common then rejects them
 * ("A float64 tensor's data must be type of function Float64Array()"), which surfaces as a failed or hung test.
 * Sharing the main context's constructors with the test context fixes that. Use it with the docblock
 * `@jest-environment ./engine/onnx/ort-test-environment.ts` (or as `testEnvironment` in jest.config.js).
 */
import { TestEnvironment } from 'jest-environment-node';

const SHARED = [
  'ArrayBuffer',
  'SharedArrayBuffer',
  'DataView',
  'Int8Array',
  'Uint8Array',
  'Uint8ClampedArray',
  'Int16Array',
  'Uint16Array',
  'Int32Array',
  'Uint32Array',
  'Float32Array',
  'Float64Array',
  'BigInt64Array',
  'BigUint64Array',
] as const;

export default class OrtTestEnvironment extends TestEnvironment {
  constructor(...args: ConstructorParameters<typeof TestEnvironment>) {
    super(...args);
    const target = this.global as unknown as Record<string, unknown>;
    const host = globalThis as unknown as Record<string, unknown>;
    for (const name of SHARED) target[name] = host[name];
  }
}
