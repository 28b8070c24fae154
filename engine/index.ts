/**
 * hone's ML engine: the public facade the platform's activities call. Everything here is pure TypeScript on
 * onnxruntime-node: no Temporal, no database, no network. Models and trainer checkpoints cross process
 * boundaries as bytes (one safetensors file each); every random draw takes an explicit seed.
 *
 * The loop of one RLHF round, as `scripts/eval-engine.ts` runs it:
 *
 * ```ts
 * const task = createBuiltinTask({ seed: 1234 });
 * const sft = await trainTaskSft(task, { seed: 1 });                       // policy₀ = reference
 * const samples = await sampleCompletions(sft.bundle, prompts, { k: 4, seed: 7 });
 * const rankings = samples.map((s) => rankingFromLabeler(s.prompt, s.texts, labeler.rank(s.prompt, s.texts)));
 * const rm = await fitRewardModel(sft.bundle, rankings, { seed: 1, oracle });
 * const ppo = await runPpo({ policy: sft.bundle, reference: sft.bundle, rewardModel: rm.model, prompts }, { seed: 1 });
 * const ev = await evaluatePolicy({ policy: ppo.policy, reference: sft.bundle, rewardModel: rm.model, prompts: heldout, judge }, { seed: 9 });
 * ```
 *
 * A further round samples from `ppo.policy`, adds its rankings to the old ones, refits the RM from `sft.bundle` on
 * all of them and continues PPO from `ppo.policy` (the reference stays `sft.bundle`); eval:engine runs two rounds.
 *
 * See engine/README.md for the API reference, the math and the measured figures.
 */
import type { ModelBundle } from './models/bundle';
import { TASK_MODEL_CONFIG, type ModelConfig } from './models/config';
import { Sampler } from './sampling/sampler';
import type { BuiltinTask } from './task/builtin-task';
import { createTaskFormat, type TaskFormat } from './task/format';
import type { Ranking } from './task/simulated-labeler';
import { trainTaskTokenizer } from './task/task-tokenizer';
import type { Tokenizer } from './tokenizer/tokenizer';
import { type SftOptions, type SftResult, trainSft } from './train/sft';
import { TASK_SFT_OPTIONS, taskSftData } from './train/sft-task';
import type { RankedCompletions } from './train/ranking-pairs';

// ---------------------------------------------------------------------------------------------- the built-in task
export { BUILTIN_TASK_DEFAULTS, createBuiltinTask, trainTaskTokenizer } from './task';
export type { BuiltinTask, BuiltinTaskOptions, Judge, Oracle, Ranking, Score, SimulatedLabeler, SimulatedLabelerOptions, TaskFormat, TaskPrompt } from './task';

// ---------------------------------------------------------------------------------------------- models and checkpoints
export { TASK_MODEL_CONFIG, deserializeModel, serializeModel, validateModelConfig } from './models';
export type { ModelBundle, ModelConfig, Weights } from './models';
export { deserializeTrainerState, serializeTrainerState } from './checkpoint/trainer-state';
export type { TrainerState } from './checkpoint/trainer-state';
export { exportHfFolder, importHfFolder, UnsupportedModelFolderError } from './export';
export type { ExportOptions } from './export';
export { Tokenizer } from './tokenizer/tokenizer';
export { Rng } from './util/rng';
export type { RngState, Seed } from './util/rng';

// ---------------------------------------------------------------------------------------------- trainers
export { trainSft } from './train/sft';
export type { SftExample } from './train/lm-batch';
export type { SftInput, SftMetrics, SftOptions, SftResult } from './train/sft';
export { REWARD_TRAINER, fitRewardModel } from './train/reward-model';
export type { FitRewardModelOptions, RewardModelMetrics, RewardModelResult, TrainerProgress } from './train/reward-model';
export { PPO_DEFAULTS, PPO_TRAINER, runPpo } from './train/ppo';
export type { PpoInput, PpoIterationMetrics, PpoOptions, PpoProgress, PpoResult, PpoRunOptions } from './train/ppo';
export { DPO_TRAINER, runDpo } from './train/dpo';
export type { DpoMetrics, DpoOptions, DpoResult } from './train/dpo';
export { evaluatePolicy } from './train/evaluate';
export type { EvaluatePolicyInput, EvaluatePolicyOptions, PolicyEvaluation } from './train/evaluate';
export { pairsFromRanking, rankedSamples, validateRanking } from './train/ranking-pairs';
export type { ComparisonPair, RankedCompletions } from './train/ranking-pairs';
export { KlController } from './train/kl-controller';
export type { KlControllerOptions, KlControllerState } from './train/kl-controller';

/** Options of {@link trainTaskSft}: SFT options (defaults: TASK_SFT_OPTIONS) plus the model size and tokenizer. */
export type TaskSftOptions = Partial<SftOptions> & {
  /** Model size (default TASK_MODEL_CONFIG; vocabSize always follows the tokenizer). */
  config?: Partial<ModelConfig>;
  /** Default: the task's tokenizer (trainTaskTokenizer). */
  tokenizer?: Tokenizer;
  /** Demonstrations kept out of training for the evaluation loss (default 200). */
  evalCount?: number;
};

/** SFT of a fresh policy on the built-in task's demonstrations (prompt masked out, EOS appended). */
export async function trainTaskSft(task: BuiltinTask, options: TaskSftOptions = {}): Promise<SftResult> {
  const tokenizer = options.tokenizer ?? trainTaskTokenizer(task);
  const config: ModelConfig = { ...TASK_MODEL_CONFIG, ...(options.config ?? {}), vocabSize: Math.max(tokenizer.vocabSize, options.config?.vocabSize ?? 0) };
  const data = taskSftData(task, { evalCount: options.evalCount });
  const { config: _c, tokenizer: _t, evalCount: _e, ...sft } = options;
  return trainSft({ config, tokenizer, examples: data.train }, { ...TASK_SFT_OPTIONS, seed: 1, evalExamples: data.eval, ...sft });
}

/** One prompt's sampled completions. */
export interface SampledPrompt {
  prompt: string;
  /** Completion texts as a person reads them (format.extractCompletion of the decoded tokens). */
  texts: string[];
  /** Per completion: tokens (EOS included when it finished), log-probs at temperature 1, why it stopped. */
  completions: { tokens: number[]; logProbs: number[]; finishReason: string }[];
}

/** Options of {@link sampleCompletions}. */
export interface SampleCompletionsOptions {
  /** Completions per prompt (K). Default 4. */
  k?: number;
  /**
   * Seed: completion j of a prompt draws from Rng(`${seed}:${prompt}:${j}`), so a prompt's completions depend only
   * on (seed, prompt, j), not on the order or batching of the request (a retried activity samples the same).
   */
  seed: number | string;
  maxNewTokens?: number;
  temperature?: number;
  topK?: number;
  topP?: number;
  format?: TaskFormat;
  /** Sequences decoded together (default 64). */
  batchSize?: number;
}

/** K completions per prompt from `policy` (batched KV-cache sampling). */
export async function sampleCompletions(policy: ModelBundle, prompts: readonly string[], options: SampleCompletionsOptions): Promise<SampledPrompt[]> {
  const k = options.k ?? 4;
  if (!Number.isInteger(k) || k < 1) throw new Error(`sampleCompletions: k must be a positive integer, got ${k}`);
  const format = options.format ?? createTaskFormat();
  const sampler = await Sampler.create(policy, { batchSize: options.batchSize ?? 64 });
  try {
    const ids = prompts.map((p) => sampler.tokenizer.encode(format.renderPrompt(p), { allowSpecial: false }));
    const rows = prompts.flatMap((_, i) => Array.from({ length: k }, () => ids[i]));
    const seeds = prompts.flatMap((p) => Array.from({ length: k }, (_, j) => `${options.seed}:${p}:${j}`));
    const gens = await sampler.generate(rows, {
      maxNewTokens: options.maxNewTokens ?? 24,
      temperature: options.temperature ?? 1,
      topK: options.topK ?? 0,
      topP: options.topP ?? 1,
      seeds,
    });
    return prompts.map((prompt, i) => {
      const mine = gens.slice(i * k, (i + 1) * k);
      return {
        prompt,
        texts: mine.map((g) => format.extractCompletion(g.text)),
        completions: mine.map((g) => ({ tokens: g.tokens, logProbs: g.logProbs, finishReason: g.finishReason })),
      };
    });
  } finally {
    await sampler.release();
  }
}

/** A simulated (or human) labeler's answer as the trainers' ranking: its groups, best first (ties grouped). */
export function rankingFromLabeler(prompt: string, completions: readonly string[], ranking: Pick<Ranking, 'groups'>): RankedCompletions {
  return { prompt, completions: [...completions], ranking: ranking.groups.map((g) => [...g]) };
}
