/**
 * The experiment spec schema (zod 4). Every section has defaults sized for the built-in demo, so the smallest valid
 * spec is one line: `name: my-experiment`. Objects are strict: an unknown key is an error (a misspelt `promtsPerRound`
 * silently falling back to a default would waste a labeling round).
 *
 * Durations are written as strings (`2d`, `30m`) and come out as milliseconds.
 */
import { z } from 'zod';
import { parseDuration, formatDuration } from './duration';

/** A duration string with a lower bound; outputs milliseconds. */
function duration(min: string) {
  const minParsed = parseDuration(min);
  if (!minParsed.ok) throw new Error(`schema bug: bad minimum duration ${min}`);
  const minMs = minParsed.ms;
  return z.unknown().transform((value, ctx): number => {
    if (typeof value !== 'string') {
      const got = typeof value === 'number' ? `the number ${value}` : value === undefined ? 'nothing' : typeof value;
      ctx.addIssue({ code: 'custom', message: `expected a duration such as '30m' or '2d', got ${got} (a unit is required)` });
      return z.NEVER;
    }
    const parsed = parseDuration(value);
    if (!parsed.ok) {
      ctx.addIssue({ code: 'custom', message: parsed.error });
      return z.NEVER;
    }
    if (parsed.ms < minMs) {
      ctx.addIssue({ code: 'custom', message: `must be at least ${min} (got '${value}' = ${formatDuration(parsed.ms)})` });
      return z.NEVER;
    }
    return parsed.ms;
  });
}

/** Quorum: a share of the round's tasks (`'80%'`, `0.8`, `{ share: 0.8 }`) or a count (`{ tasks: 24 }`, `24`). */
export type QuorumSpec = { share: number } | { tasks: number };

const quorum = z.unknown().transform((value, ctx): QuorumSpec => {
  const fail = (message: string) => {
    ctx.addIssue({ code: 'custom', message });
    return z.NEVER;
  };
  const share = (s: number, shown: string) =>
    s > 0 && s <= 1 ? { share: s } : fail(`a share must be in (0%, 100%] (got ${shown})`);
  const tasks = (n: number) => (Number.isInteger(n) && n >= 1 ? { tasks: n } : fail(`a task count must be an integer ≥ 1 (got ${n})`));
  if (typeof value === 'string') {
    const m = /^\s*(\d+(?:\.\d+)?)\s*%\s*$/.exec(value);
    return m ? share(Number(m[1]) / 100, `'${value}'`) : fail(`expected a share like '80%' or a count like { tasks: 24 } (got '${value}')`);
  }
  // A bare number ≤ 1 is a share and above 1 a count: `quorum: 1` means every task, never "one task".
  if (typeof value === 'number') return value <= 1 ? share(value, String(value)) : tasks(value);
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const keys = Object.keys(value);
    const v = value as Record<string, unknown>;
    if (keys.length === 1 && keys[0] === 'share' && typeof v.share === 'number') return share(v.share, String(v.share));
    if (keys.length === 1 && keys[0] === 'tasks' && typeof v.tasks === 'number') return tasks(v.tasks);
  }
  return fail("expected '80%', a share in (0, 1], { share: 0.8 } or { tasks: 24 }");
});

const slug = z
  .string()
  .regex(/^[a-z0-9][a-z0-9._-]{0,62}$/, { error: 'must be 1–63 characters of a-z, 0-9, ".", "_", "-", starting with a letter or digit' });

const nonEmptyUniqueStrings = z
  .array(z.string().min(1))
  .min(1)
  .refine((xs) => new Set(xs).size === xs.length, { error: 'must not repeat an entry' });

export const architectureSchema = z.strictObject({
  /** Tokenizer vocabulary size; omitted = whatever the task tokenizer produces. */
  vocabSize: z.int().min(16).max(262_144).optional(),
  context: z.int().min(8).max(8192).default(96),
  width: z.int().min(8).max(8192).default(64),
  layers: z.int().min(1).max(96).default(2),
  heads: z.int().min(1).max(128).default(4),
});

export const sftSchema = z.strictObject({
  /** The demonstration corpus to fine-tune on; defaults to the experiment's task. */
  task: z.enum(['instructions']).optional(),
  steps: z.int().min(1).max(1_000_000).default(300),
  batch: z.int().min(1).max(4096).default(16),
  lr: z.number().gt(0).max(1).default(3e-3),
  warmupSteps: z.int().min(0).default(20),
  weightDecay: z.number().min(0).max(1).default(0.01),
  architecture: architectureSchema.prefault({}),
});

const modelSchema = z
  .strictObject({ sft: sftSchema.optional(), onnxFolder: z.string().min(1).optional() })
  .superRefine((m, ctx) => {
    if (m.sft && m.onnxFolder) ctx.addIssue({ code: 'custom', message: 'give either sft or onnxFolder, not both' });
  })
  .transform((m) =>
    m.onnxFolder !== undefined
      ? ({ source: 'onnx', onnxFolder: m.onnxFolder } as const)
      : ({ source: 'sft', sft: m.sft ?? sftSchema.parse({}) } as const),
  );

export const taskSchema = z.strictObject({
  /** The built-in task. Only `instructions` exists today. */
  name: z.enum(['instructions']).default('instructions'),
  /** Demonstrations generated for SFT. */
  corpusSize: z.int().min(10).max(1_000_000).default(2000),
  /** Share of demonstrations that honour their constraint: below 1, SFT learns the format but not the preference. */
  demoComplianceShare: z.number().min(0).max(1).default(0.5),
  /** Share of topic × constraint combinations kept unseen for held-out evaluation. */
  heldoutCombinationShare: z.number().gt(0).lt(1).default(0.2),
  /** Restrict the task to these topics / constraint kinds (names as the engine's task defines them). */
  topics: nonEmptyUniqueStrings.optional(),
  constraints: nonEmptyUniqueStrings.optional(),
});

export const samplingSchema = z.strictObject({
  temperature: z.number().gt(0).max(10).default(1),
  /** 0 disables top-k. */
  topK: z.int().min(0).default(0),
  topP: z.number().gt(0).max(1).default(0.95),
  maxNewTokens: z.int().min(1).max(4096).default(24),
});

export const roundsSchema = z.strictObject({
  count: z.int().min(1).max(1000).default(2),
  promptsPerRound: z.int().min(1).max(100_000).default(24),
  /** K completions per prompt, ranked together (InstructGPT used 4..9). */
  completionsPerPrompt: z.int().min(2).max(9).default(4),
  sampling: samplingSchema.prefault({}),
});

export const simulatedLabelersSchema = z.strictObject({
  labelers: z.int().min(1).max(1000).default(3),
  /** Probability that a simulated labeler swaps an adjacent pair of the oracle's ranking. */
  noise: z.number().min(0).max(1).default(0.1),
});

export const labelingSchema = z.strictObject({
  quorum: quorum.prefault('100%'),
  deadline: duration('1s').prefault('2d'),
  /** Share of tasks given to a second labeler to measure agreement. */
  overlap: z.number().min(0).max(1).default(0.1),
  /** An assignment not submitted within this time goes back to the pool. */
  assignmentExpiry: duration('10s').prefault('30m'),
  /** How often the waiting workflow re-reads counts from the database, in case a signal was lost. */
  resyncEvery: duration('1s').prefault('1h'),
  /** Simulated labelers that `hone demo` / `hone label --simulate` start; absent = people only. */
  simulated: simulatedLabelersSchema.optional(),
});

export const rewardModelSchema = z.strictObject({
  steps: z.int().min(1).max(1_000_000).default(150),
  lr: z.number().gt(0).max(1).default(1e-3),
  /** Prompts per batch; each prompt's C(K,2) pairs stay in one batch element. */
  batch: z.int().min(1).max(4096).default(8),
  heldoutShare: z.number().gt(0).max(0.9).default(0.2),
});

export const ppoSchema = z.strictObject({
  /** Rollout + update iterations per round. */
  iterations: z.int().min(1).max(100_000).default(12),
  /** Inner epochs over each rollout batch. */
  epochs: z.int().min(1).max(100).default(2),
  promptsPerIteration: z.int().min(1).max(100_000).default(16),
  minibatch: z.int().min(1).max(100_000).default(8),
  lr: z.number().gt(0).max(1).default(5e-4),
  clip: z.number().gt(0).max(1).default(0.2),
  valueClip: z.number().gt(0).default(0.2),
  klTarget: z.number().gt(0).default(6),
  initKlCoef: z.number().min(0).default(0.2),
  /** Adaptive KL controller (Ziegler et al.); false keeps the coefficient fixed at initKlCoef. */
  adaptive: z.boolean().default(true),
  klHorizon: z.int().min(1).default(10_000),
  gamma: z.number().min(0).max(1).default(1),
  gaeLambda: z.number().min(0).max(1).default(0.95),
  /** PPO-ptx: weight of the pretraining (SFT) loss mixed into the PPO objective; 0 = plain PPO. */
  ptxCoef: z.number().min(0).default(0),
  valueInitFrom: z.enum(['reward-model', 'policy']).default('reward-model'),
  /** Checkpoint to the artifact store every N iterations (resume point after a crash). */
  checkpointEvery: z.int().min(1).default(4),
  /** Iterations per runPpoEpochs activity: the workflow's progress granularity. Capped at `iterations`. */
  iterationsPerActivity: z.int().min(1).default(6),
  /**
   * Rounds after the first: these replace `iterations` and `epochs` (each optional). Later rounds continue from a
   * policy PPO has already tuned, against a reward model refitted on its samples; there more rollouts with fewer
   * passes over each did better at the same number of updates (eval:engine, engine/README.md: 40 × 2 epochs vs
   * 20 × 4 in round 2, held-out win rate 0.774 vs 0.751 over five seeds). No default: absent, every round is alike.
   */
  laterRounds: z
    .strictObject({
      iterations: z.int().min(1).max(100_000).optional(),
      epochs: z.int().min(1).max(100).optional(),
    })
    .optional(),
});

export const dpoSchema = z.strictObject({
  beta: z.number().gt(0).max(10).default(0.1),
  steps: z.int().min(1).max(1_000_000).default(200),
  lr: z.number().gt(0).max(1).default(5e-4),
  batch: z.int().min(1).max(4096).default(8),
});

export const evaluationSchema = z.strictObject({
  heldoutPrompts: z.int().min(1).max(100_000).default(64),
  /** `oracle`: the task's noiseless preference judge. */
  judge: z.enum(['oracle']).default('oracle'),
});

export const storageSchema = z.strictObject({
  /** Where this experiment's artifacts go: `file:///abs/dir` or `s3://bucket/prefix`; absent = the server default. */
  artifacts: z
    .string()
    .regex(/^(file:\/\/\/.+|s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](\/.*)?)$/, {
      error: "must be 'file:///absolute/dir' or 's3://bucket[/prefix]'",
    })
    .optional(),
});

/** The whole spec as written (before cross-field checks). */
export const experimentSpecSchema = z
  .strictObject({
    name: slug,
    description: z.string().max(2000).optional(),
    seed: z.int().min(0).max(2 ** 31 - 1).default(1),
    model: modelSchema.prefault({}),
    task: taskSchema.prefault({}),
    rounds: roundsSchema.prefault({}),
    labeling: labelingSchema.prefault({}),
    rewardModel: rewardModelSchema.prefault({}),
    trainer: z.enum(['ppo', 'dpo']).default('ppo'),
    ppo: ppoSchema.prefault({}),
    dpo: dpoSchema.prefault({}),
    evaluation: evaluationSchema.prefault({}),
    storage: storageSchema.prefault({}),
  })
  .superRefine((spec, ctx) => {
    const add = (path: (string | number)[], message: string) => ctx.addIssue({ code: 'custom', path, message });
    if (spec.model.source === 'sft') {
      const a = spec.model.sft.architecture;
      if (a.width % a.heads !== 0) add(['model', 'sft', 'architecture', 'heads'], `must divide width (${a.width} is not a multiple of ${a.heads})`);
      if (spec.rounds.sampling.maxNewTokens >= a.context) {
        add(['rounds', 'sampling', 'maxNewTokens'], `must be below model.sft.architecture.context (${a.context}) to leave room for the prompt (got ${spec.rounds.sampling.maxNewTokens})`);
      }
      if (spec.model.sft.task !== undefined && spec.model.sft.task !== spec.task.name) {
        add(['model', 'sft', 'task'], `must match task.name ('${spec.task.name}'): one task per experiment (got '${spec.model.sft.task}')`);
      }
    }
    const q = spec.labeling.quorum;
    if ('tasks' in q && q.tasks > spec.rounds.promptsPerRound) {
      add(['labeling', 'quorum'], `a quorum of ${q.tasks} tasks exceeds rounds.promptsPerRound (${spec.rounds.promptsPerRound}, one ranking task per prompt)`);
    }
    if (spec.ppo.minibatch > spec.ppo.promptsPerIteration) {
      add(['ppo', 'minibatch'], `must be ≤ ppo.promptsPerIteration (${spec.ppo.promptsPerIteration}) (got ${spec.ppo.minibatch})`);
    }
  });

/** A validated experiment spec with every default filled in. Durations are milliseconds. */
export type ExperimentSpec = z.output<typeof experimentSpecSchema>;
