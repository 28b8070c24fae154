import type { ModelConfig } from '../models/config';
import { validateModelConfig } from '../models/config';
import type { Weights } from '../models/init';
import type { AdamWState, AdamWStateMeta } from '../optim/adamw';
import type { HfTokenizerJson } from '../tokenizer/hf-json';
import type { RngState } from '../util/rng';
import { type SafeTensor, parseSafetensors, serializeSafetensors } from './safetensors';

/** Format tag stored in `__metadata__.format`. */
export const TRAINER_STATE_FORMAT = 'hone.trainer.v1';

/** JSON-able values kept in a checkpoint's metadata. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/**
 * Everything a trainer needs to continue a run bit-identically: weights, optimizer moments, step, random
 * streams, the data-order position and the options the run was started with. Trainers (SFT, reward model,
 * PPO, DPO) fill it the same way; `trainer` says which one.
 */
export interface TrainerState {
  format: typeof TRAINER_STATE_FORMAT;
  /** Which trainer wrote it ('sft', 'reward', 'ppo', …); a trainer refuses another's state. */
  trainer: string;
  /** Optimizer updates taken. */
  step: number;
  config: ModelConfig;
  tokenizer?: HfTokenizerJson;
  /** Model tensors by name (trainable and frozen; a trainer may prefix names, e.g. 'value.' or 'ref.'). */
  weights: Weights;
  /** Optimizer states by name (e.g. { policy, value }). */
  optimizers: Record<string, AdamWState>;
  /** Random streams by name. */
  rng: Record<string, RngState>;
  /** Data-order position and other JSON progress (e.g. { epoch, position }). */
  data: Record<string, JsonValue>;
  /** The options that shape the run's numbers (resume refuses different ones). */
  options: Record<string, JsonValue>;
  /** Other float tensors a trainer keeps (e.g. running statistics). */
  tensors?: Record<string, Float32Array>;
}

const W = 'weights/';
const O = 'optim/';
const T = 'tensors/';

/**
 * One safetensors file: tensors `weights/<name>`, `optim/<optimizer>/m|v/<param>`, `tensors/<name>` (F32), and in
 * `__metadata__` the JSON of everything else (format, trainer, step, config, tokenizer, optimizer metas, rng,
 * data, options). Shapes of weights are stored flat ([n]); the config defines them.
 */
export function serializeTrainerState(state: TrainerState): Uint8Array {
  if (state.format !== TRAINER_STATE_FORMAT) throw new Error(`serializeTrainerState: format must be ${TRAINER_STATE_FORMAT}, got ${String(state.format)}`);
  if (!Number.isInteger(state.step) || state.step < 0) throw new Error(`serializeTrainerState: bad step ${state.step}`);
  const tensors: Record<string, SafeTensor> = {};
  const put = (name: string, data: Float32Array): void => {
    if (!(data instanceof Float32Array)) throw new Error(`serializeTrainerState: ${name} must be a Float32Array`);
    tensors[name] = { dtype: 'F32', shape: [data.length], data };
  };
  for (const [name, data] of Object.entries(state.weights)) put(W + name, data);
  const optimizerMeta: Record<string, AdamWStateMeta> = {};
  for (const [opt, s] of Object.entries(state.optimizers)) {
    if (opt.includes('/')) throw new Error(`serializeTrainerState: optimizer name ${JSON.stringify(opt)} must not contain '/'`);
    optimizerMeta[opt] = s.meta;
    for (const [name, data] of Object.entries(s.tensors)) put(`${O}${opt}/${name}`, data);
  }
  for (const [name, data] of Object.entries(state.tensors ?? {})) put(T + name, data);
  const json = (v: unknown): string => JSON.stringify(v);
  return serializeSafetensors(tensors, {
    format: TRAINER_STATE_FORMAT,
    trainer: state.trainer,
    step: String(state.step),
    config: json(state.config),
    ...(state.tokenizer ? { tokenizer: json(state.tokenizer) } : {}),
    optimizers: json(optimizerMeta),
    rng: json(state.rng),
    data: json(state.data),
    options: json(state.options),
  });
}

/** Reads {@link serializeTrainerState}'s bytes back (errors name the missing or malformed part). */
export function deserializeTrainerState(bytes: Uint8Array): TrainerState {
  const { tensors, metadata } = parseSafetensors(bytes);
  if (metadata.format !== TRAINER_STATE_FORMAT) {
    throw new Error(`deserializeTrainerState: __metadata__.format is ${JSON.stringify(metadata.format)}, expected ${TRAINER_STATE_FORMAT}`);
  }
  const parse = <V>(key: string, optional = false): V => {
    const text = metadata[key];
    if (text === undefined) {
      if (optional) return undefined as V;
      throw new Error(`deserializeTrainerState: __metadata__ lacks ${key}`);
    }
    try {
      return JSON.parse(text) as V;
    } catch (e) {
      throw new Error(`deserializeTrainerState: __metadata__.${key} is not JSON (${(e as Error).message})`);
    }
  };
  const step = Number(metadata.step);
  if (!Number.isInteger(step) || step < 0) throw new Error(`deserializeTrainerState: bad step ${JSON.stringify(metadata.step)}`);
  const weights: Weights = {};
  const extra: Record<string, Float32Array> = {};
  const moments: Record<string, Record<string, Float32Array>> = {};
  for (const [name, t] of Object.entries(tensors)) {
    if (t.dtype !== 'F32') throw new Error(`deserializeTrainerState: tensor ${name} is ${t.dtype}, expected F32`);
    const data = t.data as Float32Array;
    if (name.startsWith(W)) weights[name.slice(W.length)] = data;
    else if (name.startsWith(T)) extra[name.slice(T.length)] = data;
    else if (name.startsWith(O)) {
      const rest = name.slice(O.length);
      const cut = rest.indexOf('/');
      const opt = rest.slice(0, cut);
      (moments[opt] ??= {})[rest.slice(cut + 1)] = data;
    } else throw new Error(`deserializeTrainerState: unexpected tensor ${name}`);
  }
  const metas = parse<Record<string, AdamWStateMeta>>('optimizers');
  const optimizers: Record<string, AdamWState> = {};
  for (const [opt, meta] of Object.entries(metas)) optimizers[opt] = { meta, tensors: moments[opt] ?? {} };
  return {
    format: TRAINER_STATE_FORMAT,
    trainer: metadata.trainer ?? '',
    step,
    config: validateModelConfig(parse('config'), 'deserializeTrainerState config'),
    tokenizer: parse<HfTokenizerJson | undefined>('tokenizer', true),
    weights,
    optimizers,
    rng: parse('rng'),
    data: parse('data'),
    options: parse('options'),
    ...(Object.keys(extra).length ? { tensors: extra } : {}),
  };
}
