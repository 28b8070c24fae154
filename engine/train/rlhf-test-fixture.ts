/**
 * A tiny world for the RLHF trainers' tests: the built-in task with a small corpus, its tokenizer, a one-layer
 * 32-wide GPT and hand-made rankings, so that learning tests run in seconds on two cores.
 */
import type { ModelBundle } from '../models/bundle';
import type { ModelConfig } from '../models/config';
import { initGptWeights } from '../models/init';
import { createBuiltinTask, generateCompletion } from '../task';
import type { BuiltinTask } from '../task/builtin-task';
import { trainTaskTokenizer } from '../task/task-tokenizer';
import type { Tokenizer } from '../tokenizer/tokenizer';
import { Rng } from '../util/rng';
import type { RankedCompletions } from './ranking-pairs';
import { fitRewardModel } from './reward-model';
import { trainSft } from './sft';
import { taskSftData } from './sft-task';

export interface TinyWorld {
  task: BuiltinTask;
  tokenizer: Tokenizer;
  config: ModelConfig;
  /** A randomly initialised policy (seeded). */
  policy: ModelBundle;
}

let cached: { task: BuiltinTask; tokenizer: Tokenizer } | undefined;

/** The tiny world (the task and tokenizer are built once per test file). */
export function tinyWorld(seed = 1, config: Partial<ModelConfig> = {}): TinyWorld {
  cached ??= (() => {
    const task = createBuiltinTask({ demonstrations: 300, pretrainTexts: 50 });
    return { task, tokenizer: trainTaskTokenizer(task) };
  })();
  const cfg: ModelConfig = { vocabSize: cached.tokenizer.vocabSize, context: 48, width: 32, layers: 1, heads: 2, ...config };
  return { ...cached, config: cfg, policy: { config: cfg, tokenizer: cached.tokenizer.toJSON(), weights: initGptWeights(cfg, seed) } };
}

/**
 * Rankings with an easy, prompt-independent preference: a fluent on-topic completion, the same with its last two
 * words and final period cut off, and the same with its first word doubled (the oracle ranks the intact one
 * first; a simulated labeler with 10% noise orders them).
 */
export function easyRankings(world: TinyWorld, n: number, seed: number): RankedCompletions[] {
  const rng = Rng.fromSeed(seed);
  const labeler = world.task.simulatedLabeler({ noise: 0.1, seed: `${seed}:labeler`, markTies: true });
  return Array.from({ length: n }, (_, i) => {
    const p = world.task.trainPrompts[(i * 7) % world.task.trainPrompts.length];
    const base = generateCompletion(p, rng.bernoulli(0.5), rng);
    const words = base.replace(/\.$/, '').split(' ');
    const cut = words.slice(0, Math.max(1, words.length - 2)).join(' ');
    const doubled = [words[0], ...words].join(' ') + '.';
    const completions = rng.shuffle([base, cut, doubled]);
    const r = labeler.rank(p, completions, String(i));
    return { prompt: p.text, completions, ranking: r.groups.map((g) => [...g]) };
  });
}

/**
 * A tiny SFT policy (a few hundred steps: it writes rough task-like sentences and ends them with EOS) and a reward
 * model fitted on {@link easyRankings} from it: a setting where PPO has something learnable to climb.
 */
export async function tinyRlhfModels(world: TinyWorld): Promise<{ sft: ModelBundle; rewardModel: ModelBundle }> {
  const data = taskSftData(world.task, { evalCount: 10 });
  const sft = await trainSft(
    { config: world.config, tokenizer: world.tokenizer, examples: data.train },
    { steps: 250, batchSize: 16, lr: 1e-2, warmupSteps: 10, seed: 1 },
  );
  const rm = await fitRewardModel(sft.bundle, easyRankings(world, 160, 9), { steps: 80, lr: 3e-3, batch: 8, seed: 2 });
  return { sft: sft.bundle, rewardModel: rm.model };
}
