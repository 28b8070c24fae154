/**
 * A stand-in for the ML engine behind the activities' engine port, for activity-layer tests that must steer what
 * the engine does (fail at iteration 3, take 200 ms per step, produce bytes that differ on a retry) — things the
 * real engine does not do on request. Its "models" are a JSON blob with one number, the probability of honouring
 * the constraint, and its samples are real task sentences, so the simulated labelers and the judge give real
 * rankings and win rates. It checks its AbortSignal between steps like the real trainers must.
 *
 * The engine's own correctness is tested in engine/; the activities are also tested on the real engine.
 */
import type { DpoMetrics, PpoMetrics } from '../activities/experiment-activity-types';
import type { EngineCallOptions, ExperimentEngine, PolicyTrainer, SampledPrompt } from '../activities/experiment-engine';
import { createBuiltinTask, generateCompletion, type BuiltinTask } from '../engine/task';
import { Rng } from '../engine/util/rng';
import type { ExperimentSpec } from '../lib/spec';

interface PolicyBlob {
  kind: 'policy';
  honour: number;
}

interface TrainerState {
  kind: 'ppo-state' | 'dpo-state';
  done: number;
  honour: number;
  rng: ReturnType<Rng['state']>;
  /** Makes states of different attempts differ on purpose when `nondeterministic` is set. */
  salt?: number;
}

/** What a test can make the engine do. */
export interface EngineScript {
  /** Wall time of each trainer step (and each SFT step), ms. */
  stepDelayMs?: number;
  /** Throw a plain (retryable) error when a trainer is about to run this unit, for the first `times` calls. */
  failBeforeUnit?: { unit: number; times: number };
  /** Every opened trainer salts its states with a counter, so a rerun unit yields different bytes. */
  nondeterministic?: boolean;
}

const enc = (v: unknown) => Buffer.from(JSON.stringify(v), 'utf8');
const dec = <T>(b: Uint8Array): T => JSON.parse(Buffer.from(b).toString('utf8')) as T;

function abortIf(signal: AbortSignal): void {
  if (signal.aborted) throw signal.reason instanceof Error ? signal.reason : new Error('aborted');
}

async function wait(ms: number, signal: AbortSignal): Promise<void> {
  if (ms <= 0) return;
  await new Promise<void>((resolve) => {
    // The listener goes when the step ends either way: a trainer waits thousands of times on one activity's signal.
    const done = () => {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const t = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
  abortIf(signal);
}

/** The scripted engine, with counters a test can read. */
export class ScriptedEngine implements ExperimentEngine {
  readonly task: BuiltinTask = createBuiltinTask({ demonstrations: 50, pretrainTexts: 10 });
  /** Units stepped by all trainers (a resumed trainer does not repeat units). */
  unitsStepped = 0;
  trainersOpened = 0;
  /** States opened by trainers (undefined = fresh). */
  readonly openedStates: (number | undefined)[] = [];
  private failuresLeft: number;
  private salt = 0;

  constructor(readonly script: EngineScript = {}) {
    this.failuresLeft = script.failBeforeUnit?.times ?? 0;
  }

  async trainSft(spec: ExperimentSpec, seed: number, opts: EngineCallOptions) {
    const steps = Math.min(spec.model.source === 'sft' ? spec.model.sft.steps : 1, 5);
    for (let s = 1; s <= steps; s++) {
      await wait(this.script.stepDelayMs ?? 0, opts.signal);
      opts.onProgress?.({ done: s, total: steps, values: { loss: 3 / s } });
    }
    return { policy: enc({ kind: 'policy', honour: 0.3 } satisfies PolicyBlob), description: { seed, architecture: 'scripted' }, sft: { steps, finalLoss: 3 / steps } };
  }

  async importOnnxFolder(folder: string): Promise<never> {
    throw new Error(`scripted engine: cannot import ${folder}`);
  }

  private complete(prompt: ReturnType<BuiltinTask['samplePrompts']>[number], honour: number, rng: Rng): string {
    return generateCompletion(prompt, rng.bernoulli(honour), rng);
  }

  async generateSamples(spec: ExperimentSpec, args: { policy: Uint8Array; roundIndex: number; seed: number }, opts: EngineCallOptions): Promise<SampledPrompt[]> {
    const p = dec<PolicyBlob>(args.policy);
    const rng = Rng.fromSeed(args.seed);
    const prompts = this.task.samplePrompts(spec.rounds.promptsPerRound, rng.fork('prompts'));
    // samplePrompts draws with replacement; the platform wants each prompt once per round.
    const unique = [...new Map(prompts.map((q) => [q.id, q])).values()];
    abortIf(opts.signal);
    return unique.map((q) => ({
      prompt: { key: q.id, text: q.text, split: q.split },
      completions: Array.from({ length: spec.rounds.completionsPerPrompt }, () => ({ text: this.complete(q, p.honour, rng), tokens: 8, logprob: -12.5 })),
    }));
  }

  async fitRewardModel(_spec: ExperimentSpec, args: { init: Uint8Array; rankings: { completions: unknown[] }[]; seed: number }, opts: EngineCallOptions) {
    await wait(this.script.stepDelayMs ?? 0, opts.signal);
    const pairs = args.rankings.reduce((n, r) => n + (r.completions.length * (r.completions.length - 1)) / 2, 0);
    return { rewardModel: enc({ kind: 'rm', rankings: args.rankings.length }), heldoutAccuracy: 0.75, pairsUsed: pairs, rankingsUsed: args.rankings.length, finalLoss: 0.5 };
  }

  private trainer<M>(kind: TrainerState['kind'], policy: Uint8Array, state: Uint8Array | undefined, seed: number, metricsOf: (s: TrainerState) => M): PolicyTrainer<M> {
    let s: TrainerState = state ? dec<TrainerState>(state) : { kind, done: 0, honour: dec<PolicyBlob>(policy).honour, rng: Rng.fromSeed(seed).state() };
    if (s.kind !== kind) throw new Error(`scripted engine: a ${s.kind} cannot open a ${kind} trainer`);
    this.trainersOpened += 1;
    this.openedStates.push(state ? s.done : undefined);
    if (this.script.nondeterministic) s = { ...s, salt: ++this.salt };
    return {
      get done() {
        return s.done;
      },
      step: async (signal) => {
        const f = this.script.failBeforeUnit;
        if (f && s.done + 1 === f.unit && this.failuresLeft > 0) {
          this.failuresLeft -= 1;
          throw new Error(`scripted engine: failing before ${kind} unit ${f.unit} on purpose`);
        }
        await wait(this.script.stepDelayMs ?? 0, signal);
        const rng = Rng.fromState(s.rng);
        s = { ...s, done: s.done + 1, honour: Math.min(0.95, s.honour + 0.05 + 0.001 * rng.uniform()), rng: rng.state() };
        this.unitsStepped += 1;
        return { metrics: metricsOf(s), values: { honour: s.honour, unit: s.done } };
      },
      saveState: async () => enc(s),
      exportPolicy: async () => enc({ kind: 'policy', honour: s.honour } satisfies PolicyBlob),
      close: async () => undefined,
    };
  }

  async openPpo(_spec: ExperimentSpec, args: { policy: Uint8Array; state?: Uint8Array; seed: number }): Promise<PolicyTrainer<PpoMetrics>> {
    return this.trainer('ppo-state', args.policy, args.state, args.seed, (s) => ({ meanReward: s.honour, klMean: s.done / 10, klCoef: 0.2, clipFraction: 0.1, entropy: 2, valueLoss: 0.3, policyLoss: -0.01 }));
  }

  async openDpo(_spec: ExperimentSpec, args: { policy: Uint8Array; state?: Uint8Array; seed: number }): Promise<PolicyTrainer<DpoMetrics>> {
    return this.trainer('dpo-state', args.policy, args.state, args.seed, (s) => ({ loss: 1 - s.honour, rewardAccuracy: s.honour, klMean: s.done / 10 }));
  }

  async evaluate(spec: ExperimentSpec, args: { policy: Uint8Array; reference: Uint8Array; seed: number }, opts: EngineCallOptions) {
    const policy = dec<PolicyBlob>(args.policy);
    const reference = dec<PolicyBlob>(args.reference);
    const rng = Rng.fromSeed(args.seed);
    const prompts = this.task.samplePrompts(spec.evaluation.heldoutPrompts, rng.fork('prompts'), 'heldout');
    const items = prompts.map((q) => ({ prompt: q, a: this.complete(q, policy.honour, rng), b: this.complete(q, reference.honour, rng) }));
    abortIf(opts.signal);
    const w = this.task.judge.winRate(items);
    return {
      metrics: { winRate: w.winRate, winRateCi95: w.ci95 as [number, number], klMean: policy.honour - reference.honour, rmScore: policy.honour, heldoutPrompts: prompts.length, judge: 'oracle' as const },
      details: { wins: w.wins, ties: w.ties, losses: w.losses },
    };
  }
}
