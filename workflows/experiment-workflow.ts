/**
 * One RLHF experiment as a durable workflow: prepare (first run only) → one round per run → continue-as-new →
 * … → finalize. See the contract module for the messages and DESIGN.md for the loop.
 *
 * Choices worth knowing:
 * - One round per run, and continue-as-new also in the middle of a labeling wait once the history grows (every
 *   ranking signal is an event), so no run's history gets near Temporal's limits.
 * - Paused time does not count against the labeling deadline: the wait freezes, and on resume the deadline moves
 *   forward by the paused time (the database is told, so the UI shows the new deadline). A person who pauses an
 *   experiment over a weekend should not come back to a round closed by its deadline.
 * - Pause/resume otherwise act at step boundaries: a running activity finishes, the next does not start.
 * - Cancel (the update) cancels the running activity, records `cancelled` and completes the workflow normally with
 *   `status: 'cancelled'`. A Temporal-level cancel (`handle.cancel()`) records the same status and then ends the
 *   execution as Cancelled, as Temporal callers expect.
 * - A step that fails for good (non-retryable error, or attempts exhausted) records `failed` with the error's
 *   type and fails the workflow with EXPERIMENT_FAILED. Bugs in this file are *not* caught: they fail the workflow
 *   task, which Temporal retries until a fixed worker is deployed.
 * - The labeling count comes from signals (absolute counts, max wins) and is re-read from the database when a run
 *   resumes a wait, after a pause, every `resyncIntervalMs`, and once more at the deadline, so a lost signal can
 *   delay a round but not lose it.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  allHandlersFinished,
  condition,
  continueAsNew,
  isCancellation,
  log,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type {
  ExperimentActivities,
  ExperimentRunStatus,
  LabelingCloseReason,
  RoundSummary,
  SetExperimentStatusInput,
} from '../activities/experiment-activity-types';
import {
  DEFAULT_TUNING,
  EXPERIMENT_FAILED_TYPE,
  MAX_ROUNDS,
  UPDATE_REJECTION_TYPES,
  activityKey,
  cancelUpdate,
  closeRoundUpdate,
  deriveSeed,
  experimentActivityOptions,
  experimentInputProblems,
  extendRoundsUpdate,
  pauseUpdate,
  rankingSubmittedSignal,
  resumeUpdate,
  statusQuery,
  trainingStepsOf,
  type ExperimentCarriedState,
  type ExperimentPhase,
  type ExperimentStatus,
  type ExperimentTuning,
  type ExperimentWorkflowInput,
  type ExperimentWorkflowResult,
  type OpenLabelingState,
  type SteeringArgs,
} from './experiment-contract';

type Outcome = { kind: 'continue'; state: ExperimentCarriedState } | { kind: 'completed'; result: ExperimentWorkflowResult };

/** Phases after which steering (other than the status query) is refused. */
const FINISHING: ReadonlySet<ExperimentPhase> = new Set(['finalizing', 'completed', 'cancelled', 'failed']);

/** Runs (or continues) one experiment. See the module comment for the semantics of pause, cancel and deadlines. */
export async function experimentWorkflow(input: ExperimentWorkflowInput): Promise<ExperimentWorkflowResult> {
  const problems = experimentInputProblems(input);
  if (problems.length > 0) {
    throw ApplicationFailure.create({ type: UPDATE_REJECTION_TYPES.invalidArgument, message: `invalid experimentWorkflow input: ${problems.join('; ')}`, nonRetryable: true });
  }
  const info = workflowInfo();
  const tuning: ExperimentTuning = { ...DEFAULT_TUNING, ...input.tuning };
  const act = activities(tuning);
  const { experimentId, spec } = input;
  const carried = input.state;

  // ------------------------------------------------------------------------------------------------ run state
  const s = {
    phase: 'starting' as ExperimentPhase,
    roundIndex: carried?.roundIndex ?? 0,
    roundsTotal: carried?.roundsTotal ?? spec.rounds,
    roundsCompleted: carried?.roundIndex ?? 0,
    policyArtifactId: carried?.policyArtifactId,
    referenceArtifactId: carried?.referenceArtifactId,
    paused: carried?.paused ?? false,
    cancelRequested: false,
    startedAt: carried?.startedAt ?? new Date(Date.now()).toISOString(),
    updatedAt: Date.now(),
    lastRound: carried?.lastRound,
    /** Highest completed-task count signalled for the current round (may arrive before the round is open here). */
    signalledCompleted: carried?.labeling?.completedTasks ?? 0,
    labeling: undefined as (OpenLabelingState & { closeRequested: boolean }) | undefined,
    training: undefined as { done: number; total: number } | undefined,
    /** True only inside the labeling wait: closeRound means nothing before it starts or after it ends. */
    waiting: false,
    step: 'start',
    statusWrites: 0,
  };
  const touch = () => {
    s.updatedAt = Date.now();
  };
  const enter = (phase: ExperimentPhase) => {
    s.phase = phase;
    touch();
  };
  const quorumReached = () => s.labeling !== undefined && s.labeling.completedTasks >= s.labeling.quorum;

  const status = (): ExperimentStatus => ({
    experimentId,
    phase: s.phase,
    round: s.policyArtifactId === undefined ? 0 : s.roundIndex + 1,
    roundIndex: s.roundIndex,
    roundsTotal: s.roundsTotal,
    progress: {
      rounds: { completed: s.roundsCompleted, total: s.roundsTotal },
      labels: s.labeling && {
        completedTasks: s.labeling.completedTasks,
        quorum: s.labeling.quorum,
        taskCount: s.labeling.taskCount,
        deadlineAt: new Date(s.labeling.deadlineAt).toISOString(),
        closeRequested: s.labeling.closeRequested,
      },
      training: s.training && { trainer: spec.trainer, unit: spec.training.unit, ...s.training },
    },
    paused: s.paused,
    cancelRequested: s.cancelRequested,
    lastMetrics: s.lastRound?.evaluation,
    startedAt: s.startedAt,
    updatedAt: new Date(s.updatedAt).toISOString(),
  });

  // ------------------------------------------------------------------------------------------------ handlers
  // All registered before the first await, so messages buffered at start (or across continue-as-new) are handled.
  let mainScope: CancellationScope | undefined;

  setHandler(rankingSubmittedSignal, ({ roundIndex, completedTasks }) => {
    if (!Number.isInteger(completedTasks) || completedTasks < 0) {
      log.warn('ignoring ranking signal with an invalid count', { roundIndex, completedTasks });
      return;
    }
    if (roundIndex !== s.roundIndex) return; // a late signal for a closed round, or a bogus one
    s.signalledCompleted = Math.max(s.signalledCompleted, completedTasks);
    if (s.labeling) s.labeling.completedTasks = Math.max(s.labeling.completedTasks, completedTasks);
    touch();
  });

  const rejectIfFinishing = (what: string) => {
    if (FINISHING.has(s.phase) || s.cancelRequested) {
      throw ApplicationFailure.create({ type: UPDATE_REJECTION_TYPES.finished, message: `cannot ${what}: experiment ${experimentId} is ${s.cancelRequested ? 'being cancelled' : s.phase}`, nonRetryable: true });
    }
  };

  setHandler(pauseUpdate, (args: SteeringArgs) => {
    if (!s.paused) log.info('pause requested', { by: args.by, reason: args.reason });
    s.paused = true;
    touch();
    return status();
  }, { validator: (_args: SteeringArgs) => rejectIfFinishing('pause') });

  setHandler(resumeUpdate, (args: SteeringArgs) => {
    if (s.paused) log.info('resume requested', { by: args.by, reason: args.reason });
    s.paused = false;
    touch();
    return status();
  }, { validator: (_args: SteeringArgs) => rejectIfFinishing('resume') });

  setHandler(cancelUpdate, (args: SteeringArgs) => {
    if (!s.cancelRequested) log.info('cancel requested', { by: args.by, reason: args.reason });
    s.cancelRequested = true;
    touch();
    mainScope?.cancel();
    return status();
  }, {
    validator: (_args: SteeringArgs) => {
      // Cancel is idempotent: a second cancel while cancelling is accepted.
      if (FINISHING.has(s.phase) && s.phase !== 'cancelled') rejectIfFinishing('cancel');
    },
  });

  setHandler(extendRoundsUpdate, ({ additionalRounds }) => {
    s.roundsTotal += additionalRounds;
    touch();
    return { roundsTotal: s.roundsTotal };
  }, {
    validator: (args) => {
      const n = (args as { additionalRounds?: unknown } | undefined)?.additionalRounds;
      if (typeof n !== 'number' || !Number.isInteger(n) || n < 1) {
        throw ApplicationFailure.create({ type: UPDATE_REJECTION_TYPES.invalidArgument, message: `additionalRounds must be a positive integer (got ${JSON.stringify(n)})`, nonRetryable: true });
      }
      if (s.roundsTotal + n > MAX_ROUNDS) {
        throw ApplicationFailure.create({ type: UPDATE_REJECTION_TYPES.invalidArgument, message: `roundsTotal would be ${s.roundsTotal + n}, above the limit of ${MAX_ROUNDS}`, nonRetryable: true });
      }
      rejectIfFinishing('extend rounds');
    },
  });

  setHandler(closeRoundUpdate, () => {
    const lab = s.labeling as NonNullable<typeof s.labeling>; // the validator guarantees an open round
    lab.closeRequested = true;
    touch();
    return { roundIndex: s.roundIndex, completedTasks: lab.completedTasks };
  }, {
    validator: (args) => {
      rejectIfFinishing('close the round');
      if (!s.waiting || !s.labeling) {
        const why = s.phase === 'labeling' ? `round ${s.roundIndex} is ${s.labeling ? 'closing' : 'still opening'}` : `experiment ${experimentId} is ${s.phase}, round ${s.roundIndex}`;
        throw ApplicationFailure.create({ type: UPDATE_REJECTION_TYPES.roundNotOpen, message: `no labeling round is open (${why})`, nonRetryable: true });
      }
      if (args?.roundIndex !== undefined && args.roundIndex !== s.roundIndex) {
        throw ApplicationFailure.create({ type: UPDATE_REJECTION_TYPES.roundNotOpen, message: `round ${args.roundIndex} is not open; the open round is ${s.roundIndex}`, nonRetryable: true });
      }
    },
  });

  setHandler(statusQuery, status);

  // ------------------------------------------------------------------------------------------------ helpers
  const key = (round: number | string, step: string) => activityKey(info.workflowId, round, step);
  const seed = (round: number | string, step: string) => deriveSeed(spec.seed, round, step);
  const iso = (ms: number) => new Date(ms).toISOString();

  /** Status writes can repeat (pause, resume, pause…), so their keys count within this run. */
  const writeStatus = (runStatus: ExperimentRunStatus, extra: Partial<SetExperimentStatusInput> = {}) => {
    s.statusWrites += 1;
    return act.setExperimentStatus({
      experimentId,
      idempotencyKey: key(info.runId, `status-${s.statusWrites}-${runStatus}`),
      status: runStatus,
      phase: s.phase,
      roundIndex: s.policyArtifactId === undefined ? null : s.roundIndex,
      ...extra,
    });
  };

  /** Holds while paused. An open labeling round's deadline moves forward by the paused time. */
  const holdWhilePaused = async () => {
    const pausedAt = Date.now();
    log.info('paused', { phase: s.phase, roundIndex: s.roundIndex });
    await writeStatus('paused', { labelingDeadlineAt: s.labeling && iso(s.labeling.deadlineAt) });
    await condition(() => !s.paused);
    if (s.labeling) s.labeling.deadlineAt += Date.now() - pausedAt;
    touch();
    log.info('resumed', { phase: s.phase, pausedMs: Date.now() - pausedAt });
    await writeStatus('running', { labelingDeadlineAt: s.labeling && iso(s.labeling.deadlineAt) });
  };

  /** A step boundary: pause takes effect here. */
  const boundary = async (next: ExperimentPhase, step: string) => {
    while (s.paused) await holdWhilePaused();
    s.step = step;
    enter(next);
  };

  const historyTooLong = () => {
    const i = workflowInfo();
    return i.historyLength >= tuning.maxHistoryEvents || i.continueAsNewSuggested;
  };

  const resync = async (tag: string) => {
    const counts = await act.countRankings({ experimentId, idempotencyKey: key(s.roundIndex, `count-${info.runId}-${tag}`), roundIndex: s.roundIndex });
    const lab = s.labeling as NonNullable<typeof s.labeling>;
    lab.completedTasks = Math.max(lab.completedTasks, counts.completedTasks, s.signalledCompleted);
    touch();
  };

  /** Waits for quorum, a manual close or the deadline; or asks for continue-as-new when the history is long. */
  const waitForLabels = async (): Promise<LabelingCloseReason | 'continue-as-new'> => {
    const lab = s.labeling as NonNullable<typeof s.labeling>;
    let resyncs = 0;
    let nextResyncAt = Date.now() + spec.labeling.resyncIntervalMs;
    for (;;) {
      if (s.paused) {
        await holdWhilePaused();
        await resync(`resume-${++resyncs}`);
        continue;
      }
      if (quorumReached()) return 'quorum';
      if (lab.closeRequested) return 'manual';
      if (Date.now() >= lab.deadlineAt) {
        await resync('deadline'); // a lost signal must not turn a met quorum into a missed one
        return quorumReached() ? 'quorum' : 'deadline';
      }
      if (historyTooLong()) return 'continue-as-new';
      if (Date.now() >= nextResyncAt) {
        await resync(`periodic-${++resyncs}`);
        nextResyncAt = Date.now() + spec.labeling.resyncIntervalMs;
        continue;
      }
      const wakeAt = Math.min(lab.deadlineAt, nextResyncAt);
      await condition(() => s.paused || lab.closeRequested || quorumReached() || historyTooLong(), wakeAt - Date.now());
    }
  };

  // ------------------------------------------------------------------------------------------------ the round
  const runRound = async (): Promise<Outcome> => {
    const r = s.roundIndex;
    if (!carried) {
      await boundary('starting', 'setExperimentStatus');
      await writeStatus('running');
      await boundary('preparing', 'preparePolicy');
      const prep = await act.preparePolicy({ experimentId, idempotencyKey: key('prepare', 'prepare-policy'), seed: seed('prepare', 'policy') });
      s.policyArtifactId = prep.policyArtifactId;
      s.referenceArtifactId = prep.referenceArtifactId;
    }
    const policy0 = s.policyArtifactId as string;
    const reference = s.referenceArtifactId as string;

    let open: OpenLabelingState;
    if (carried?.labeling) {
      open = carried.labeling;
      enter('labeling');
    } else {
      const roundStartedAt = iso(Date.now());
      await boundary('sampling', 'generateSamples');
      const gen = await act.generateSamples({ experimentId, idempotencyKey: key(r, 'generate-samples'), roundIndex: r, policyArtifactId: policy0, seed: seed(r, 'generate') });
      await boundary('labeling', 'openLabelingRound');
      const proposed = Date.now() + spec.labeling.deadlineMs;
      const opened = await act.openLabelingRound({ experimentId, idempotencyKey: key(r, 'open-labeling'), roundIndex: r, samplesArtifactId: gen.samplesArtifactId, deadlineAt: iso(proposed) });
      const stored = Date.parse(opened.deadlineAt);
      open = {
        samplesArtifactId: gen.samplesArtifactId,
        prompts: gen.prompts,
        completions: gen.completions,
        taskCount: opened.taskCount,
        quorum: opened.quorum,
        completedTasks: opened.completedTasks,
        deadlineAt: Number.isFinite(stored) ? stored : proposed,
        roundStartedAt,
      };
    }
    s.labeling = { ...open, completedTasks: Math.max(open.completedTasks, s.signalledCompleted), closeRequested: false };
    s.step = 'labeling-wait';
    if (carried?.labeling) await resync('continued'); // signals may have been lost while the runs changed over

    s.waiting = true;
    const closedBy = await waitForLabels();
    s.waiting = false;
    if (closedBy === 'continue-as-new') {
      log.info('continuing as new during labeling', { historyLength: workflowInfo().historyLength });
      const { closeRequested: _closeRequested, ...lab } = s.labeling;
      return { kind: 'continue', state: carry({ roundIndex: r, labeling: lab }) };
    }
    await boundary('labeling', 'closeLabelingRound');
    const counts = await act.closeLabelingRound({ experimentId, idempotencyKey: key(r, 'close-labeling'), roundIndex: r, reason: closedBy });
    const labeling = { taskCount: s.labeling.taskCount, quorum: s.labeling.quorum, completedTasks: counts.completedTasks, rankings: counts.rankings, closedBy };
    s.labeling = undefined;

    await boundary('fitting-reward-model', 'fitRewardModel');
    const rm = await act.fitRewardModel({ experimentId, idempotencyKey: key(r, 'fit-reward-model'), roundIndex: r, initFromArtifactId: reference, seed: seed(r, 'reward-model') });

    const { total, perActivity } = trainingStepsOf(spec, r);
    let policy = policy0;
    let checkpoint: string | undefined;
    let training: RoundSummary['training'] | undefined;
    for (let from = 0; from < total; from += perActivity) {
      const to = Math.min(total, from + perActivity);
      await boundary('training', spec.trainer === 'ppo' ? 'runPpoEpochs' : 'runDpo');
      s.training = { done: from, total };
      const common = { experimentId, roundIndex: r, referenceArtifactId: reference, resumeFromCheckpointId: checkpoint };
      if (spec.trainer === 'ppo') {
        const out = await act.runPpoEpochs({ ...common, idempotencyKey: key(r, `ppo-${from}-${to}`), policyArtifactId: policy0, rewardModelArtifactId: rm.rewardModelArtifactId, fromIteration: from, toIteration: to, iterationsTotal: total, seed: seed(r, `ppo-${from}`) });
        policy = out.policyArtifactId;
        checkpoint = out.checkpointArtifactId;
        training = { trainer: 'ppo', policyArtifactId: policy, iterations: to, metrics: out.metrics };
      } else {
        const out = await act.runDpo({ ...common, idempotencyKey: key(r, `dpo-${from}-${to}`), policyArtifactId: policy0, fromStep: from, toStep: to, stepsTotal: total, seed: seed(r, `dpo-${from}`) });
        policy = out.policyArtifactId;
        checkpoint = out.checkpointArtifactId;
        training = { trainer: 'dpo', policyArtifactId: policy, steps: to, metrics: out.metrics };
      }
      s.training = { done: to, total };
      touch();
    }
    s.training = undefined;

    await boundary('evaluating', 'evaluate');
    const evaluation = await act.evaluate({ experimentId, idempotencyKey: key(r, 'evaluate'), roundIndex: r, policyArtifactId: policy, referenceArtifactId: reference, rewardModelArtifactId: rm.rewardModelArtifactId, seed: seed(r, 'evaluate') });

    const summary: RoundSummary = {
      roundIndex: r,
      samples: { samplesArtifactId: open.samplesArtifactId, prompts: open.prompts, completions: open.completions },
      labeling,
      rewardModel: { rewardModelArtifactId: rm.rewardModelArtifactId, heldoutAccuracy: rm.heldoutAccuracy, pairsUsed: rm.pairsUsed },
      training: training as RoundSummary['training'],
      evaluation,
      startedAt: open.roundStartedAt,
      finishedAt: iso(Date.now()),
    };
    await boundary('recording', 'recordRoundSummary');
    await act.recordRoundSummary({ experimentId, idempotencyKey: key(r, 'record-summary'), roundsTotal: s.roundsTotal, summary });
    s.lastRound = summary;
    s.policyArtifactId = policy;
    s.roundsCompleted = r + 1;
    touch();

    if (r + 1 < s.roundsTotal) return { kind: 'continue', state: carry({ roundIndex: r + 1 }) };

    await boundary('finalizing', 'finalizeExperiment');
    const fin = await act.finalizeExperiment({ experimentId, idempotencyKey: key('final', 'finalize'), roundsCompleted: r + 1, roundsTotal: s.roundsTotal, policyArtifactId: policy, referenceArtifactId: reference });
    enter('completed');
    return { kind: 'completed', result: { status: 'completed', roundsCompleted: r + 1, roundsTotal: s.roundsTotal, policyArtifactId: policy, reportArtifactId: fin.reportArtifactId, lastMetrics: evaluation } };
  };

  const carry = (next: { roundIndex: number; labeling?: OpenLabelingState }): ExperimentCarriedState => ({
    roundIndex: next.roundIndex,
    roundsTotal: s.roundsTotal,
    policyArtifactId: s.policyArtifactId as string,
    referenceArtifactId: s.referenceArtifactId as string,
    paused: s.paused,
    startedAt: s.startedAt,
    lastRound: s.lastRound,
    labeling: next.labeling,
  });

  const cancelledResult = (): ExperimentWorkflowResult => ({
    status: 'cancelled',
    roundsCompleted: s.roundsCompleted,
    roundsTotal: s.roundsTotal,
    policyArtifactId: s.policyArtifactId,
    lastMetrics: s.lastRound?.evaluation,
  });

  /** Records `cancelled` even though the scope around us is cancelled, then waits for in-flight handlers. */
  const recordCancelled = async () => {
    const phase = s.phase;
    enter('cancelled');
    await CancellationScope.nonCancellable(async () => {
      await writeStatus('cancelled', { phase, reason: 'cancel requested' });
      await condition(allHandlersFinished);
    });
  };

  // ------------------------------------------------------------------------------------------------ main
  let outcome: Outcome;
  try {
    mainScope = new CancellationScope({ cancellable: true });
    outcome = await mainScope.run(runRound);
  } catch (err) {
    // After a cancel request, whatever the cancelled activity ended with counts as the cancellation.
    if (isCancellation(err) || s.cancelRequested) {
      const external = !s.cancelRequested;
      s.cancelRequested = true;
      await recordCancelled();
      if (external) throw err; // Temporal-level cancel: end the execution as Cancelled
      return cancelledResult();
    }
    if (err instanceof ActivityFailure) {
      const failedPhase = s.phase;
      const cause = err.cause instanceof ApplicationFailure ? err.cause : undefined;
      const error = { type: cause?.type ?? err.cause?.name ?? 'UNKNOWN', message: err.cause?.message ?? err.message };
      enter('failed');
      await writeStatus('failed', { phase: failedPhase, error, reason: `${s.step} failed` });
      await condition(allHandlersFinished);
      throw ApplicationFailure.create({
        type: EXPERIMENT_FAILED_TYPE,
        message: `experiment ${experimentId}: ${s.step} failed${s.policyArtifactId === undefined ? '' : ` in round ${s.roundIndex}`} (${error.type}): ${error.message}`,
        nonRetryable: true,
        cause: err,
        details: [{ step: s.step, phase: failedPhase, roundIndex: s.roundIndex, errorType: error.type }],
      });
    }
    throw err; // a bug in workflow code: fail the workflow task so a fixed worker can carry on
  }

  // A cancel that arrived after the last step finished still wins over continuing.
  if (s.cancelRequested) {
    await recordCancelled();
    return cancelledResult();
  }
  await condition(allHandlersFinished);
  if (outcome.kind === 'continue') return continueAsNew<typeof experimentWorkflow>({ ...input, state: outcome.state });
  return outcome.result;
}

/** Activity stubs, each with its own queue, timeouts and retry policy (see `experimentActivityOptions`). */
function activities(tuning: ExperimentTuning): ExperimentActivities {
  const options = experimentActivityOptions(tuning);
  const stub = <K extends keyof ExperimentActivities>(name: K): ExperimentActivities[K] => proxyActivities<ExperimentActivities>(options[name])[name];
  return {
    preparePolicy: stub('preparePolicy'),
    generateSamples: stub('generateSamples'),
    openLabelingRound: stub('openLabelingRound'),
    countRankings: stub('countRankings'),
    closeLabelingRound: stub('closeLabelingRound'),
    fitRewardModel: stub('fitRewardModel'),
    runPpoEpochs: stub('runPpoEpochs'),
    runDpo: stub('runDpo'),
    evaluate: stub('evaluate'),
    setExperimentStatus: stub('setExperimentStatus'),
    recordRoundSummary: stub('recordRoundSummary'),
    finalizeExperiment: stub('finalizeExperiment'),
  };
}
