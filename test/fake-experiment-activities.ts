/**
 * In-memory implementations of every experiment activity, for workflow-layer tests only: they record each call,
 * keep labeling counts the way the database would, honour idempotency keys like the real ones must (same key →
 * same result, no second write), heartbeat and react to cancellation like the trainers, and fail on request.
 * The engine and the stores are not involved; activities over them are tested at their own layer.
 */
import { ApplicationFailure, Context } from '@temporalio/activity';
import type {
  ExperimentActivities,
  PpoHeartbeat,
  RankingCounts,
  RoundSummary,
  SetExperimentStatusInput,
} from '../activities/experiment-activity-types';
import { experimentIdFromWorkflowId } from '../workflows/experiment-contract';

type ActivityName = keyof ExperimentActivities;

/** One recorded activity attempt. */
export interface FakeCall {
  name: ActivityName;
  experimentId: string;
  attempt: number;
  /** Wall-clock ms when the attempt started. */
  at: number;
  input: Record<string, unknown>;
  /** How the attempt ended: `ok`, `failed`, or `cancelled` (it saw the cancellation). */
  outcome?: 'ok' | 'failed' | 'cancelled';
}

/** How one activity should misbehave for one experiment. */
export interface FailurePlan {
  /** Fail the first `times` attempts (default: every attempt). */
  times?: number;
  /** ApplicationFailure type; absent = a plain Error (retryable). */
  type?: string;
  /** Mark the failure non-retryable in the error itself (default false: the workflow's policy must decide). */
  nonRetryable?: boolean;
}

/** Per-experiment behaviour, set by the test before starting the workflow. */
export interface FakeScenario {
  /** Tasks per round (default: promptsPerRound from the spec is unknown here, so 4). */
  taskCount?: number;
  /** Completed tasks that make the quorum (default: all). */
  quorum?: number;
  /** Wall time each PPO/DPO chunk takes, heartbeating as it goes (default 0). Other train steps are instant. */
  trainDelayMs?: number;
  /** Extra wall time (heartbeating, cancellable) before named activities run, to catch the workflow in a phase. */
  delaysMs?: Partial<Record<ActivityName, number>>;
  failures?: Partial<Record<ActivityName, FailurePlan>>;
}

interface RoundRow extends RankingCounts {
  quorum: number;
  deadlineAt: string;
  closed: boolean;
  closedBy?: string;
}

/** Fake backend shared by the workers of one test file; experiments are kept apart by id. */
export class FakeExperimentBackend {
  readonly calls: FakeCall[] = [];
  readonly statuses: SetExperimentStatusInput[] = [];
  readonly summaries: RoundSummary[] = [];
  private readonly scenarios = new Map<string, FakeScenario>();
  private readonly rounds = new Map<string, RoundRow>();
  /** Results by idempotency key: a retried step returns what its first successful attempt returned. */
  private readonly done = new Map<string, unknown>();

  scenario(experimentId: string, scenario: FakeScenario): void {
    this.scenarios.set(experimentId, scenario);
  }

  callsOf(experimentId: string, name?: ActivityName): FakeCall[] {
    return this.calls.filter((c) => c.experimentId === experimentId && (name === undefined || c.name === name));
  }

  /** What the API does when a labeler submits: store, then report the new count (which the test signals). */
  completeTasks(experimentId: string, roundIndex: number, tasks: number): number {
    const row = this.round(experimentId, roundIndex);
    if (row.closed) throw new Error(`round ${roundIndex} of ${experimentId} is closed`);
    row.completedTasks = Math.min(row.taskCount, row.completedTasks + tasks);
    row.rankings = row.completedTasks;
    return row.completedTasks;
  }

  roundRow(experimentId: string, roundIndex: number): Readonly<RoundRow> | undefined {
    return this.rounds.get(`${experimentId}/${roundIndex}`);
  }

  private round(experimentId: string, roundIndex: number): RoundRow {
    const row = this.rounds.get(`${experimentId}/${roundIndex}`);
    if (!row) throw ApplicationFailure.create({ type: 'ROUND_STATE_CONFLICT', message: `round ${roundIndex} of ${experimentId} was never opened`, nonRetryable: true });
    return row;
  }

  /** The activity implementations to register on the test workers. */
  activities(): ExperimentActivities {
    const step = <K extends ActivityName>(name: K, body: (input: Parameters<ExperimentActivities[K]>[0], call: FakeCall) => Promise<Awaited<ReturnType<ExperimentActivities[K]>>>) =>
      (async (input: Parameters<ExperimentActivities[K]>[0]) => {
        const ctx = Context.current();
        const experimentId = experimentIdFromWorkflowId(ctx.info.workflowExecution?.workflowId ?? '') ?? input.experimentId;
        const call: FakeCall = { name, experimentId, attempt: ctx.info.attempt, at: Date.now(), input: { ...input } };
        this.calls.push(call);
        try {
          const plan = this.scenarios.get(experimentId)?.failures?.[name];
          if (plan && ctx.info.attempt <= (plan.times ?? Infinity)) {
            throw plan.type
              ? ApplicationFailure.create({ type: plan.type, message: `${name} failed on purpose (attempt ${ctx.info.attempt})`, nonRetryable: plan.nonRetryable ?? false })
              : new Error(`${name}: transient failure on purpose (attempt ${ctx.info.attempt})`);
          }
          const delay = this.scenarios.get(experimentId)?.delaysMs?.[name] ?? 0;
          for (let left = delay; left > 0; left -= 100) {
            ctx.heartbeat();
            await ctx.sleep(Math.min(100, left));
          }
          const key = input.idempotencyKey;
          if (this.done.has(key)) return this.done.get(key) as Awaited<ReturnType<ExperimentActivities[K]>>;
          const result = await body(input, call);
          // Status writes and reads are not cached: reads must see fresh counts.
          if (name !== 'countRankings') this.done.set(key, result);
          call.outcome = 'ok';
          return result;
        } catch (e) {
          call.outcome = ctx.cancellationSignal.aborted ? 'cancelled' : 'failed';
          throw e;
        }
      }) as ExperimentActivities[K];

    const scenarioOf = (experimentId: string) => this.scenarios.get(experimentId) ?? {};
    /** Works for `ms`, heartbeating, and resumes from heartbeat details like a trainer resumes from its checkpoint. */
    const train = async (experimentId: string, units: number, delayMs = 0) => {
      const ctx = Context.current();
      const per = delayMs / Math.max(1, units);
      const resumed = (ctx.info.heartbeatDetails as PpoHeartbeat | undefined)?.iteration ?? 0;
      for (let i = resumed; i < units; i++) {
        // Heartbeat at least every 100 ms like a trainer does between steps: cancellation arrives with a heartbeat.
        for (let left = per; left > 0; left -= 100) {
          ctx.heartbeat({ iteration: i, iterationsTotal: units } satisfies PpoHeartbeat);
          await ctx.sleep(Math.min(100, left)); // throws CancelledFailure once the workflow cancels us
        }
        ctx.heartbeat({ iteration: i + 1, iterationsTotal: units } satisfies PpoHeartbeat);
      }
      return resumed;
    };
    const id = (kind: string, key: string) => `${kind}:${key.replace(/^experiment-/, '')}`;

    return {
      preparePolicy: step('preparePolicy', async (input) => {
        await train(input.experimentId, 1);
        return { policyArtifactId: id('policy', input.idempotencyKey), referenceArtifactId: id('policy', input.idempotencyKey), source: 'sft', sft: { steps: 10, finalLoss: 1.5 } };
      }),
      generateSamples: step('generateSamples', async (input) => {
        const n = scenarioOf(input.experimentId).taskCount ?? 4;
        return { samplesArtifactId: id('samples', input.idempotencyKey), prompts: n, completions: n * 4 };
      }),
      openLabelingRound: step('openLabelingRound', async (input) => {
        const k = `${input.experimentId}/${input.roundIndex}`;
        const sc = scenarioOf(input.experimentId);
        const existing = this.rounds.get(k);
        const row = existing ?? { taskCount: sc.taskCount ?? 4, quorum: sc.quorum ?? sc.taskCount ?? 4, completedTasks: 0, rankings: 0, deadlineAt: input.deadlineAt, closed: false };
        this.rounds.set(k, row);
        return { taskCount: row.taskCount, quorum: row.quorum, deadlineAt: row.deadlineAt, completedTasks: row.completedTasks };
      }),
      countRankings: step('countRankings', async (input) => {
        const row = this.round(input.experimentId, input.roundIndex);
        return { taskCount: row.taskCount, completedTasks: row.completedTasks, rankings: row.rankings };
      }),
      closeLabelingRound: step('closeLabelingRound', async (input) => {
        const row = this.round(input.experimentId, input.roundIndex);
        row.closed = true;
        row.closedBy = input.reason;
        return { taskCount: row.taskCount, completedTasks: row.completedTasks, rankings: row.rankings };
      }),
      fitRewardModel: step('fitRewardModel', async (input) => {
        await train(input.experimentId, 1);
        return { rewardModelArtifactId: id('rm', input.idempotencyKey), heldoutAccuracy: 0.8, pairsUsed: 24, rankingsUsed: 4, finalLoss: 0.4 };
      }),
      runPpoEpochs: step('runPpoEpochs', async (input, call) => {
        const resumed = await train(input.experimentId, input.toIteration - input.fromIteration, scenarioOf(input.experimentId).trainDelayMs);
        if (resumed > 0) call.input.resumedFrom = resumed;
        return {
          policyArtifactId: id('policy', input.idempotencyKey),
          checkpointArtifactId: id('ckpt', input.idempotencyKey),
          iterationsDone: input.toIteration,
          resumedFromIteration: resumed > 0 ? input.fromIteration + resumed : undefined,
          metrics: { meanReward: 0.1 * input.toIteration, klMean: 0.5, klCoef: 0.2, clipFraction: 0.1, entropy: 2, valueLoss: 0.3, policyLoss: -0.01 },
        };
      }),
      runDpo: step('runDpo', async (input) => {
        await train(input.experimentId, input.toStep - input.fromStep, scenarioOf(input.experimentId).trainDelayMs);
        return { policyArtifactId: id('policy', input.idempotencyKey), checkpointArtifactId: id('ckpt', input.idempotencyKey), stepsDone: input.toStep, metrics: { loss: 0.5, rewardAccuracy: 0.7, klMean: 0.4 } };
      }),
      evaluate: step('evaluate', async (input) => {
        await train(input.experimentId, 1);
        return { winRate: 0.75, winRateCi95: [0.65, 0.85], klMean: 1.2, rmScore: 0.6, heldoutPrompts: 64, judge: 'oracle' };
      }),
      setExperimentStatus: step('setExperimentStatus', async (input) => {
        this.statuses.push(input);
      }),
      recordRoundSummary: step('recordRoundSummary', async (input) => {
        this.summaries.push(input.summary);
      }),
      finalizeExperiment: step('finalizeExperiment', async (input) => {
        return { reportArtifactId: id('report', input.idempotencyKey) };
      }),
    };
  }
}
