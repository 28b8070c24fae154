/**
 * The activities that `experimentWorkflow` calls: their names, inputs and outputs. Types only — the workflow imports
 * this file with `import type`, and `createActivities(deps)` implements {@link ExperimentActivities}.
 *
 * Inputs and outputs are ids, counts and small summaries. Samples, rankings and weights live in Postgres and the
 * artifact store; activities find them by experiment id, round and artifact id. Activities read the full spec from
 * the database by experiment id.
 *
 * Every input carries an `idempotencyKey` made by the workflow from the workflow id, the round and the step
 * (see `activityKey` in workflows/experiment-contract.ts). It is the same on every retry of one step, so an
 * implementation keys its writes (rows, artifacts) by it and a retry returns what the first attempt made instead of
 * writing twice. Round indexes are 0-based.
 *
 * Errors: permanent problems are thrown as `ApplicationFailure.create({ type: code, nonRetryable: true })` with a
 * code from `PERMANENT_ERROR_TYPES` in the contract; anything else is retried per the workflow's retry policy.
 */

/** Fields every activity input carries. */
export interface ActivityInputBase {
  experimentId: string;
  /** Same on every retry of this step; distinct across steps, rounds and experiments. */
  idempotencyKey: string;
}

/** Lifecycle statuses written to the experiment row (the workflow's phase is finer-grained). */
export type ExperimentRunStatus = 'running' | 'paused' | 'cancelled' | 'failed' | 'completed';

// ---------------------------------------------------------------------------------------------------- prepare

export interface PreparePolicyInput extends ActivityInputBase {
  /** Seed for SFT data order and initialisation (derived from the spec seed). */
  seed: number;
}
export interface PreparePolicyOutput {
  /** policy₀: the SFT-trained (or loaded) policy the first round samples from. */
  policyArtifactId: string;
  /** The frozen reference for the KL penalty and the win-rate baseline; usually the same weights as policy₀. */
  referenceArtifactId: string;
  source: 'sft' | 'onnx';
  /** SFT only: final training loss and steps run. */
  sft?: { steps: number; finalLoss: number };
}

// ---------------------------------------------------------------------------------------------------- sampling

export interface GenerateSamplesInput extends ActivityInputBase {
  roundIndex: number;
  policyArtifactId: string;
  seed: number;
}
export interface GenerateSamplesOutput {
  samplesArtifactId: string;
  prompts: number;
  completions: number;
}

// ---------------------------------------------------------------------------------------------------- labeling

export interface OpenLabelingRoundInput extends ActivityInputBase {
  roundIndex: number;
  samplesArtifactId: string;
  /**
   * Proposed deadline (ISO 8601, workflow time). If the round was already opened by an earlier attempt, the stored
   * deadline wins and is returned.
   */
  deadlineAt: string;
}
export interface OpenLabelingRoundOutput {
  /** Ranking tasks in the round (one per prompt). */
  taskCount: number;
  /** Completed tasks that end the wait (the spec's quorum resolved against taskCount). */
  quorum: number;
  /** The deadline as stored (ISO 8601). */
  deadlineAt: string;
  /** Tasks already complete (non-zero only when re-opening after a retry). */
  completedTasks: number;
}

export interface CountRankingsInput extends ActivityInputBase {
  roundIndex: number;
}
export interface RankingCounts {
  taskCount: number;
  /** Tasks with all their required rankings (two for overlap tasks). */
  completedTasks: number;
  /** Ranking rows stored for the round (≥ completedTasks because of overlap). */
  rankings: number;
}

export type LabelingCloseReason = 'quorum' | 'deadline' | 'manual';

export interface CloseLabelingRoundInput extends ActivityInputBase {
  roundIndex: number;
  reason: LabelingCloseReason;
}
/** Counts as of closing: later submissions for this round are refused by the API. */
export type CloseLabelingRoundOutput = RankingCounts;

// ---------------------------------------------------------------------------------------------------- training

export interface FitRewardModelInput extends ActivityInputBase {
  roundIndex: number;
  /** Trunk initialisation (InstructGPT: from the SFT model). */
  initFromArtifactId: string;
  seed: number;
}
export interface FitRewardModelOutput {
  rewardModelArtifactId: string;
  heldoutAccuracy: number;
  /** Comparison pairs (Σ C(K,2) over rankings) used for training, across all rounds so far. */
  pairsUsed: number;
  rankingsUsed: number;
  finalLoss: number;
}

export interface PpoMetrics {
  meanReward: number;
  klMean: number;
  klCoef: number;
  clipFraction: number;
  entropy: number;
  valueLoss: number;
  policyLoss: number;
}

export interface RunPpoEpochsInput extends ActivityInputBase {
  roundIndex: number;
  /** The policy at the start of this round (used when there is no trainer checkpoint yet). */
  policyArtifactId: string;
  referenceArtifactId: string;
  rewardModelArtifactId: string;
  /** Trainer state (policy, value head, optimizer, KL coefficient) left by the previous chunk of this round. */
  resumeFromCheckpointId?: string;
  /** Iterations [fromIteration, toIteration) of `iterationsTotal` for this round. */
  fromIteration: number;
  toIteration: number;
  iterationsTotal: number;
  seed: number;
}
export interface RunPpoEpochsOutput {
  /** Policy after `toIteration` iterations. */
  policyArtifactId: string;
  /** Trainer state to resume the next chunk from. */
  checkpointArtifactId: string;
  iterationsDone: number;
  /** Iterations this attempt resumed past (from its heartbeat/checkpoint), for the audit trail. */
  resumedFromIteration?: number;
  metrics: PpoMetrics;
}
/** What `runPpoEpochs` heartbeats: progress for humans and the resume point for its next attempt. */
export interface PpoHeartbeat {
  iteration: number;
  iterationsTotal: number;
  checkpointArtifactId?: string;
}

export interface DpoMetrics {
  loss: number;
  /** Share of held-out pairs where the implicit reward prefers the chosen completion. */
  rewardAccuracy: number;
  klMean: number;
}
export interface RunDpoInput extends ActivityInputBase {
  roundIndex: number;
  policyArtifactId: string;
  referenceArtifactId: string;
  fromStep: number;
  toStep: number;
  stepsTotal: number;
  resumeFromCheckpointId?: string;
  seed: number;
}
export interface RunDpoOutput {
  policyArtifactId: string;
  checkpointArtifactId: string;
  stepsDone: number;
  metrics: DpoMetrics;
}

// ---------------------------------------------------------------------------------------------------- evaluation

export interface EvaluateInput extends ActivityInputBase {
  roundIndex: number;
  policyArtifactId: string;
  referenceArtifactId: string;
  rewardModelArtifactId: string;
  seed: number;
}
export interface EvaluationMetrics {
  /** Share of held-out prompts where the judge prefers the policy over the reference (ties count half). */
  winRate: number;
  winRateCi95: [number, number];
  /** Mean per-sequence KL(policy ‖ reference) in nats. */
  klMean: number;
  /** Mean reward-model score of policy completions (reference normalised to 0). */
  rmScore: number;
  heldoutPrompts: number;
  judge: 'oracle';
}

// ---------------------------------------------------------------------------------------------------- bookkeeping

export interface SetExperimentStatusInput extends ActivityInputBase {
  status: ExperimentRunStatus;
  /** The workflow phase at the time, e.g. `labeling`, for the audit trail. */
  phase: string;
  roundIndex: number | null;
  reason?: string;
  /** For `failed`: the error type (code) and message of the step that failed. */
  error?: { type: string; message: string };
  /**
   * When a pause moved the open labeling round's deadline (paused time does not count), the new deadline (ISO).
   * `cancelled` also closes an open labeling round; the implementation does that.
   */
  labelingDeadlineAt?: string;
}

/** One round's outcome, as recorded and as carried (the latest only) across continue-as-new. */
export interface RoundSummary {
  roundIndex: number;
  samples: { samplesArtifactId: string; prompts: number; completions: number };
  labeling: { taskCount: number; quorum: number; completedTasks: number; rankings: number; closedBy: LabelingCloseReason };
  rewardModel: { rewardModelArtifactId: string; heldoutAccuracy: number; pairsUsed: number };
  training:
    | { trainer: 'ppo'; policyArtifactId: string; iterations: number; metrics: PpoMetrics }
    | { trainer: 'dpo'; policyArtifactId: string; steps: number; metrics: DpoMetrics };
  evaluation: EvaluationMetrics;
  /** ISO 8601 (workflow time). */
  startedAt: string;
  finishedAt: string;
}

export interface RecordRoundSummaryInput extends ActivityInputBase {
  roundsTotal: number;
  summary: RoundSummary;
}

export interface FinalizeExperimentInput extends ActivityInputBase {
  roundsCompleted: number;
  roundsTotal: number;
  policyArtifactId: string;
  referenceArtifactId: string;
}
export interface FinalizeExperimentOutput {
  /** The report (metrics per round, lineage) stored as an artifact; the experiment row is marked completed. */
  reportArtifactId: string;
}

// ---------------------------------------------------------------------------------------------------- the set

/**
 * Every activity the experiment workflow calls. Heavy ones (marked *train*) run on the `hone-train` task queue and
 * heartbeat; the rest run on `hone-control`.
 */
export interface ExperimentActivities {
  /** *train*. SFT on the task corpus, or load and validate the ONNX folder. Run once per experiment. */
  preparePolicy(input: PreparePolicyInput): Promise<PreparePolicyOutput>;
  /** *train*. K completions for each of the round's prompts; stores the sample set and its rows. */
  generateSamples(input: GenerateSamplesInput): Promise<GenerateSamplesOutput>;
  /** Creates the round's ranking tasks (idempotent) and returns how many, the quorum and the deadline. */
  openLabelingRound(input: OpenLabelingRoundInput): Promise<OpenLabelingRoundOutput>;
  /** Reads the round's counts from the database: the resync path for lost signals and after continue-as-new. */
  countRankings(input: CountRankingsInput): Promise<RankingCounts>;
  /** Closes the round to further submissions and returns the final counts. */
  closeLabelingRound(input: CloseLabelingRoundInput): Promise<CloseLabelingRoundOutput>;
  /** *train*. Fits the reward model on every ranking so far; reports held-out accuracy. */
  fitRewardModel(input: FitRewardModelInput): Promise<FitRewardModelOutput>;
  /** *train*. PPO iterations [from, to) against the reward model; heartbeats {@link PpoHeartbeat}, resumes from checkpoints. */
  runPpoEpochs(input: RunPpoEpochsInput): Promise<RunPpoEpochsOutput>;
  /** *train*. DPO steps [from, to) on the rankings (the alternative trainer); heartbeats and resumes like PPO. */
  runDpo(input: RunDpoInput): Promise<RunDpoOutput>;
  /** *train*. Win rate vs the reference by the held-out judge (with CI), KL and RM score. */
  evaluate(input: EvaluateInput): Promise<EvaluationMetrics>;
  /** Writes the experiment's lifecycle status (with an audit event). */
  setExperimentStatus(input: SetExperimentStatusInput): Promise<void>;
  /** Stores the round's summary and metrics rows. */
  recordRoundSummary(input: RecordRoundSummaryInput): Promise<void>;
  /** Builds the report artifact and marks the experiment completed. */
  finalizeExperiment(input: FinalizeExperimentInput): Promise<FinalizeExperimentOutput>;
}

/** Names of the activities that run on the `hone-train` queue. */
export type TrainActivityName = 'preparePolicy' | 'generateSamples' | 'fitRewardModel' | 'runPpoEpochs' | 'runDpo' | 'evaluate';
/** Names of the activities that run on the `hone-control` queue. */
export type ControlActivityName = Exclude<keyof ExperimentActivities, TrainActivityName>;
