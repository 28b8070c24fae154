/**
 * Checkpoint helpers shared by the RLHF trainers (reward model, PPO, DPO). Their checkpoints are the engine's
 * common {@link TrainerState} (engine/checkpoint/trainer-state.ts, one safetensors file once serialised): weights,
 * optimizer states, JSON progress and the options that shape the run. Every random draw of a step is derived
 * from (seed, step), so a state plus the same inputs and options continues bit-identically.
 */
import { type JsonValue, TRAINER_STATE_FORMAT, type TrainerState, deserializeTrainerState } from '../checkpoint/trainer-state';
import type { ModelConfig } from '../models/config';

/** A checkpoint as an object or as serialised bytes. */
export type ResumeFrom = TrainerState | Uint8Array;

/** The state object of `resumeFrom`. */
export function readResumeState(resumeFrom: ResumeFrom): TrainerState {
  return resumeFrom instanceof Uint8Array ? deserializeTrainerState(resumeFrom) : resumeFrom;
}

/** A JSON copy of the run options (undefined dropped), as stored in `TrainerState.options`. */
export function jsonOptions(options: Record<string, unknown>): Record<string, JsonValue> {
  return JSON.parse(JSON.stringify(Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)))) as Record<string, JsonValue>;
}

/**
 * Throws, naming the difference, unless `st` was written by `trainer` for the same model and options, with the
 * optimizer states `optimizers`.
 */
export function checkResumeState(st: TrainerState, trainer: string, cfg: ModelConfig, options: Record<string, JsonValue>, optimizers: readonly string[]): void {
  const who = `${trainer}: resumeFrom`;
  if (st.format !== TRAINER_STATE_FORMAT) throw new Error(`${who} is not a trainer state (format ${String(st.format)})`);
  if (st.trainer !== trainer) throw new Error(`${who} was written by the ${JSON.stringify(st.trainer)} trainer, not ${trainer}`);
  if (JSON.stringify(st.config) !== JSON.stringify(cfg)) throw new Error(`${who} is for model ${JSON.stringify(st.config)}, not ${JSON.stringify(cfg)}`);
  const keys = new Set([...Object.keys(options), ...Object.keys(st.options)]);
  for (const k of keys) {
    if (JSON.stringify(st.options[k]) !== JSON.stringify(options[k])) {
      throw new Error(`${who}: option ${k} is ${JSON.stringify(options[k])} but the checkpoint was made with ${JSON.stringify(st.options[k])}; a resumed run must use the same options`);
    }
  }
  for (const o of optimizers) if (!st.optimizers[o]) throw new Error(`${who} has no optimizer state ${JSON.stringify(o)}`);
}

/** Stable FNV-1a hash of strings: a resumed run must see the same data (rankings, prompts). */
export function hashStrings(parts: Iterable<string>): string {
  let h = 0x811c9dc5;
  for (const s of parts) {
    for (let i = 0; i < s.length; i++) {
      h ^= s.charCodeAt(i);
      h = Math.imul(h, 0x01000193) >>> 0;
    }
    h ^= 0xff;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, '0');
}

export { TRAINER_STATE_FORMAT };
export type { TrainerState };
