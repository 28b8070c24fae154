/**
 * The experiment workflow's contract: task queues, workflow id scheme, input/output, signals, updates and queries.
 * Imported alike by the workflow, the HTTP API, the CLI and the worker, so a message has exactly one definition.
 *
 * Deterministic and dependency-free apart from `@temporalio/workflow`'s definers (safe outside workflows too)
 * and types.
 */
import { ActivityCancellationType, defineQuery, defineSignal, defineUpdate, type ActivityOptions } from '@temporalio/workflow';
import type {
  ControlActivityName,
  EvaluationMetrics,
  ExperimentActivities,
  RoundSummary,
  TrainActivityName,
} from '../activities/experiment-activity-types';
import type { SpecSummary, TrainingSteps } from '../lib/spec/spec-summary';

// ---------------------------------------------------------------------------------------------------- queues and ids

/** Workflows and light (database) activities. */
export const CONTROL_TASK_QUEUE = 'hone-control';
/** Heavy activities (SFT, sampling, reward model, PPO/DPO, evaluation): scale these workers out. */
export const TRAIN_TASK_QUEUE = 'hone-train';

/** Which activities a `hone-train` worker must register; a `hone-control` worker registers the rest. */
export const TRAIN_ACTIVITY_NAMES: readonly TrainActivityName[] = ['preparePolicy', 'generateSamples', 'fitRewardModel', 'runPpoEpochs', 'runDpo', 'evaluate'];
export const CONTROL_ACTIVITY_NAMES: readonly ControlActivityName[] = ['openLabelingRound', 'countRankings', 'closeLabelingRound', 'setExperimentStatus', 'recordRoundSummary', 'finalizeExperiment'];

const WORKFLOW_ID_PREFIX = 'experiment-';

/** The workflow id of an experiment: one workflow (chain of runs) per experiment. */
export function experimentWorkflowId(experimentId: string): string {
  return `${WORKFLOW_ID_PREFIX}${experimentId}`;
}

/** Inverse of {@link experimentWorkflowId}; undefined for other workflow ids. */
export function experimentIdFromWorkflowId(workflowId: string): string | undefined {
  return workflowId.startsWith(WORKFLOW_ID_PREFIX) && workflowId.length > WORKFLOW_ID_PREFIX.length ? workflowId.slice(WORKFLOW_ID_PREFIX.length) : undefined;
}

/**
 * The idempotency key of one step: `experiment-abc/r2/ppo-6-12`. Stable across activity retries and workflow
 * replays, unique per step. `round` is the 0-based round index, or a tag for steps outside rounds (`prepare`,
 * `final`, or a run id for repeatable steps such as status writes).
 */
export function activityKey(workflowId: string, round: number | string, step: string): string {
  return `${workflowId}/${typeof round === 'number' ? `r${round}` : round}/${step}`;
}

/** A 31-bit seed for one step, derived from the spec seed (FNV-1a over `seed/round/step`). */
export function deriveSeed(specSeed: number, round: number | string, step: string): number {
  let h = 0x811c9dc5;
  for (const ch of `${specSeed}/${round}/${step}`) {
    h ^= ch.charCodeAt(0);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h & 0x7fffffff;
}

// ---------------------------------------------------------------------------------------------------- errors

/**
 * Error types (AppError codes) that retrying cannot fix. Activities throw them as non-retryable ApplicationFailures;
 * the workflow's retry policies also list them, so a plain `ApplicationFailure.create({ type })` is not retried.
 */
export const PERMANENT_ERROR_TYPES = [
  'SPEC_INVALID',
  'EXPERIMENT_NOT_FOUND',
  'ARTIFACT_NOT_FOUND',
  'ARTIFACT_CORRUPT',
  'MODEL_INVALID',
  'INSUFFICIENT_RANKINGS',
  'ROUND_STATE_CONFLICT',
  'TRAINING_DIVERGED',
  'INVALID_ARGUMENT',
] as const;
export type PermanentErrorType = (typeof PERMANENT_ERROR_TYPES)[number];

/** Types of the failures update validators reject with (the API maps them to HTTP 409/400). */
export const UPDATE_REJECTION_TYPES = {
  finished: 'EXPERIMENT_FINISHED',
  roundNotOpen: 'ROUND_NOT_OPEN',
  invalidArgument: 'INVALID_ARGUMENT',
} as const;

/** The type of the failure an experiment workflow ends with when a step fails for good. */
export const EXPERIMENT_FAILED_TYPE = 'EXPERIMENT_FAILED';

/** Upper bound on roundsTotal after extensions. */
export const MAX_ROUNDS = 1000;

// ---------------------------------------------------------------------------------------------------- input/output

/** Operational knobs with production defaults; tests shorten them. Not part of the spec (they are not science). */
export interface ExperimentTuning {
  /** Heartbeat timeout of train activities: how soon a dead train worker is noticed. */
  heartbeatTimeoutMs: number;
  /** Start-to-close limit of one train activity attempt. */
  trainStartToCloseMs: number;
  /** Start-to-close limit of one control activity attempt. */
  controlStartToCloseMs: number;
  /** First retry delay (doubles per attempt). */
  retryInitialIntervalMs: number;
  /** Attempts for a train activity before the step fails (control activities retry until they succeed or fail permanently). */
  trainMaximumAttempts: number;
  /** During a labeling wait, continue-as-new once the run's history reaches this many events (signals add up). */
  maxHistoryEvents: number;
}

export const DEFAULT_TUNING: ExperimentTuning = {
  heartbeatTimeoutMs: 60_000,
  trainStartToCloseMs: 6 * 3_600_000,
  controlStartToCloseMs: 60_000,
  retryInitialIntervalMs: 1_000,
  trainMaximumAttempts: 6,
  maxHistoryEvents: 500,
};

/** State carried from one run to the next by continue-as-new: ids, counts, one summary. */
export interface ExperimentCarriedState {
  /** Round this run works on (0-based). */
  roundIndex: number;
  roundsTotal: number;
  /** The policy this round starts from, and the frozen reference. */
  policyArtifactId: string;
  referenceArtifactId: string;
  paused: boolean;
  /** ISO time the experiment's first run started. */
  startedAt: string;
  lastRound?: RoundSummary;
  /** Present when a run continued-as-new in the middle of a labeling wait (a long wait collects many signals). */
  labeling?: OpenLabelingState;
}

/** An open labeling round, enough to resume waiting on it in a new run. */
export interface OpenLabelingState {
  samplesArtifactId: string;
  prompts: number;
  completions: number;
  taskCount: number;
  quorum: number;
  completedTasks: number;
  /** Epoch ms (workflow time); already moved forward by any paused time. */
  deadlineAt: number;
  roundStartedAt: string;
}

export interface ExperimentWorkflowInput {
  experimentId: string;
  spec: SpecSummary;
  tuning?: Partial<ExperimentTuning>;
  /** Absent on the first run; set by continue-as-new. */
  state?: ExperimentCarriedState;
}

export interface ExperimentWorkflowResult {
  status: 'completed' | 'cancelled';
  roundsCompleted: number;
  roundsTotal: number;
  policyArtifactId?: string;
  reportArtifactId?: string;
  lastMetrics?: EvaluationMetrics;
}

// ---------------------------------------------------------------------------------------------------- status

export type ExperimentPhase =
  | 'starting'
  | 'preparing'
  | 'sampling'
  | 'labeling'
  | 'fitting-reward-model'
  | 'training'
  | 'evaluating'
  | 'recording'
  | 'finalizing'
  | 'completed'
  | 'cancelled'
  | 'failed';

export interface ExperimentProgress {
  rounds: { completed: number; total: number };
  /** During `labeling`: completed tasks against the quorum, and the deadline (moves forward while paused). */
  labels?: { completedTasks: number; quorum: number; taskCount: number; deadlineAt: string; closeRequested: boolean };
  /** During `training`: iterations (PPO) or steps (DPO) done of the round's total, at activity granularity. */
  training?: { trainer: 'ppo' | 'dpo'; unit: 'iterations' | 'steps'; done: number; total: number };
}

export interface ExperimentStatus {
  experimentId: string;
  phase: ExperimentPhase;
  /** 1-based round number for display (0 while preparing); `roundIndex` is the 0-based index used everywhere else. */
  round: number;
  roundIndex: number;
  roundsTotal: number;
  progress: ExperimentProgress;
  paused: boolean;
  cancelRequested: boolean;
  lastMetrics?: EvaluationMetrics;
  /** ISO 8601, workflow time. */
  startedAt: string;
  updatedAt: string;
}

// ---------------------------------------------------------------------------------------------------- messages

/**
 * Sent by the API after it stores a ranking: the round's count of completed tasks as read from the database just
 * after the write. Absolute counts (never payloads): duplicates and reordering are harmless (the workflow keeps the
 * maximum), and the API may coalesce bursts into one signal with the latest count.
 */
export const rankingSubmittedSignal = defineSignal<[RankingSubmitted]>('rankingSubmitted');
export interface RankingSubmitted {
  roundIndex: number;
  completedTasks: number;
}

export interface SteeringArgs {
  /** Who asked (for logs; the API writes the audit event). */
  by?: string;
  reason?: string;
}

/**
 * Pause at the next step boundary (a running activity finishes first); an open labeling wait freezes at once and
 * its deadline stops running. Idempotent. Rejected once the experiment is finalizing or finished.
 */
export const pauseUpdate = defineUpdate<ExperimentStatus, [SteeringArgs]>('pause');
/** Resume after a pause. Idempotent. Rejected once finished. */
export const resumeUpdate = defineUpdate<ExperimentStatus, [SteeringArgs]>('resume');
/**
 * Cancel: the running activity is cancelled, the status `cancelled` recorded and the workflow completes with
 * `status: 'cancelled'`. Idempotent. Rejected once finalizing or finished.
 */
export const cancelUpdate = defineUpdate<ExperimentStatus, [SteeringArgs]>('cancel');

export interface ExtendRoundsArgs extends SteeringArgs {
  /** Positive integer: rounds to add. */
  additionalRounds: number;
}
/** Adds rounds; returns the new total. Rejected for a non-positive or non-integer count, or once finalizing. */
export const extendRoundsUpdate = defineUpdate<{ roundsTotal: number }, [ExtendRoundsArgs]>('extendRounds');

export interface CloseRoundArgs extends SteeringArgs {
  /** If given, must be the open round: a stale request for an earlier round is rejected instead of closing the next. */
  roundIndex?: number;
}
/** Ends the open labeling wait now with the rankings collected so far. Rejected unless a labeling round is open. */
export const closeRoundUpdate = defineUpdate<{ roundIndex: number; completedTasks: number }, [CloseRoundArgs]>('closeRound');

/** The experiment's phase, round and progress. */
export const statusQuery = defineQuery<ExperimentStatus>('status');

// ---------------------------------------------------------------------------------------------------- activity options

/**
 * Queue, timeouts and retry policy of every activity. Control activities touch only the database and retry until it
 * answers (an outage should stall, not fail, an experiment that has waited days for labels). Train activities
 * heartbeat, so a dead worker is noticed within `heartbeatTimeoutMs`, resume from checkpoints on their next attempt,
 * and get a bounded number of attempts so a crash loop (say, out of memory) ends. They wait for cancellation to
 * complete: on cancel the trainer stops and saves before the workflow records `cancelled`. Permanent error types
 * are never retried.
 */
export function experimentActivityOptions(t: ExperimentTuning): Record<keyof ExperimentActivities, ActivityOptions> {
  const nonRetryableErrorTypes = [...PERMANENT_ERROR_TYPES];
  const control = (startToCloseMs: number): ActivityOptions => ({
    taskQueue: CONTROL_TASK_QUEUE,
    startToCloseTimeout: startToCloseMs,
    retry: { initialInterval: t.retryInitialIntervalMs, backoffCoefficient: 2, maximumInterval: 60_000, nonRetryableErrorTypes },
  });
  const train = (startToCloseMs: number): ActivityOptions => ({
    taskQueue: TRAIN_TASK_QUEUE,
    startToCloseTimeout: startToCloseMs,
    heartbeatTimeout: t.heartbeatTimeoutMs,
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
    retry: { initialInterval: t.retryInitialIntervalMs * 5, backoffCoefficient: 2, maximumInterval: 5 * 60_000, maximumAttempts: t.trainMaximumAttempts, nonRetryableErrorTypes },
  });
  const long = t.trainStartToCloseMs;
  // Sampling and evaluation are inference only: a quarter of the training limit is plenty.
  const short = Math.max(Math.round(long / 4), t.heartbeatTimeoutMs);
  const db = t.controlStartToCloseMs;
  return {
    preparePolicy: train(long),
    generateSamples: train(short),
    fitRewardModel: train(long),
    runPpoEpochs: train(long),
    runDpo: train(long),
    evaluate: train(short),
    openLabelingRound: control(db),
    countRankings: control(db),
    closeLabelingRound: control(db),
    setExperimentStatus: control(db),
    recordRoundSummary: control(db),
    // The report reads every round's rows and writes an artifact: more than a single query.
    finalizeExperiment: control(db * 5),
  };
}

// ---------------------------------------------------------------------------------------------------- input checks

/** How round `roundIndex` (0-based) trains: the spec's `training`, or its `laterRounds` from the second round on. */
export function trainingStepsOf(summary: Pick<SpecSummary, 'training'>, roundIndex: number): TrainingSteps {
  const { laterRounds, ...first } = summary.training;
  return roundIndex > 0 && laterRounds ? laterRounds : first;
}

/**
 * Problems with a workflow input, as messages (empty = fine). The workflow refuses bad input with INVALID_ARGUMENT;
 * the API can call this first to answer 400 instead of starting a workflow that fails at once.
 */
export function experimentInputProblems(input: ExperimentWorkflowInput): string[] {
  const problems: string[] = [];
  const positiveInt = (v: unknown, name: string) => {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) problems.push(`${name} must be a positive integer (got ${JSON.stringify(v)})`);
  };
  const positive = (v: unknown, name: string) => {
    if (typeof v !== 'number' || !(v > 0)) problems.push(`${name} must be a positive number (got ${JSON.stringify(v)})`);
  };
  if (typeof input?.experimentId !== 'string' || input.experimentId === '') problems.push('experimentId must be a non-empty string');
  const spec = input?.spec;
  if (!spec) {
    problems.push('spec (a SpecSummary) is required');
  } else {
    positiveInt(spec.rounds, 'spec.rounds');
    // A zero chunk size would never finish a round.
    positiveInt(spec.training?.total, 'spec.training.total');
    positiveInt(spec.training?.perActivity, 'spec.training.perActivity');
    if (spec.training?.laterRounds !== undefined) {
      positiveInt(spec.training.laterRounds.total, 'spec.training.laterRounds.total');
      positiveInt(spec.training.laterRounds.perActivity, 'spec.training.laterRounds.perActivity');
    }
    positive(spec.labeling?.deadlineMs, 'spec.labeling.deadlineMs');
    positive(spec.labeling?.resyncIntervalMs, 'spec.labeling.resyncIntervalMs');
    if (!Number.isInteger(spec.seed)) problems.push(`spec.seed must be an integer (got ${JSON.stringify(spec.seed)})`);
    if (spec.trainer !== 'ppo' && spec.trainer !== 'dpo') problems.push(`spec.trainer must be 'ppo' or 'dpo' (got ${JSON.stringify(spec.trainer)})`);
  }
  const state = input?.state;
  if (state && !(state.roundIndex >= 0 && state.roundIndex < state.roundsTotal)) problems.push(`state.roundIndex ${state.roundIndex} is not within 0..roundsTotal-1 (${state.roundsTotal})`);
  return problems;
}
