/**
 * The activities' engine port (experiment-engine.ts) over the engine facade (engine/index.ts): the spec's settings
 * become trainer options, platform records (rankings from Postgres) become the trainers' inputs, and models and
 * trainer states become bytes (one safetensors file each).
 */
import {
  UnsupportedModelFolderError,
  createBuiltinTask,
  deserializeModel,
  deserializeTrainerState,
  evaluatePolicy,
  fitRewardModel,
  importHfFolder,
  rankedSamples,
  runDpo,
  runPpo,
  sampleCompletions,
  serializeModel,
  serializeTrainerState,
  trainTaskSft,
  type BuiltinTask,
  type ModelBundle,
  type PpoProgress,
  type RankedCompletions,
  type TaskPrompt,
  type TrainerState,
} from '../engine';
import { SessionCache, paramShapes } from '../engine/platform';
import { Rng } from '../engine/util/rng';
import type { TrainingRanking } from '../lib/domain';
import { type ExperimentSpec, ppoForRound } from '../lib/spec';
import { permanentFailure } from './activity-failure';
import type { DpoMetrics, PpoMetrics } from './experiment-activity-types';
import type { EngineCallOptions, ExperimentEngine, PolicyTrainer, SampledPrompt } from './experiment-engine';
import { stepwiseTrainer } from './stepwise-trainer';

export interface EngineAdapterOptions {
  /** Intra-op threads of every ONNX Runtime session (HONE_ORT_THREADS). */
  ortThreads: number;
}

const abortIf = (signal: AbortSignal) => {
  if (signal.aborted) throw signal.reason instanceof Error ? signal.reason : new Error('aborted');
};

/** The policy weights of a trainer state (PPO keeps its value network beside them, prefixed `value.`). */
function policyFromState(state: TrainerState, tokenizer: ModelBundle['tokenizer']): Uint8Array {
  const names = paramShapes(state.config).map((p) => p.name);
  const weights = Object.fromEntries(names.map((n) => [n, state.weights[n]]));
  return serializeModel({ config: state.config, tokenizer: state.tokenizer ?? tokenizer, weights });
}

/**
 * The prompts of a split that the spec allows (`task.topics`, `task.constraints`: topic ids and constraint kinds as
 * the built-in task names them). A name the task does not know is a permanent error naming it.
 */
export function promptsOf(task: BuiltinTask, spec: ExperimentSpec, split: 'train' | 'heldout'): TaskPrompt[] {
  const all = split === 'train' ? task.trainPrompts : task.heldoutPrompts;
  const { topics, constraints } = spec.task;
  if (!topics && !constraints) return [...all];
  const known = { topics: new Set([...task.trainPrompts, ...task.heldoutPrompts].map((p) => p.topic)), kinds: new Set([...task.trainPrompts, ...task.heldoutPrompts].map((p) => p.constraint.kind as string)) };
  const unknown = [...(topics ?? []).filter((t) => !known.topics.has(t)).map((t) => `topic ${t}`), ...(constraints ?? []).filter((c) => !known.kinds.has(c)).map((c) => `constraint ${c}`)];
  if (unknown.length > 0) throw permanentFailure('SPEC_INVALID', `task: the built-in task has no ${unknown.join(', ')} (topics: ${[...known.topics].join(', ')}; constraints: ${[...known.kinds].join(', ')})`);
  const picked = all.filter((p) => (!topics || topics.includes(p.topic)) && (!constraints || constraints.includes(p.constraint.kind)));
  if (picked.length === 0) throw permanentFailure('SPEC_INVALID', `task: no ${split} prompt has one of topics ${JSON.stringify(topics ?? 'any')} with one of constraints ${JSON.stringify(constraints ?? 'any')}`);
  return picked;
}

/**
 * The completions the reward model's scores are normalised on (mean 0, std 1): those of the first round's
 * rankings, which were sampled from the prepared policy — the reference PPO's KL term is measured against. Later
 * rounds sample the PPO policy; mixing its completions in would move the zero and the scale from round to round.
 */
export function referenceSamplesOf(rankings: readonly TrainingRanking[]): { prompt: string; completion: string }[] {
  if (rankings.length === 0) return [];
  const first = Math.min(...rankings.map((r) => r.roundIndex));
  return rankedSamples(toRankedCompletions(rankings.filter((r) => r.roundIndex === first)));
}

/** Platform rankings (best first, ties sharing a rank) as the trainers' K-way rankings. */
export function toRankedCompletions(rankings: readonly TrainingRanking[]): RankedCompletions[] {
  return rankings.map((r) => {
    const groups: number[][] = [];
    r.completions.forEach((c, i) => {
      (groups[c.rank] ??= []).push(i);
    });
    return { prompt: r.prompt.text, completions: r.completions.map((c) => c.text), ranking: groups.filter((g) => g && g.length > 0) };
  });
}

/** Creates the engine the `hone-train` worker runs: one session cache (ORT threads from the worker's settings). */
export function createEngineAdapter(opts: EngineAdapterOptions): ExperimentEngine & { close(): Promise<void> } {
  const sessions = new SessionCache({ threads: opts.ortThreads, spinning: false });
  const tasks = new Map<string, BuiltinTask>();
  /** The built-in task as the spec configures it (its prompts and oracle are the same for every configuration). */
  const taskOf = (spec: ExperimentSpec): BuiltinTask => {
    const key = `${spec.task.corpusSize}/${spec.task.demoComplianceShare}`;
    let t = tasks.get(key);
    if (!t) {
      t = createBuiltinTask({ demonstrations: spec.task.corpusSize, honourShare: spec.task.demoComplianceShare });
      tasks.set(key, t);
    }
    return t;
  };
  const bundle = (bytes: Uint8Array, what: string): ModelBundle => {
    try {
      return deserializeModel(bytes);
    } catch (e) {
      throw permanentFailure('MODEL_INVALID', `${what} is not a hone model: ${(e as Error).message}`);
    }
  };

  return {
    async trainSft(spec, seed, o: EngineCallOptions) {
      if (spec.model.source !== 'sft') throw permanentFailure('INVALID_ARGUMENT', 'trainSft needs model.sft in the spec');
      const s = spec.model.sft;
      const a = s.architecture;
      const task = taskOf(spec);
      const r = await trainTaskSft(task, {
        config: { context: a.context, width: a.width, layers: a.layers, heads: a.heads, ...(a.vocabSize ? { vocabSize: a.vocabSize } : {}) },
        steps: s.steps,
        batchSize: s.batch,
        lr: s.lr,
        warmupSteps: s.warmupSteps,
        weightDecay: s.weightDecay,
        seed,
        signal: o.signal,
        session: { threads: opts.ortThreads, spinning: false },
        onProgress: (step, m) => o.onProgress?.({ done: step, total: s.steps, values: { loss: m.loss, lr: m.lr, grad_norm: m.gradNorm, ...(m.evalLoss !== undefined ? { eval_loss: m.evalLoss } : {}) } }),
      });
      const last = r.history[r.history.length - 1];
      const c = r.bundle.config;
      return {
        policy: serializeModel(r.bundle),
        description: { architecture: `gpt2 ${c.layers}x${c.width}, ${c.heads} heads, context ${c.context}, vocab ${c.vocabSize}` },
        sft: { steps: r.step, finalLoss: last?.loss ?? Number.NaN },
      };
    },

    async importOnnxFolder(folder, _spec, o) {
      abortIf(o.signal);
      let b: ModelBundle;
      try {
        b = await importHfFolder(folder);
      } catch (e) {
        if (e instanceof UnsupportedModelFolderError || (e as NodeJS.ErrnoException).code === 'ENOENT') throw permanentFailure('MODEL_INVALID', `model folder ${folder}: ${(e as Error).message}`);
        throw e;
      }
      const c = b.config;
      return { policy: serializeModel(b), description: { folder, architecture: `gpt2 ${c.layers}x${c.width}, ${c.heads} heads, context ${c.context}, vocab ${c.vocabSize}` } };
    },

    async generateSamples(spec, args, o): Promise<SampledPrompt[]> {
      const task = taskOf(spec);
      // Distinct prompts per round, drawn with the round's seed from the training split.
      const prompts = Rng.fromSeed(args.seed).fork('prompts').shuffle(promptsOf(task, spec, 'train')).slice(0, spec.rounds.promptsPerRound);
      abortIf(o.signal);
      const s = spec.rounds.sampling;
      const out = await sampleCompletions(bundle(args.policy, 'the policy'), prompts.map((p) => p.text), {
        k: spec.rounds.completionsPerPrompt,
        seed: args.seed,
        maxNewTokens: s.maxNewTokens,
        temperature: s.temperature,
        topK: s.topK,
        topP: s.topP,
      });
      abortIf(o.signal);
      o.onProgress?.({ done: prompts.length, total: prompts.length });
      return out.map((r, i) => ({
        prompt: { key: prompts[i].id, text: prompts[i].text, split: prompts[i].split },
        completions: r.completions.map((c, j) => ({ text: r.texts[j], tokens: c.tokens.length, logprob: c.logProbs.reduce((x, y) => x + y, 0) })),
      }));
    },

    async fitRewardModel(spec, args, o) {
      const task = taskOf(spec);
      const rm = spec.rewardModel;
      const r = await fitRewardModel(bundle(args.init, 'the reward model’s initial policy'), toRankedCompletions(args.rankings), {
        steps: rm.steps,
        lr: rm.lr,
        batch: rm.batch,
        heldoutShare: rm.heldoutShare,
        seed: args.seed,
        referenceSamples: referenceSamplesOf(args.rankings),
        oracle: (p, c) => task.oracle.score(p, c).total,
        sessions,
        signal: o.signal,
        onProgress: (p) => o.onProgress?.({ done: p.step, total: p.steps, values: p.loss !== undefined ? { loss: p.loss } : {} }),
      });
      const m = r.metrics;
      return { rewardModel: serializeModel(r.model), heldoutAccuracy: m.heldoutAccuracy, pairsUsed: m.pairsUsed, rankingsUsed: m.rankingsUsed, finalLoss: m.finalLoss };
    },

    async openPpo(spec, args): Promise<PolicyTrainer<PpoMetrics>> {
      const task = taskOf(spec);
      const p = ppoForRound(spec, args.roundIndex);
      if (p.valueInitFrom !== 'reward-model') {
        throw permanentFailure('INVALID_ARGUMENT', `ppo.valueInitFrom '${p.valueInitFrom}' is not supported by the built-in engine, which initialises the value network from the reward model (InstructGPT §3.6)`);
      }
      // Rollout prompts: balanced by constraint kind over the whole training split, or drawn from the spec's subset.
      const allowed = spec.task.topics || spec.task.constraints ? promptsOf(task, spec, 'train').map((q) => q.text) : undefined;
      const drawPrompts = (n: number, rng: Rng) => (allowed ? Array.from({ length: n }, () => allowed[rng.int(allowed.length)]) : task.samplePrompts(n, rng).map((q) => q.text));
      const policy = bundle(args.policy, 'the policy');
      const reference = bundle(args.reference, 'the reference');
      const rewardModel = bundle(args.rewardModel, 'the reward model');
      return stepwiseTrainer<PpoProgress, PpoMetrics>({
        resumeFrom: args.state ? deserializeTrainerState(args.state) : undefined,
        run: async (hooks) => {
          const r = await runPpo(
            { policy, reference, rewardModel, prompts: drawPrompts, pretrainTexts: task.pretrainTexts },
            {
              iterations: p.iterations,
              promptsPerIteration: p.promptsPerIteration,
              minibatch: p.minibatch,
              epochs: p.epochs,
              lr: p.lr,
              clip: p.clip,
              valueClip: p.valueClip,
              adaptiveKl: p.adaptive,
              klTarget: p.klTarget,
              klHorizon: p.klHorizon,
              initKlCoef: p.initKlCoef,
              gamma: p.gamma,
              gaeLambda: p.gaeLambda,
              ptxCoef: p.ptxCoef,
              maxNewTokens: spec.rounds.sampling.maxNewTokens,
              seed: args.seed,
              sessions,
              checkpointEvery: 1,
              ...hooks,
            },
          );
          return { state: r.checkpoint, policy: serializeModel(r.policy) };
        },
        unitOf: (pr) => pr.iteration,
        metricsOf: ({ metrics: m }) => ({
          metrics: { meanReward: m.meanReward, klMean: m.klPerSequence, klCoef: m.klCoef, clipFraction: m.clipFraction, entropy: m.entropy, valueLoss: m.valueLoss, policyLoss: m.policyLoss },
          values: Object.fromEntries(Object.entries(m).filter(([k, v]) => k !== 'iteration' && typeof v === 'number').map(([k, v]) => [snake(k), v as number])),
        }),
        serializeState: serializeTrainerState,
        policyOf: (s) => policyFromState(s, policy.tokenizer),
      });
    },

    async openDpo(spec, args): Promise<PolicyTrainer<DpoMetrics>> {
      const d = spec.dpo;
      const policy = bundle(args.policy, 'the policy');
      const reference = bundle(args.reference, 'the reference');
      type DpoProgress = { phase: 'train' | 'evaluate'; step: number; steps: number; loss?: number; margin?: number; accuracy?: number };
      return stepwiseTrainer<DpoProgress, DpoMetrics>({
        resumeFrom: args.state ? deserializeTrainerState(args.state) : undefined,
        run: async (hooks) => {
          const r = await runDpo(
            { policy, reference, rankings: toRankedCompletions(args.rankings) },
            { beta: d.beta, steps: d.steps, lr: d.lr, batch: d.batch, seed: args.seed, sessions, checkpointEvery: 1, progressEvery: 1, ...hooks },
          );
          return { state: r.checkpoint, policy: serializeModel(r.policy) };
        },
        unitOf: (pr) => (pr.phase === 'train' ? pr.step : undefined),
        metricsOf: (pr) => ({
          // DPO does not measure KL to the reference while it trains; the round's evaluation does.
          metrics: { loss: pr.loss ?? Number.NaN, rewardAccuracy: pr.accuracy ?? Number.NaN, klMean: 0 },
          values: { loss: pr.loss ?? Number.NaN, margin: pr.margin ?? Number.NaN, accuracy: pr.accuracy ?? Number.NaN },
        }),
        serializeState: serializeTrainerState,
        policyOf: (s) => policyFromState(s, policy.tokenizer),
      });
    },

    async evaluate(spec, args, o) {
      const task = taskOf(spec);
      abortIf(o.signal);
      // The held-out split is ordered so that any prefix is balanced by constraint kind.
      const prompts = promptsOf(task, spec, 'heldout').slice(0, spec.evaluation.heldoutPrompts).map((p) => p.text);
      const ev = await evaluatePolicy(
        { policy: bundle(args.policy, 'the policy'), reference: bundle(args.reference, 'the reference'), rewardModel: bundle(args.rewardModel, 'the reward model'), prompts, judge: (p, a, b) => task.judge.compare(p, a, b), honoured: (p, c) => task.oracle.score(p, c).constraint >= 1 },
        { seed: args.seed, maxNewTokens: spec.rounds.sampling.maxNewTokens, sessions },
      );
      abortIf(o.signal);
      o.onProgress?.({ done: prompts.length, total: prompts.length });
      return {
        metrics: { winRate: ev.winRate, winRateCi95: ev.winRateCi95, klMean: ev.klMean, rmScore: ev.rmScore?.policy ?? 0, heldoutPrompts: ev.prompts, judge: 'oracle' },
        details: { wins: ev.wins, ties: ev.ties, losses: ev.losses, klCi95: ev.klCi95, klPerToken: ev.klPerToken, rmScore: ev.rmScore, honoured: ev.honoured, responseLength: ev.responseLength, eosShare: ev.eosShare, examples: ev.examples },
      };
    },

    async close() {
      await sessions.clear();
    },
  };
}

function snake(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}
