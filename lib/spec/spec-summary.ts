import { createHash } from 'node:crypto';
import type { ExperimentSpec, QuorumSpec } from './experiment-spec-schema';
import { ppoForRound } from './ppo-for-round';

/**
 * What the experiment workflow needs from a spec to steer (counts, durations, which trainer) — a few hundred bytes
 * that travel in workflow input and across continue-as-new. Activities read the full spec from the database by
 * experiment id; `specHash` lets them (and the audit trail) check they read the very spec this run was started with.
 */
export interface SpecSummary {
  name: string;
  seed: number;
  /** sha256 (hex) of the canonical JSON of the validated spec, defaults included. */
  specHash: string;
  model: 'sft' | 'onnx';
  trainer: 'ppo' | 'dpo';
  rounds: number;
  promptsPerRound: number;
  completionsPerPrompt: number;
  labeling: {
    quorum: QuorumSpec;
    deadlineMs: number;
    resyncIntervalMs: number;
  };
  /**
   * The policy-training step of each round, split into activities of `perActivity` units for visible progress;
   * `laterRounds`, when the spec sets `ppo.laterRounds`, is the same for every round after the first.
   */
  training: TrainingSteps & { laterRounds?: TrainingSteps };
  evaluation: { heldoutPrompts: number; judge: 'oracle' };
}

/** How one round's policy training is cut into activities. */
export interface TrainingSteps {
  unit: 'iterations' | 'steps';
  total: number;
  perActivity: number;
}

/** Summarises a validated spec for the workflow input. Pure and deterministic. */
export function specSummary(spec: ExperimentSpec): SpecSummary {
  const ppoSteps = (roundIndex: number): TrainingSteps => {
    const p = ppoForRound(spec, roundIndex);
    return { unit: 'iterations', total: p.iterations, perActivity: Math.min(p.iterationsPerActivity, p.iterations) };
  };
  const training: SpecSummary['training'] =
    spec.trainer === 'ppo'
      ? { ...ppoSteps(0), ...(spec.ppo.laterRounds ? { laterRounds: ppoSteps(1) } : {}) }
      : // DPO is one pass over the rankings; its steps are short enough to run as one activity.
        { unit: 'steps', total: spec.dpo.steps, perActivity: spec.dpo.steps };
  return {
    name: spec.name,
    seed: spec.seed,
    specHash: specHash(spec),
    model: spec.model.source,
    trainer: spec.trainer,
    rounds: spec.rounds.count,
    promptsPerRound: spec.rounds.promptsPerRound,
    completionsPerPrompt: spec.rounds.completionsPerPrompt,
    labeling: { quorum: spec.labeling.quorum, deadlineMs: spec.labeling.deadline, resyncIntervalMs: spec.labeling.resyncEvery },
    training,
    evaluation: { heldoutPrompts: spec.evaluation.heldoutPrompts, judge: spec.evaluation.judge },
  };
}

/** sha256 of the spec's canonical JSON (object keys sorted, so key order in the YAML does not change it). */
export function specHash(spec: ExperimentSpec): string {
  return createHash('sha256').update(canonicalJson(spec)).digest('hex');
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** Number of ranking tasks that make a quorum for a round of `taskCount` tasks (at least 1, at most all). */
export function quorumTasks(quorum: QuorumSpec, taskCount: number): number {
  const n = 'tasks' in quorum ? quorum.tasks : Math.ceil(quorum.share * taskCount - 1e-9);
  return Math.max(1, Math.min(taskCount, n));
}
