import { type SafeTensor, parseSafetensors, serializeSafetensors } from '../checkpoint/safetensors';
import type { HfTokenizerJson } from '../tokenizer/hf-json';
import { Tokenizer } from '../tokenizer/tokenizer';
import { type ModelConfig, validateModelConfig } from './config';
import type { Weights } from './init';
import { headsOf, paramShapes } from './param-names';

/** A whole model as one artifact: size, tokenizer and weights (policy, reward model or value model). */
export interface ModelBundle {
  config: ModelConfig;
  /** A Hugging Face tokenizer.json object (`Tokenizer.toJSON()`); `Tokenizer.fromJSON` reads it back. */
  tokenizer: HfTokenizerJson;
  /** Unprefixed weights: the trunk plus whichever heads the model has (value_head.*, reward_head.*). */
  weights: Weights;
  /** Free-form provenance (trainer, step, task, …); strings only. */
  meta?: Record<string, string>;
}

/** Format tag stored in `__metadata__.format`. */
export const MODEL_FORMAT = 'hone.model.v1';

/**
 * Checks that `weights` are exactly the tensors of `config` with the heads their names show (no missing, extra or
 * mis-sized tensor); the message names the first problem.
 */
export function validateWeights(config: ModelConfig, weights: Readonly<Weights>, where = 'model'): void {
  const expected = paramShapes(config, headsOf(weights));
  const names = new Set(Object.keys(weights));
  for (const { name, shape } of expected) {
    const w = weights[name];
    const n = shape.reduce((a, b) => a * b, 1);
    if (!w) throw new Error(`${where}: missing weight ${name} [${shape.join(',')}]`);
    if (!(w instanceof Float32Array)) throw new Error(`${where}: weight ${name} must be a Float32Array`);
    if (w.length !== n) throw new Error(`${where}: weight ${name} has ${w.length} values, [${shape.join(',')}] needs ${n}`);
    names.delete(name);
  }
  if (names.size > 0) throw new Error(`${where}: unexpected weights ${[...names].slice(0, 5).join(', ')} for ${JSON.stringify(config)}`);
}

/**
 * One safetensors file: the weights as F32 tensors, and config, tokenizer JSON and meta in `__metadata__`
 * (keys format, config, tokenizer, meta), so a model artifact is a single object that other safetensors readers
 * also open.
 */
export function serializeModel(bundle: ModelBundle): Uint8Array {
  const config = validateModelConfig(bundle.config, 'serializeModel config');
  validateWeights(config, bundle.weights, 'serializeModel');
  const shapes = new Map(paramShapes(config, headsOf(bundle.weights)).map((p) => [p.name, p.shape]));
  const tensors: Record<string, SafeTensor> = {};
  for (const [name, data] of Object.entries(bundle.weights)) tensors[name] = { dtype: 'F32', shape: shapes.get(name) as number[], data };
  return serializeSafetensors(tensors, {
    format: MODEL_FORMAT,
    config: JSON.stringify(config),
    tokenizer: JSON.stringify(bundle.tokenizer),
    meta: JSON.stringify(bundle.meta ?? {}),
  });
}

/** Reads {@link serializeModel}'s bytes back, validating format, config, tokenizer and weights. */
export function deserializeModel(bytes: Uint8Array): ModelBundle {
  const { tensors, metadata } = parseSafetensors(bytes);
  if (metadata.format !== MODEL_FORMAT) {
    throw new Error(`deserializeModel: __metadata__.format is ${JSON.stringify(metadata.format)}, expected ${MODEL_FORMAT} (is this a hone model file?)`);
  }
  const parse = (key: string): unknown => {
    if (metadata[key] === undefined) throw new Error(`deserializeModel: __metadata__ lacks ${key}`);
    try {
      return JSON.parse(metadata[key]);
    } catch (e) {
      throw new Error(`deserializeModel: __metadata__.${key} is not JSON (${(e as Error).message})`);
    }
  };
  const config = validateModelConfig(parse('config'), 'deserializeModel config');
  const tokenizer = parse('tokenizer') as HfTokenizerJson;
  try {
    Tokenizer.fromJSON(tokenizer);
  } catch (e) {
    throw new Error(`deserializeModel: bad tokenizer (${(e as Error).message})`);
  }
  const meta = parse('meta') as Record<string, string>;
  const weights: Weights = {};
  for (const [name, t] of Object.entries(tensors)) {
    if (t.dtype !== 'F32') throw new Error(`deserializeModel: tensor ${name} is ${t.dtype}, expected F32`);
    weights[name] = t.data as Float32Array;
  }
  validateWeights(config, weights, 'deserializeModel');
  return { config, tokenizer, weights, meta };
}
