import { Rng } from '../util/rng';
import { CONSTRAINT_KINDS, TEMPLATES, type ConstraintKind } from './constraints';
import { generateDemonstrations, generatePretrainTexts, type Demonstration } from './demonstrations';
import { createTaskFormat, type TaskFormat } from './format';
import { LEXICON, TOPICS } from './lexicon';
import { createJudge, createOracle, SCORE_WEIGHTS, type Judge, type Oracle } from './oracle';
import { chooseHeldoutPairs, enumeratePrompts, interleaveByKind, type TaskPrompt, type TopicKindPair } from './prompts';
import { createSimulatedLabeler, type SimulatedLabeler, type SimulatedLabelerOptions } from './simulated-labeler';

/** Options of {@link createBuiltinTask}; every one has a default. */
export interface BuiltinTaskOptions {
  /** Seed of everything the task draws (split, demonstrations, pretraining texts). Default 1234. */
  seed?: number | string;
  /** Number of SFT demonstrations. Default 6000. */
  demonstrations?: number;
  /** Share of demonstrations that honour their constraint. Default 0.27. */
  honourShare?: number;
  /** Constraint kinds held out per topic (unseen topic × kind pairs for evaluation). Default 1. */
  heldoutKindsPerTopic?: number;
  /** Number of plain sentences for PPO-ptx. Default 2000. */
  pretrainTexts?: number;
}

export const BUILTIN_TASK_DEFAULTS: Required<BuiltinTaskOptions> = {
  seed: 1234,
  demonstrations: 6000,
  honourShare: 0.27,
  heldoutKindsPerTopic: 1,
  pretrainTexts: 2000,
};

/** The JSON summary of a built-in task (for specs, reports and artifact metadata). */
export interface BuiltinTaskDescription {
  name: string;
  version: number;
  description: string;
  options: Required<BuiltinTaskOptions>;
  format: { promptSuffix: string; completionPrefix: string; eosToken: string };
  topics: { id: string; name: string }[];
  constraintKinds: { kind: ConstraintKind; templates: readonly string[] }[];
  heldoutPairs: TopicKindPair[];
  scoreWeights: typeof SCORE_WEIGHTS;
  counts: { trainPrompts: number; heldoutPrompts: number; demonstrations: number; honouringDemonstrations: number; pretrainTexts: number; lexicon: number };
}

/** The built-in task: prompts, demonstrations, oracle, judge and simulated labelers, all seeded. */
export interface BuiltinTask {
  readonly name: 'constrained-sentences';
  readonly version: 1;
  readonly description: string;
  readonly options: Required<BuiltinTaskOptions>;
  readonly format: TaskFormat;
  /** Training prompts, shuffled within kind and interleaved by kind (any prefix is kind-balanced). */
  readonly trainPrompts: readonly TaskPrompt[];
  /** Prompts of unseen (topic, kind) pairs, ordered like trainPrompts. */
  readonly heldoutPrompts: readonly TaskPrompt[];
  readonly heldoutPairs: readonly TopicKindPair[];
  readonly demonstrations: readonly Demonstration[];
  readonly pretrainTexts: readonly string[];
  readonly oracle: Oracle;
  /** The held-out judge: the oracle without noise. */
  readonly judge: Judge;
  /**
   * `n` prompts drawn with replacement, balanced: constraint kind uniform, then topic, then prompt. (Uniform draws
   * from trainPrompts would favour kinds with more phrasings, e.g. uses_word.)
   */
  samplePrompts(n: number, rng: Rng, split?: 'train' | 'heldout'): TaskPrompt[];
  /** A simulated labeler applying the oracle with the given noise. */
  simulatedLabeler(options: SimulatedLabelerOptions): SimulatedLabeler;
  /** Texts to train the task's tokenizer on (training data only). */
  tokenizerTexts(): string[];
  describe(): BuiltinTaskDescription;
}

const DESCRIPTION =
  'Constrained sentences: write one short sentence about a topic that honours a constraint (use a word, start or ' +
  'end with a word, use exactly N words, avoid a word). Demonstrations honour the constraint only part of the ' +
  'time, so SFT learns the format and RLHF must learn the preference. Held-out prompts pair topics with ' +
  'constraint kinds never seen together in training.';

/** Builds the built-in task. Same options → identical task (deterministic, seeded). */
export function createBuiltinTask(options: BuiltinTaskOptions = {}): BuiltinTask {
  const resolved: Required<BuiltinTaskOptions> = { ...BUILTIN_TASK_DEFAULTS, ...stripUndefined(options) };
  const root = Rng.fromSeed(resolved.seed);
  const heldoutPairs = chooseHeldoutPairs(root.fork('split'), resolved.heldoutKindsPerTopic);
  const all = enumeratePrompts(heldoutPairs);
  const order = root.fork('prompt-order');
  const trainPrompts = interleaveByKind(all.filter((p) => p.split === 'train'), order);
  const heldoutPrompts = interleaveByKind(all.filter((p) => p.split === 'heldout'), order);
  const demonstrations = generateDemonstrations(trainPrompts, resolved.demonstrations, resolved.honourShare, root.fork('demonstrations'));
  const pretrainTexts = generatePretrainTexts(resolved.pretrainTexts, root.fork('pretrain'));
  const format = createTaskFormat();
  const oracle = createOracle(all);
  const judge = createJudge(oracle);

  return {
    name: 'constrained-sentences',
    version: 1,
    description: DESCRIPTION,
    options: resolved,
    format,
    trainPrompts,
    heldoutPrompts,
    heldoutPairs,
    demonstrations,
    pretrainTexts,
    oracle,
    judge,
    samplePrompts: (n, rng, split = 'train') => samplePromptsBalanced(split === 'train' ? trainPrompts : heldoutPrompts, n, rng),
    simulatedLabeler: (opts) => createSimulatedLabeler(oracle, opts),
    tokenizerTexts: () => [
      ...trainPrompts.map((p) => format.renderPrompt(p)),
      ...demonstrations.map((d) => format.renderExample(d.prompt, d.completion)),
      ...pretrainTexts,
    ],
    describe: () => ({
      name: 'constrained-sentences',
      version: 1,
      description: DESCRIPTION,
      options: resolved,
      format: { promptSuffix: format.promptSuffix, completionPrefix: format.completionPrefix, eosToken: format.eosToken },
      topics: TOPICS.map((t) => ({ id: t.id, name: t.name })),
      constraintKinds: CONSTRAINT_KINDS.map((kind) => ({ kind, templates: TEMPLATES[kind] })),
      heldoutPairs,
      scoreWeights: SCORE_WEIGHTS,
      counts: {
        trainPrompts: trainPrompts.length,
        heldoutPrompts: heldoutPrompts.length,
        demonstrations: demonstrations.length,
        honouringDemonstrations: demonstrations.filter((d) => d.honoursConstraint).length,
        pretrainTexts: pretrainTexts.length,
        lexicon: LEXICON.size,
      },
    }),
  };
}

function samplePromptsBalanced(prompts: readonly TaskPrompt[], n: number, rng: Rng): TaskPrompt[] {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`samplePrompts: n must be a non-negative integer, got ${n}`);
  const groups = new Map<ConstraintKind, Map<string, TaskPrompt[]>>();
  for (const p of prompts) {
    const byTopic = groups.get(p.constraint.kind) ?? new Map<string, TaskPrompt[]>();
    groups.set(p.constraint.kind, byTopic);
    byTopic.set(p.topic, [...(byTopic.get(p.topic) ?? []), p]);
  }
  const kinds = [...groups.values()].map((byTopic) => [...byTopic.values()]);
  return Array.from({ length: n }, () => rng.choice(rng.choice(rng.choice(kinds))));
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
