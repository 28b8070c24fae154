/**
 * What the activities need from the ML engine: bytes in, bytes out, no Temporal, no database. Models, reward models
 * and trainer states cross this boundary as opaque byte blobs that the activities store as artifacts; the engine
 * alone knows their format. `engine-adapter.ts` implements this over the engine facade (engine/index.ts).
 *
 * Every long call takes an AbortSignal and a progress callback: the activity heartbeats from the callback and
 * aborts the signal when Temporal cancels it, so the engine must check the signal between steps (a step is at most a
 * few seconds) and then reject with the signal's reason.
 */
import type { TrainingRanking } from '../lib/domain';
import type { ExperimentSpec } from '../lib/spec';
import type { DpoMetrics, EvaluationMetrics, PpoMetrics } from './experiment-activity-types';

/** Progress of a long engine call (heartbeat payload and metric rows). */
export interface EngineProgress {
  /** Units done so far, out of `total`. */
  done: number;
  total: number;
  /** Scalar values at this point (e.g. `{ loss: 1.9 }`), recorded as metrics by the activity. */
  values?: Record<string, number>;
}

/** Options of every long engine call. */
export interface EngineCallOptions {
  signal: AbortSignal;
  onProgress?: (p: EngineProgress) => void;
}

/** A policy produced by SFT or imported from an ONNX folder. */
export interface PreparedPolicy {
  /** The engine's serialised policy (weights, config, tokenizer). */
  policy: Uint8Array;
  /** Small facts for the artifact metadata and the audit trail (architecture, parameter count, …). */
  description: Record<string, string | number>;
  sft?: { steps: number; finalLoss: number };
}

/** One prompt of a round with its K completions. */
export interface SampledPrompt {
  prompt: { key: string; text: string; split: 'train' | 'heldout' };
  completions: { text: string; tokens: number; logprob: number }[];
}

export interface FittedRewardModel {
  rewardModel: Uint8Array;
  heldoutAccuracy: number;
  pairsUsed: number;
  rankingsUsed: number;
  finalLoss: number;
}

/** One training iteration's scalars, by name (`mean_reward`, `kl_mean`, …), for per-iteration metric rows. */
export type StepValues = Record<string, number>;

/**
 * A policy trainer (PPO or DPO) opened on a start state, stepped one unit (PPO iteration / DPO step) at a time.
 * `saveState()` after unit n and `open(state)` later continue exactly as an uninterrupted run would.
 */
export interface PolicyTrainer<M> {
  /** Units done so far (0 for a fresh trainer; the saved count for a resumed one). */
  readonly done: number;
  /**
   * Runs one unit and returns its metrics (the summary metrics and the per-step scalars). It may stop early when
   * `signal` aborts, by rejecting — but only before it changes the trainer's state (say, during the rollout): after
   * an aborted step the state must still be the one after unit `done`, because the caller saves it then.
   */
  step(signal: AbortSignal): Promise<{ metrics: M; values: StepValues }>;
  /** Trainer state (policy, value head, optimizer, KL coefficient, RNG, unit count). */
  saveState(): Promise<Uint8Array>;
  /** The current policy in the same format as {@link PreparedPolicy.policy}. */
  exportPolicy(): Promise<Uint8Array>;
  /** Frees sessions and buffers. */
  close(): Promise<void>;
}

export interface PpoOpenArgs {
  /** The round's starting policy (used when `state` is absent). */
  policy: Uint8Array;
  reference: Uint8Array;
  rewardModel: Uint8Array;
  /** A state saved by this kind of trainer; absent = fresh from `policy`. */
  state?: Uint8Array;
  /** Seed of a fresh trainer (a resumed one continues the RNG of its state). */
  seed: number;
  /** The round (0-based): from the second on, `ppo.laterRounds` replaces iterations and epochs (`ppoForRound`). */
  roundIndex: number;
}

export interface DpoOpenArgs {
  policy: Uint8Array;
  reference: Uint8Array;
  /** Every ranking of rounds 0..r. */
  rankings: TrainingRanking[];
  state?: Uint8Array;
  seed: number;
}

export interface Evaluation {
  metrics: EvaluationMetrics;
  /** Per-prompt judgements etc., stored as the evaluation artifact (JSON-serialisable). */
  details: unknown;
}

/** The engine as the activities use it. */
export interface ExperimentEngine {
  /** SFT on the spec's task corpus. */
  trainSft(spec: ExperimentSpec, seed: number, opts: EngineCallOptions): Promise<PreparedPolicy>;
  /** Loads and validates an ONNX model folder (Hugging Face layout) as a policy. */
  importOnnxFolder(folder: string, spec: ExperimentSpec, opts: EngineCallOptions): Promise<PreparedPolicy>;
  /** The round's prompts (drawn with `seed` from the task's train split) and K completions of each. */
  generateSamples(spec: ExperimentSpec, args: { policy: Uint8Array; roundIndex: number; seed: number }, opts: EngineCallOptions): Promise<SampledPrompt[]>;
  /** Reward model from every ranking so far, initialised from `init` (the SFT policy). */
  fitRewardModel(spec: ExperimentSpec, args: { init: Uint8Array; rankings: TrainingRanking[]; seed: number }, opts: EngineCallOptions): Promise<FittedRewardModel>;
  openPpo(spec: ExperimentSpec, args: PpoOpenArgs): Promise<PolicyTrainer<PpoMetrics>>;
  openDpo(spec: ExperimentSpec, args: DpoOpenArgs): Promise<PolicyTrainer<DpoMetrics>>;
  /** Win rate against the reference on held-out prompts by the spec's judge, KL and reward-model score. */
  evaluate(spec: ExperimentSpec, args: { policy: Uint8Array; reference: Uint8Array; rewardModel: Uint8Array; seed: number }, opts: EngineCallOptions): Promise<Evaluation>;
}
