/**
 * The in-memory checkpoint every RLHF trainer (reward model, PPO, DPO) hands to `onCheckpoint` and takes back as
 * `resumeFrom`: named weight sets, optimizer states and a JSON state (step, controller, metrics so far). Resuming
 * from one continues bit-identically, because every random draw of a step is derived from (seed, step) and the
 * optimizer update is a fixed sequence of IEEE operations. `serializeTrainerCheckpoint` turns it into one
 * safetensors file (weights and moments as F32 tensors, the rest as JSON in `__metadata__`).
 */
import { parseSafetensors, serializeSafetensors, type SafeTensor } from '../checkpoint/safetensors';
import type { Weights } from '../models/init';
import type { AdamWState } from '../optim/adamw';

/** A trainer's resumable state. */
export interface TrainerCheckpoint<S = unknown> {
  format: 'hone.trainer-checkpoint.v1';
  trainer: 'reward-model' | 'ppo' | 'dpo';
  /** Updates (RM/DPO steps) or iterations (PPO) completed. */
  step: number;
  /** A hash of the options that shape the run; resuming with different ones is refused. */
  fingerprint: string;
  weights: Record<string, Weights>;
  optimizers: Record<string, AdamWState>;
  /** Trainer-specific JSON (e.g. the KL controller, metrics history). */
  state: S;
}

const FORMAT = 'hone.trainer-checkpoint.v1';

/** One safetensors file: `w/<set>/<name>` weights, `opt/<name>/<m|v>/<param>` moments, JSON in `__metadata__`. */
export function serializeTrainerCheckpoint(ckpt: TrainerCheckpoint): Uint8Array {
  const tensors: Record<string, SafeTensor> = {};
  for (const [set, weights] of Object.entries(ckpt.weights)) {
    for (const [name, data] of Object.entries(weights)) tensors[`w/${set}/${name}`] = { dtype: 'F32', shape: [data.length], data };
  }
  const optimizerMeta: Record<string, AdamWState['meta']> = {};
  for (const [opt, st] of Object.entries(ckpt.optimizers)) {
    optimizerMeta[opt] = st.meta;
    for (const [name, data] of Object.entries(st.tensors)) tensors[`opt/${opt}/${name}`] = { dtype: 'F32', shape: [data.length], data };
  }
  return serializeSafetensors(tensors, {
    format: FORMAT,
    trainer: ckpt.trainer,
    step: String(ckpt.step),
    fingerprint: ckpt.fingerprint,
    optimizers: JSON.stringify(optimizerMeta),
    state: JSON.stringify(ckpt.state),
  });
}

/** Reads {@link serializeTrainerCheckpoint}'s bytes back (shapes are restored by the trainer from its config). */
export function deserializeTrainerCheckpoint<S = unknown>(bytes: Uint8Array): TrainerCheckpoint<S> {
  const { tensors, metadata } = parseSafetensors(bytes);
  if (metadata.format !== FORMAT) throw new Error(`deserializeTrainerCheckpoint: __metadata__.format is ${JSON.stringify(metadata.format)}, expected ${FORMAT}`);
  const trainer = metadata.trainer as TrainerCheckpoint['trainer'];
  if (!['reward-model', 'ppo', 'dpo'].includes(trainer)) throw new Error(`deserializeTrainerCheckpoint: unknown trainer ${JSON.stringify(trainer)}`);
  const optimizerMeta = JSON.parse(metadata.optimizers ?? '{}') as Record<string, AdamWState['meta']>;
  const weights: Record<string, Weights> = {};
  const optimizers: Record<string, AdamWState> = {};
  for (const [opt, meta] of Object.entries(optimizerMeta)) optimizers[opt] = { meta, tensors: {} };
  for (const [key, t] of Object.entries(tensors)) {
    if (t.dtype !== 'F32') throw new Error(`deserializeTrainerCheckpoint: tensor ${key} is ${t.dtype}, expected F32`);
    const data = t.data as Float32Array;
    if (key.startsWith('w/')) {
      const slash = key.indexOf('/', 2);
      const set = key.slice(2, slash);
      (weights[set] ??= {})[key.slice(slash + 1)] = data;
    } else if (key.startsWith('opt/')) {
      const slash = key.indexOf('/', 4);
      const opt = key.slice(4, slash);
      if (!optimizers[opt]) throw new Error(`deserializeTrainerCheckpoint: moments for unknown optimizer ${opt}`);
      optimizers[opt].tensors[key.slice(slash + 1)] = data;
    } else {
      throw new Error(`deserializeTrainerCheckpoint: unexpected tensor ${key}`);
    }
  }
  const step = Number(metadata.step);
  if (!Number.isInteger(step) || step < 0) throw new Error(`deserializeTrainerCheckpoint: bad step ${metadata.step}`);
  return { format: FORMAT, trainer, step, fingerprint: metadata.fingerprint ?? '', weights, optimizers, state: JSON.parse(metadata.state ?? 'null') as S };
}

/** A stable string of the options that must match between a run and its resume (sorted keys, JSON). */
export function fingerprintOf(options: Record<string, unknown>): string {
  const sorted = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : 1)));
  return JSON.stringify(sorted);
}

/** Throws unless `ckpt` was made by `trainer` with the same fingerprint. */
export function checkResumable(ckpt: TrainerCheckpoint, trainer: TrainerCheckpoint['trainer'], fingerprint: string): void {
  if (ckpt.format !== FORMAT) throw new Error(`resumeFrom: not a trainer checkpoint (format ${JSON.stringify(ckpt.format)})`);
  if (ckpt.trainer !== trainer) throw new Error(`resumeFrom: a ${ckpt.trainer} checkpoint cannot resume ${trainer} training`);
  if (ckpt.fingerprint !== fingerprint) throw new Error(`resumeFrom: the checkpoint was made with other options (${ckpt.fingerprint}) than this run (${fingerprint})`);
}
