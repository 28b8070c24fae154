import os from 'node:os';
import { DefaultLogger, NativeConnection, Runtime, Worker, type LogEntry, type WorkflowBundleOption } from '@temporalio/worker';
import { createActivities, type ActivityLogger, type ExperimentActivities, type ExperimentEngine } from '../../activities';
import { createArtifactStore } from '../../lib/artifacts';
import type { HoneConfig } from '../../lib/config';
import { createDb, type Db } from '../../lib/db';
import { AppError } from '../../lib/errors';
import { CONTROL_ACTIVITY_NAMES, CONTROL_TASK_QUEUE, TRAIN_ACTIVITY_NAMES, TRAIN_TASK_QUEUE } from '../../workflows/experiment-contract';
import { workflowBundleForWorker } from './workflow-bundle';
import type { WorkerSettings } from './worker-settings';

export interface StartWorkerOptions {
  config: HoneConfig;
  settings: WorkerSettings;
  logger: ActivityLogger;
  /** Builds the engine the train activities run on (called only when this process serves `hone-train`). */
  createEngine: (opts: { ortThreads: number }) => Promise<ExperimentEngine & { close?: () => Promise<void> }>;
  /** How long to wait for the Temporal frontend at start (it may still be starting; default 60 s). */
  connectTimeoutMs?: number;
}

/** A running worker process: its Temporal workers over one connection, database pool and engine. */
export interface HoneWorker {
  queues: string[];
  /** Resolves when every worker has stopped and resources are closed; rejects if a worker failed. */
  done: Promise<void>;
  /**
   * Graceful stop: no new tasks; running activities are cancelled (trainers checkpoint and stop) and get the grace
   * period to finish; then the connection, pool and engine close. Idempotent; resolves with `done`.
   */
  shutdown(): Promise<void>;
}

let runtimeInstalled = false;
/**
 * One Temporal runtime per process, installed before the first connection: it must not act on signals itself (the
 * caller orders the shutdown: workers first, then the stores) and logs through our logger.
 */
function installRuntime(logger: ActivityLogger, level: WorkerSettings['logLevel']): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  const sdkLevel = level === 'debug' ? 'DEBUG' : level === 'info' ? 'INFO' : level === 'warn' ? 'WARN' : 'ERROR';
  // Expected for a worker that serves one side of a queue pair; not worth a warning on every start.
  const routine = /No Nexus services registered|No workflows registered|No activities registered/;
  const forward = (e: LogEntry) => {
    if (routine.test(e.message)) return;
    const f = { ...(e.meta ?? {}), source: 'temporal-sdk' };
    if (e.level === 'ERROR') logger.error(e.message, f);
    else if (e.level === 'WARN') logger.warn(e.message, f);
    else if (e.level === 'INFO') logger.info(e.message, f);
    else logger.debug(e.message, f);
  };
  try {
    // Core's own logs (gRPC retries while Temporal is unreachable, …) go through the same JSON logger instead of
    // being printed to the console in their own format.
    Runtime.install({ shutdownSignals: [], logger: new DefaultLogger(sdkLevel, forward), telemetryOptions: { logging: { filter: { core: 'WARN', other: 'ERROR' }, forward: {} } } });
  } catch {
    // a runtime exists already (a test, or the CLI created a connection first): keep it
  }
}

async function connectWithRetry(address: string, timeoutMs: number, logger: ActivityLogger): Promise<NativeConnection> {
  const until = Date.now() + timeoutMs;
  let warned = false;
  for (;;) {
    try {
      return await NativeConnection.connect({ address });
    } catch (e) {
      if (Date.now() > until) throw new AppError('DEPENDENCY_UNAVAILABLE', `Temporal is not reachable at ${address} after ${Math.round(timeoutMs / 1000)} s: ${(e as Error).message}`);
      if (!warned) logger.warn('waiting for Temporal', { address });
      warned = true;
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
}

const pick = (all: ExperimentActivities, names: readonly (keyof ExperimentActivities)[]) => Object.fromEntries(names.map((n) => [n, all[n]]));

/**
 * Starts the worker(s) of one process: `hone-control` (the workflow and the database activities) and/or
 * `hone-train` (the engine activities, `trainConcurrency` at a time, default 1 — a training run uses every core).
 */
export async function startHoneWorker(opts: StartWorkerOptions): Promise<HoneWorker> {
  const { config, settings, logger } = opts;
  if (!config.databaseUrl) throw new AppError('CONFIG_INVALID', 'DATABASE_URL is not set: the worker needs Postgres (or run `hone up`, which sets it)');
  if (!config.temporal.address) throw new AppError('CONFIG_INVALID', 'TEMPORAL_ADDRESS is not set: the worker needs a Temporal frontend (or run `hone up`, which sets it)');
  installRuntime(logger, settings.logLevel);
  const serveControl = settings.queues.includes('control');
  const serveTrain = settings.queues.includes('train');

  let db: Db | undefined;
  let connection: NativeConnection | undefined;
  let engine: (ExperimentEngine & { close?: () => Promise<void> }) | undefined;
  const closeResources = async () => {
    await Promise.allSettled([engine?.close?.(), connection?.close(), db?.$disconnect()]);
  };
  try {
    db = createDb(config.databaseUrl, { poolSize: serveControl ? 10 : 4, applicationName: 'hone-worker' });
    const ortThreads = settings.ortThreads ?? Math.max(1, os.availableParallelism());
    engine = serveTrain ? await opts.createEngine({ ortThreads }) : undefined;
    const activities = createActivities({
      db,
      artifacts: createArtifactStore(config.artifacts),
      // A control-only worker never runs an engine activity; calling one would be a routing bug.
      engine: engine ?? unavailableEngine(),
      logger,
    });
    connection = await connectWithRetry(config.temporal.address, opts.connectTimeoutMs ?? 60_000, logger);
    const common = {
      connection,
      namespace: config.temporal.namespace,
      identity: `hone-worker@${os.hostname()}:${process.pid}`,
      // On shutdown, activities get a short grace to finish, then are cancelled: a trainer saves what it finished
      // and stops, and its next attempt (on any worker) resumes there. The force time bounds the whole shutdown.
      shutdownGraceTime: `${settings.shutdownGraceSeconds}s`,
      shutdownForceTime: `${settings.shutdownForceSeconds}s`,
      // Cancellation reaches an activity with the reply to a heartbeat: send them often enough that a cancel or a
      // dead worker is noticed within seconds, not the SDK default of 30–60 s.
      maxHeartbeatThrottleInterval: settings.heartbeatThrottleMs,
      defaultHeartbeatThrottleInterval: settings.heartbeatThrottleMs,
    } as const;
    const workers: Worker[] = [];
    if (serveControl) {
      const bundle: WorkflowBundleOption = (await workflowBundleForWorker((m) => logger.info(m))).option;
      workers.push(await Worker.create({ ...common, taskQueue: CONTROL_TASK_QUEUE, workflowBundle: bundle, activities: pick(activities, CONTROL_ACTIVITY_NAMES), maxConcurrentActivityTaskExecutions: 20 }));
    }
    if (serveTrain) {
      workers.push(await Worker.create({ ...common, taskQueue: TRAIN_TASK_QUEUE, activities: pick(activities, TRAIN_ACTIVITY_NAMES), maxConcurrentActivityTaskExecutions: settings.trainConcurrency }));
    }
    const queues = [...(serveControl ? [CONTROL_TASK_QUEUE] : []), ...(serveTrain ? [TRAIN_TASK_QUEUE] : [])];
    logger.info('hone worker polling', { queues, namespace: config.temporal.namespace, address: config.temporal.address, ortThreads: serveTrain ? ortThreads : undefined });
    const done = Promise.all(workers.map((w) => w.run())).then(
      async () => {
        await closeResources();
        logger.info('hone worker stopped', { queues });
      },
      async (e: unknown) => {
        for (const w of workers) if (w.getState() === 'RUNNING') w.shutdown();
        await closeResources();
        throw e;
      },
    );
    let stopping: Promise<void> | undefined;
    const shutdown = () =>
      (stopping ??= (() => {
        logger.info('hone worker shutting down: running activities are cancelled and may checkpoint', { graceSeconds: settings.shutdownGraceSeconds, forceSeconds: settings.shutdownForceSeconds });
        for (const w of workers) if (w.getState() === 'RUNNING' || w.getState() === 'INITIALIZED') w.shutdown();
        return done.catch(() => undefined);
      })());
    return { queues, done, shutdown };
  } catch (e) {
    await closeResources();
    throw e;
  }
}

function unavailableEngine(): ExperimentEngine {
  const no = (): never => {
    throw new AppError('INTERNAL', 'this worker serves only hone-control; engine activities run on hone-train workers');
  };
  return { trainSft: no, importOnnxFolder: no, generateSamples: no, fitRewardModel: no, openPpo: no, openDpo: no, evaluate: no };
}
