/**
 * Everything a workflow test (or the history recorder) needs to drive `experimentWorkflow` on a real dev server:
 * the server, one prebuilt workflow bundle, a worker per task queue over the fake activities, and helpers that act
 * like the API (store a ranking, then signal the count) and like an impatient person (poll the status query).
 */
import type { Client, WorkflowHandleWithFirstExecutionRunId } from '@temporalio/client';
import type { History } from '@temporalio/common/lib/proto-utils';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Worker, bundleWorkflowCode, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import type { ExperimentActivities } from '../activities/experiment-activity-types';
import { parseSpec } from '../lib/spec/parse-spec';
import { specSummary } from '../lib/spec/spec-summary';
import {
  CONTROL_ACTIVITY_NAMES,
  CONTROL_TASK_QUEUE,
  TRAIN_ACTIVITY_NAMES,
  TRAIN_TASK_QUEUE,
  experimentWorkflowId,
  rankingSubmittedSignal,
  statusQuery,
  type ExperimentStatus,
  type ExperimentTuning,
} from '../workflows/experiment-contract';
import type { experimentWorkflow } from '../workflows/experiment-workflow';
import { FakeExperimentBackend, type FakeScenario } from './fake-experiment-activities';
import { createTestEnv, installQuietRuntime, resolveTemporalCli } from './temporal-test-env';

export type ExperimentHandle = WorkflowHandleWithFirstExecutionRunId<typeof experimentWorkflow>;

/** Short operational timings so failure paths finish in test time. */
export const TEST_TUNING: Partial<ExperimentTuning> = { heartbeatTimeoutMs: 5_000, retryInitialIntervalMs: 100 };

export interface StartOptions {
  /** Spec YAML lines after `name:`; e.g. `rounds: { count: 1 }`. */
  spec?: string;
  scenario?: FakeScenario;
  tuning?: Partial<ExperimentTuning>;
}

export class ExperimentTestKit {
  private counter = 0;

  private constructor(
    readonly env: TestWorkflowEnvironment,
    readonly backend: FakeExperimentBackend,
    private readonly workers: Worker[],
    private readonly running: Promise<unknown>,
  ) {}

  get client(): Client {
    return this.env.client;
  }

  /** Starts a dev server, bundles the workflows once, and runs a control and a train worker over fresh fakes. */
  static async start(): Promise<ExperimentTestKit> {
    installQuietRuntime();
    const cli = resolveTemporalCli(); // fail fast, before starting work that would outlive a failed setup
    const [envResult, bundleResult] = await Promise.allSettled([createTestEnv(cli), bundleOnce()]);
    if (envResult.status === 'rejected' || bundleResult.status === 'rejected') {
      if (envResult.status === 'fulfilled') await envResult.value.teardown();
      throw envResult.status === 'rejected' ? envResult.reason : (bundleResult as PromiseRejectedResult).reason;
    }
    const env = envResult.value;
    const bundle = bundleResult.value;
    const backend = new FakeExperimentBackend();
    const all = backend.activities();
    const pick = (names: readonly (keyof ExperimentActivities)[]) => Object.fromEntries(names.map((n) => [n, all[n]]));
    // Heartbeats are throttled to 0.8 × heartbeat timeout by default; flush them quickly so cancellation reaches a
    // heartbeating activity within test time.
    const common = { connection: env.nativeConnection, maxHeartbeatThrottleInterval: '100ms', defaultHeartbeatThrottleInterval: '100ms', shutdownGraceTime: '1s' } as const;
    const workers = await Promise.all([
      Worker.create({ ...common, taskQueue: CONTROL_TASK_QUEUE, workflowBundle: bundle, activities: pick(CONTROL_ACTIVITY_NAMES) }),
      Worker.create({ ...common, taskQueue: TRAIN_TASK_QUEUE, activities: pick(TRAIN_ACTIVITY_NAMES) }),
    ]);
    const running = Promise.all(workers.map((w) => w.run()));
    return new ExperimentTestKit(env, backend, workers, running);
  }

  async stop(): Promise<void> {
    for (const w of this.workers) if (w.getState() === 'RUNNING') w.shutdown();
    await this.running;
    await this.env.teardown();
  }

  /** Starts an experiment workflow on a fresh experiment id. */
  async startExperiment(name: string, options: StartOptions = {}): Promise<{ experimentId: string; handle: ExperimentHandle }> {
    const experimentId = `${name}-${++this.counter}`;
    if (options.scenario) this.backend.scenario(experimentId, options.scenario);
    const spec = specSummary(parseSpec(`name: ${name}\n${options.spec ?? ''}`, { source: `${name} test spec` }));
    const handle = await this.client.workflow.start<typeof experimentWorkflow>('experimentWorkflow', {
      taskQueue: CONTROL_TASK_QUEUE,
      workflowId: experimentWorkflowId(experimentId),
      args: [{ experimentId, spec, tuning: { ...TEST_TUNING, ...options.tuning } }],
    });
    return { experimentId, handle };
  }

  /** Polls the status query until `predicate` holds; fails with the last status seen after `timeoutMs`. */
  async waitForStatus(handle: ExperimentHandle, predicate: (s: ExperimentStatus) => boolean, what: string, timeoutMs = 30_000): Promise<ExperimentStatus> {
    const until = Date.now() + timeoutMs;
    let last: ExperimentStatus | undefined;
    for (;;) {
      last = await handle.query(statusQuery);
      if (predicate(last)) return last;
      if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last status: ${JSON.stringify(last)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Waits until round `roundIndex` is open for labeling. */
  waitForLabeling(handle: ExperimentHandle, roundIndex: number): Promise<ExperimentStatus> {
    return this.waitForStatus(handle, (s) => s.phase === 'labeling' && s.roundIndex === roundIndex && s.progress.labels !== undefined, `labeling of round ${roundIndex}`);
  }

  /** Like the API after storing rankings: records `tasks` more completed tasks, then signals the new count. */
  async submit(handle: ExperimentHandle, experimentId: string, roundIndex: number, tasks: number): Promise<number> {
    const completedTasks = this.backend.completeTasks(experimentId, roundIndex, tasks);
    await handle.signal(rankingSubmittedSignal, { roundIndex, completedTasks });
    return completedTasks;
  }

  /** Waits for round `roundIndex` to open and labels every task in it. */
  async labelRound(handle: ExperimentHandle, experimentId: string, roundIndex: number): Promise<void> {
    const status = await this.waitForLabeling(handle, roundIndex);
    await this.submit(handle, experimentId, roundIndex, status.progress.labels?.taskCount ?? 0);
  }

  /** Waits until the experiment's chain has at least `runs` runs (continue-as-new happened). */
  async waitForRuns(handle: ExperimentHandle, runs: number, timeoutMs = 30_000): Promise<void> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const n = (await this.runHistories(handle)).length;
      if (n >= runs) return;
      if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${runs} runs of ${handle.workflowId}; have ${n}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /**
   * The histories of the experiment's chain of runs, oldest first, found by following continue-as-new from the first
   * run (each run's last event names the next run).
   */
  async runHistories(handle: ExperimentHandle): Promise<Array<{ runId: string; history: History }>> {
    const out: Array<{ runId: string; history: History }> = [];
    let runId: string | undefined = handle.firstExecutionRunId;
    while (runId) {
      const history: History = await this.client.workflow.getHandle(handle.workflowId, runId).fetchHistory();
      out.push({ runId, history });
      const events = history.events ?? [];
      const last = events[events.length - 1];
      runId = last?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId ?? undefined;
    }
    return out;
  }
}

let bundlePromise: Promise<WorkflowBundleWithSourceMap> | undefined;
/** The workflow bundle, built once per process (≈ seconds): every worker in the file reuses it. */
export function bundleOnce(): Promise<WorkflowBundleWithSourceMap> {
  bundlePromise ??= bundleWorkflowCode({ workflowsPath: require.resolve('../workflows/index'), logger: new DefaultLogger('WARN') });
  return bundlePromise;
}
