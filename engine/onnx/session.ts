import * as ort from 'onnxruntime-node';
import { type DType, type TensorData, dtypeOfArray } from './dtype';

/** Options for {@link createSession}. */
export interface SessionOptions {
  /** Intra-op threads (default 2: the machines this project targets have 2 cores). */
  threads?: number;
  /** onnxruntime graph optimisation level (default 'all': lets ORT fuse MatMul+Transpose, GELU, LayerNorm …). */
  optimization?: 'disabled' | 'basic' | 'extended' | 'all';
  /**
   * Let idle intra-op threads spin between kernels (onnxruntime's default, true). Measured on 2 cores, GPT block
   * train step + JS AdamW: 26 ms spinning vs 30 ms not when the process has the cores to itself, but 88 vs 46 ms
   * when other processes compete — pass false where the engine shares the CPU.
   */
  spinning?: boolean;
}

/** Creates an onnxruntime-node CPU session for model bytes with hone's defaults. */
export function createSession(bytes: Uint8Array, options: SessionOptions = {}): Promise<ort.InferenceSession> {
  return ort.InferenceSession.create(bytes, {
    executionProviders: ['cpu'],
    intraOpNumThreads: options.threads ?? 2,
    interOpNumThreads: 1,
    graphOptimizationLevel: options.optimization ?? 'all',
    // session config entry kOrtSessionOptionsConfigAllowIntraOpSpinning; onnxruntime-node passes `extra` through
    extra: { session: { intra_op: { allow_spinning: options.spinning === false ? '0' : '1' } } },
  });
}

const ORT_TYPE: Record<DType, ort.Tensor.Type> = { float32: 'float32', float64: 'float64', int64: 'int64', bool: 'bool' };

/** Wraps a typed array as an onnxruntime tensor (no copy); a Uint8Array is taken as bool unless `dtype` says otherwise. */
export function toOrt(data: TensorData, dims: readonly number[], dtype: DType = dtypeOfArray(data)): ort.Tensor {
  let n = 1;
  for (const d of dims) n *= d;
  if (n !== data.length) throw new Error(`toOrt: ${data.length} values for dims [${dims.join(',')}]`);
  return new ort.Tensor(ORT_TYPE[dtype], data as never, dims);
}
