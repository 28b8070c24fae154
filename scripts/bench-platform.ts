/**
 * `npm run bench:platform` — what the control plane itself costs, on the local Temporal dev server.
 *
 * Starts an embedded Postgres and a Temporal dev server in a temporary folder, then measures two things and prints
 * one JSON line on stdout (progress goes to stderr):
 *
 * 1. Activity overhead. A bench workflow (scripts/bench-platform-workflow.ts, on its own task queue and worker in
 *    this process) calls a no-op activity BENCH_ACTIVITIES times back to back (default 300, the first 20 discarded
 *    as warm-up). The activity records when its body starts and ends (performance.now(), same process), so the
 *    gap from the end of call i to the start of call i+1 is the wall time of one activity call minus its own
 *    execution: the completion report, a workflow task, the scheduling of the next call and its dispatch.
 *    → `activity_overhead_p50_ms`, `activity_overhead_p99_ms`, `n_activities`.
 *
 * 2. Ranking signal latency. hone's own worker (both task queues; the scripted engine from test/, so nothing but the
 *    platform costs time) and hone's API (in this process, real HTTP on 127.0.0.1) run an experiment launched
 *    through `POST /api/v1/experiments`, with an open labeling round whose periodic resync is an hour away (counts
 *    reach the workflow by signals only). A labeler claims a task, then the clock starts, the ranking is POSTed,
 *    and the clock stops at the first `status` query answer (polled back to back) whose completed-task count
 *    includes it: submit → database commit → signal → workflow → observed. Sequentially (BENCH_SIGNALS, default
 *    200; an idle API) → `signal_to_workflow_p50_ms`/`_p99_ms`, `n_signals`; then with BENCH_LOAD_LABELERS (default
 *    8) submitting at once, each waiting for its own count → `signal_under_load_*`. The query's own round trip
 *    (`query_rtt_p50_ms`) bounds how late an observation can be.
 *
 * Goal: activity overhead p50 ≤ 30 ms, signal p99 ≤ 200 ms. Env: BENCH_ACTIVITIES, BENCH_SIGNALS,
 * BENCH_LOAD_LABELERS, BENCH_LOAD_SIGNALS (default 200), BENCH_ONLY=activity|signal, BENCH_KEEP=1 (keep the temporary folder).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { startHoneWorker } from '../apps/worker/run-worker';
import { silentLogger } from '../apps/server/logger';
import { startServer } from '../apps/server/start-server';
import { createArtifactStore } from '../lib/artifacts';
import { createDb, migrateDeploy } from '../lib/db';
import { createLabeler } from '../lib/domain';
import { resolveTemporalCli, startEmbeddedPostgres, startTemporalDevServer } from '../lib/services';
import { ScriptedEngine } from '../test/scripted-engine';
import { experimentWorkflowId, statusQuery } from '../workflows/experiment-contract';
import type { BenchActivities } from './bench-platform-workflow';

const ACTIVITIES = Number(process.env.BENCH_ACTIVITIES ?? 300);
const WARMUP = 20;
const SIGNALS = Number(process.env.BENCH_SIGNALS ?? 200);
const LOAD_LABELERS = Number(process.env.BENCH_LOAD_LABELERS ?? 8);
const LOAD_SIGNALS = Number(process.env.BENCH_LOAD_SIGNALS ?? 200);
const BENCH_QUEUE = 'hone-bench-platform';
/** `activity` or `signal`: measure one part only (quicker runs while tuning). */
const ONLY = process.env.BENCH_ONLY;

const log = (m: string) => process.stderr.write(`[bench:platform] ${m}\n`);

function percentile(values: number[], q: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return Math.round(sorted[i] * 10) / 10;
}

const round1 = (v: number) => Math.round(v * 10) / 10;

// ------------------------------------------------------------------------------------------------ activity overhead

async function measureActivityOverhead(address: string, namespace: string): Promise<{ overheadMs: number[]; execMs: number[]; breakdown: Record<string, number | null> }> {
  let breakdown: Record<string, number | null> = {};
  const marks: { start: number; end: number }[] = [];
  const activities: BenchActivities = {
    async benchNoop(call: number) {
      const start = performance.now();
      marks[call] = { start, end: performance.now() };
    },
  };
  const connection = await NativeConnection.connect({ address });
  const clientConnection = await Connection.connect({ address });
  try {
    const t = Date.now();
    const worker = await Worker.create({ connection, namespace, taskQueue: BENCH_QUEUE, workflowsPath: path.join(__dirname, 'bench-platform-workflow.ts'), activities });
    log(`bench worker ready (workflow bundled in ${((Date.now() - t) / 1000).toFixed(1)} s); ${ACTIVITIES} no-op activity calls`);
    const client = new Client({ connection: clientConnection, namespace });
    const workflowId = `bench-activity-overhead-${Date.now()}`;
    await worker.runUntil(client.workflow.execute('activityOverheadBenchWorkflow', { taskQueue: BENCH_QUEUE, workflowId, args: [ACTIVITIES] }));
    breakdown = historyBreakdown(await client.workflow.getHandle(workflowId).fetchHistory());
  } finally {
    await clientConnection.close();
    await connection.close();
  }
  const overheadMs: number[] = [];
  const execMs: number[] = [];
  for (let i = WARMUP; i < ACTIVITIES; i++) {
    execMs.push(marks[i].end - marks[i].start);
    if (i + 1 < ACTIVITIES) overheadMs.push(marks[i + 1].start - marks[i].end);
  }
  return { overheadMs, execMs, breakdown };
}

/**
 * Where an activity call's time goes, from the server's event times in the bench workflow's history (p50 over the
 * calls after the warm-up): `dispatch` = ActivityTaskScheduled → ActivityTaskStarted (handed to the worker),
 * `run_and_report` = ActivityTaskStarted → ActivityTaskCompleted, `workflow_task` = ActivityTaskCompleted → the
 * next ActivityTaskScheduled (a workflow task scheduled, dispatched, run by the worker and completed).
 */
function historyBreakdown(history: Awaited<ReturnType<ReturnType<Client['workflow']['getHandle']>['fetchHistory']>>): Record<string, number | null> {
  const ms = (t: { seconds?: unknown; nanos?: number | null } | null | undefined) => Number(t?.seconds ?? 0) * 1000 + (t?.nanos ?? 0) / 1e6;
  const scheduled: number[] = [];
  const started: number[] = [];
  const completed: number[] = [];
  const wft: { scheduled: number; started?: number; completed?: number }[] = [];
  for (const e of history.events ?? []) {
    if (e.activityTaskScheduledEventAttributes) scheduled.push(ms(e.eventTime));
    else if (e.activityTaskStartedEventAttributes) started.push(ms(e.eventTime));
    else if (e.activityTaskCompletedEventAttributes) completed.push(ms(e.eventTime));
    else if (e.workflowTaskScheduledEventAttributes) wft.push({ scheduled: ms(e.eventTime) });
    else if (e.workflowTaskStartedEventAttributes) wft[wft.length - 1].started = ms(e.eventTime);
    else if (e.workflowTaskCompletedEventAttributes) wft[wft.length - 1].completed = ms(e.eventTime);
  }
  const wfts = wft.slice(WARMUP).filter((w) => w.started !== undefined && w.completed !== undefined);
  const dispatch: number[] = [];
  const runAndReport: number[] = [];
  const workflowTask: number[] = [];
  for (let i = WARMUP; i < completed.length; i++) {
    dispatch.push(started[i] - scheduled[i]);
    runAndReport.push(completed[i] - started[i]);
    if (i + 1 < scheduled.length) workflowTask.push(scheduled[i + 1] - completed[i]);
  }
  return {
    dispatch_p50_ms: percentile(dispatch, 0.5),
    run_and_report_p50_ms: percentile(runAndReport, 0.5),
    workflow_task_p50_ms: percentile(workflowTask, 0.5),
    workflow_task_schedule_to_start_p50_ms: percentile(wfts.map((w) => w.started! - w.scheduled), 0.5),
    workflow_task_start_to_complete_p50_ms: percentile(wfts.map((w) => w.completed! - w.started!), 0.5),
  };
}

// ------------------------------------------------------------------------------------------------ signal latency

interface Labeler {
  token: string;
}

/**
 * Polls the workflow's status query back to back and resolves each waiter when the workflow's completed-task count
 * reaches its target. One poller serves every labeler, as one query stream would in production (the admin view).
 */
class CountWatcher {
  private waiters: { target: number; resolve: (at: number) => void }[] = [];
  private stopped = false;
  readonly queryMs: number[] = [];
  readonly done: Promise<void>;

  constructor(private readonly query: () => Promise<number>) {
    this.done = this.loop();
  }

  /** Resolves with the performance.now() of the first answer whose count is ≥ target. */
  reach(target: number): Promise<number> {
    return new Promise((resolve) => this.waiters.push({ target, resolve }));
  }

  stop(): Promise<void> {
    this.stopped = true;
    return this.done;
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      const sent = performance.now();
      const count = await this.query();
      const at = performance.now();
      this.queryMs.push(at - sent);
      const due = this.waiters.filter((w) => w.target <= count);
      this.waiters = this.waiters.filter((w) => w.target > count);
      for (const w of due) w.resolve(at);
    }
  }
}

async function measureSignalLatency(dir: string, pgUrl: string, address: string, namespace: string) {
  const db = createDb(pgUrl, { poolSize: 5, applicationName: 'hone-bench-platform' });
  const artifactsRoot = path.join(dir, 'artifacts');
  const config = { dataDir: dir, databaseUrl: pgUrl, temporal: { address, namespace }, artifacts: { kind: 'file' as const, root: artifactsRoot }, api: { host: '127.0.0.1', port: 0 } };
  const worker = await startHoneWorker({
    config,
    settings: { queues: ['control', 'train'], trainConcurrency: 1, shutdownGraceSeconds: 0, shutdownForceSeconds: 10, heartbeatThrottleMs: 1_000, logLevel: 'error' },
    logger: silentLogger,
    createEngine: async () => new ScriptedEngine(),
  });
  const connection = await Connection.connect({ address });
  const client = new Client({ connection, namespace });
  const server = await startServer({ deps: { db, temporalClient: client, artifacts: createArtifactStore(config.artifacts), config: { webDistDir: null, temporalNamespace: namespace }, logger: silentLogger }, port: 0, buildWebUi: false });
  const base = server.url;
  const call = async (method: 'GET' | 'POST', p: string, token: string, body?: unknown) => {
    const r = await fetch(base + p, { method, headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) }, body: body ? JSON.stringify(body) : undefined });
    const json = (await r.json()) as any;
    if (!r.ok) throw new Error(`${method} ${p} answered ${r.status}: ${JSON.stringify(json)}`);
    return json;
  };
  try {
    const admin = await createLabeler(db, { name: 'bench-admin', role: 'admin', actor: 'bench' });
    const prompts = SIGNALS + LOAD_SIGNALS + LOAD_LABELERS + 10;
    const spec = [
      'name: bench-platform',
      'seed: 7',
      `rounds: { count: 1, promptsPerRound: ${prompts}, completionsPerPrompt: 2 }`,
      // Quorum never reached within the bench: the round stays open; resync an hour away: counts come by signal only.
      'labeling: { quorum: 100%, deadline: 24h, overlap: 0, assignmentExpiry: 10m, resyncEvery: 1h }',
      'ppo: { iterations: 2, iterationsPerActivity: 2, minibatch: 2, promptsPerIteration: 2 }',
      'evaluation: { heldoutPrompts: 8 }',
    ].join('\n');
    const launched = await call('POST', '/api/v1/experiments', admin.token, { spec, start: true });
    const experimentId: string = launched.experiment.id;
    const handle = client.workflow.getHandle(experimentWorkflowId(experimentId));
    const until = Date.now() + 120_000;
    let taskCount = 0;
    for (;;) {
      const s = await handle.query(statusQuery).catch(() => undefined);
      if (s?.phase === 'labeling' && s.progress.labels) {
        taskCount = s.progress.labels.taskCount;
        break;
      }
      if (Date.now() > until) throw new Error(`the bench experiment did not reach labeling within 120 s (last: ${JSON.stringify(s)})`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const usable = taskCount - 1; // the last task stays unranked: quorum would end the labeling wait
    const idleN = Math.min(SIGNALS, Math.floor(usable / 2));
    const loadN = Math.min(LOAD_SIGNALS, usable - idleN);
    log(`experiment ${experimentId} labeling: ${taskCount} tasks; ${idleN} sequential submissions, then ${loadN} by ${LOAD_LABELERS} labelers at once`);
    const labelers: Labeler[] = [];
    for (let i = 0; i < Math.max(1, LOAD_LABELERS); i++) labelers.push({ token: (await createLabeler(db, { name: `bench-labeler-${i}`, role: 'labeler', scopes: [experimentId], actor: 'bench' })).token });
    const watcher = new CountWatcher(async () => (await handle.query(statusQuery)).progress.labels?.completedTasks ?? 0);
    const submitMs: number[] = [];

    /** Claims a task, then times POST → the workflow's count including it. */
    const submitOne = async (l: Labeler): Promise<number> => {
      const next = await call('GET', `/api/v1/labeling/next?experimentId=${experimentId}`, l.token);
      if (!next.task) throw new Error('no task left to rank');
      const ordering = (next.task.samples as { id: string }[]).map((s) => s.id);
      const t0 = performance.now();
      const r = await call('POST', `/api/v1/labeling/tasks/${next.task.taskId}/ranking`, l.token, { ordering, quality: 3, flags: { followsInstruction: true, hallucination: false, harmful: false } });
      submitMs.push(performance.now() - t0);
      const observed = await watcher.reach(r.counts.completedTasks as number);
      return observed - t0;
    };

    const idle: number[] = [];
    for (let i = 0; i < idleN; i++) {
      idle.push(await submitOne(labelers[0]));
      if ((i + 1) % 50 === 0) log(`sequential: ${i + 1}/${idleN} (p50 so far ${percentile(idle, 0.5)} ms)`);
    }
    const statsAfterIdle = { ...server.app.hone.deps.signaler.stats };
    const load: number[] = [];
    let left = loadN;
    await Promise.all(
      labelers.map(async (l) => {
        while (left > 0) {
          left--;
          load.push(await submitOne(l));
        }
      }),
    );
    log(`under load: ${load.length} submissions by ${labelers.length} labelers`);
    await watcher.stop();
    const stats = server.app.hone.deps.signaler.stats;
    await handle.terminate('bench finished');
    return {
      idle,
      load,
      submitMs,
      queryMs: watcher.queryMs,
      signals: { idle: { sent: statsAfterIdle.sent, coalesced: statsAfterIdle.coalesced }, load: { sent: stats.sent - statsAfterIdle.sent, coalesced: stats.coalesced - statsAfterIdle.coalesced, failed: stats.failed } },
    };
  } finally {
    await server.close();
    await worker.shutdown();
    await connection.close();
    await db.$disconnect();
  }
}

// ------------------------------------------------------------------------------------------------ main

async function main(): Promise<void> {
  const started = Date.now();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hone-bench-platform-'));
  fs.chmodSync(dir, 0o755); // the embedded Postgres runs as user "postgres" when we are root
  const cleanup: (() => Promise<unknown>)[] = [];
  try {
    log(`services in ${dir}`);
    // One quiet runtime for every worker of this process (hone's worker keeps it: a runtime exists already).
    Runtime.install({ logger: new DefaultLogger('WARN', (e) => log(`temporal ${e.level}: ${e.message}`)) });
    const [pg, temporal] = await Promise.all([
      startEmbeddedPostgres({ dataDir: path.join(dir, 'postgres'), database: 'hone', fsync: true }),
      resolveTemporalCli().then((cli) => startTemporalDevServer({ dataDir: path.join(dir, 'temporal'), cliPath: cli.path, uiPort: false, extraArgs: (process.env.BENCH_TEMPORAL_ARGS ?? '').split(' ').filter(Boolean) })),
    ]);
    cleanup.push(() => pg.stop(), () => temporal.stop());
    await migrateDeploy(pg.url);
    const loadBefore = os.loadavg()[0];

    // hone's worker first: it installs the process's Temporal runtime (quiet logging) before any other connection.
    const empty = { idle: [], load: [], submitMs: [], queryMs: [], signals: null };
    const signal = ONLY === 'activity' ? empty : await measureSignalLatency(dir, pg.url, temporal.address, temporal.namespace);
    const activity = ONLY === 'signal' ? { overheadMs: [], execMs: [], breakdown: {} } : await measureActivityOverhead(temporal.address, temporal.namespace);

    const result = {
      activity_overhead_p50_ms: percentile(activity.overheadMs, 0.5),
      activity_overhead_p99_ms: percentile(activity.overheadMs, 0.99),
      activity_overhead_mean_ms: round1(activity.overheadMs.reduce((a, b) => a + b, 0) / Math.max(1, activity.overheadMs.length)),
      activity_exec_p50_ms: percentile(activity.execMs, 0.5),
      n_activities: activity.overheadMs.length,
      activity_overhead_breakdown: activity.breakdown,
      signal_to_workflow_p50_ms: percentile(signal.idle, 0.5),
      signal_to_workflow_p99_ms: percentile(signal.idle, 0.99),
      signal_to_workflow_max_ms: percentile(signal.idle, 1),
      n_signals: signal.idle.length,
      signal_under_load_p50_ms: percentile(signal.load, 0.5),
      signal_under_load_p99_ms: percentile(signal.load, 0.99),
      n_signals_under_load: signal.load.length,
      load_labelers: LOAD_LABELERS,
      signals_sent: signal.signals,
      submit_http_p50_ms: percentile(signal.submitMs, 0.5),
      query_rtt_p50_ms: percentile(signal.queryMs, 0.5),
      method: {
        activity_overhead: `one workflow calls a no-op activity ${ACTIVITIES}× back to back (first ${WARMUP} discarded); overhead = start of call i+1 − end of call i's body (performance.now() in the worker, same process)`,
        signal_to_workflow: 'from the start of POST /api/v1/labeling/tasks/{id}/ranking (real HTTP, hone API in-process) to the first status-query answer (polled back to back) whose completedTasks includes the ranking; resync disabled (1 h), so counts arrive by signal only; sequential = one labeler, under_load = load_labelers at once',
      },
      temporal: 'local dev server (temporal server start-dev, SQLite file)',
      cores: os.availableParallelism(),
      load_1m_before: round1(loadBefore),
      wall_s: round1((Date.now() - started) / 1000),
    };
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } finally {
    for (const c of cleanup.reverse()) await c().catch((e: Error) => log(`cleanup: ${e.message}`));
    if (process.env.BENCH_KEEP === '1') log(`kept ${dir}`);
    else fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (e: Error) => {
    log(`failed: ${e.stack ?? e.message}`);
    process.exit(1);
  },
);
