import type * as ort from 'onnxruntime-node';
import type { ParamInfo } from '../autodiff/graph';
import { toOrt } from '../onnx/session';
import type { Weights } from './init';

/**
 * onnxruntime feeds for a graph's params from named weights (no copies: the tensors view the Float32Arrays, so a
 * weight updated in place by the optimizer is seen by the next run). Throws naming the first missing or
 * mis-sized weight.
 */
export function paramFeeds(params: readonly Pick<ParamInfo, 'name' | 'shape'>[], weights: Readonly<Weights>, into: Record<string, ort.Tensor> = {}): Record<string, ort.Tensor> {
  for (const p of params) {
    const w = weights[p.name];
    if (!w) throw new Error(`paramFeeds: no weight named ${p.name}`);
    const n = p.shape.reduce((a, b) => a * b, 1);
    if (w.length !== n) throw new Error(`paramFeeds: weight ${p.name} has ${w.length} values, [${p.shape.join(',')}] needs ${n}`);
    into[p.name] = toOrt(w, p.shape);
  }
  return into;
}
