import { z } from 'zod';
import { AppError } from '../../lib/errors';

/** Which task queues a worker process serves. */
export type WorkerQueue = 'control' | 'train';

/** A worker process's own settings (the shared ones — database, Temporal, artifacts — come from lib/config). */
export interface WorkerSettings {
  /** HONE_WORKER_QUEUES: `control,train` (default), `control` or `train`. */
  queues: WorkerQueue[];
  /** HONE_ORT_THREADS: intra-op threads of the engine's ONNX Runtime sessions (default: the CPU count). */
  ortThreads?: number;
  /** HONE_TRAIN_CONCURRENCY: train activities run at once (default 1: one model training uses every core). */
  trainConcurrency: number;
  /**
   * HONE_WORKER_SHUTDOWN_GRACE_S: on shutdown, seconds running activities may still finish before they are
   * cancelled (default 2: database steps finish; a trainer is cancelled, saves what it finished and stops).
   */
  shutdownGraceSeconds: number;
  /** HONE_WORKER_SHUTDOWN_FORCE_S: seconds after which a shutdown stops waiting for activities at all (default 60). */
  shutdownForceSeconds: number;
  /** HONE_HEARTBEAT_THROTTLE_MS: most time between heartbeats reaching the server; bounds how late a cancel arrives (default 1000). */
  heartbeatThrottleMs: number;
  /** HONE_LOG_LEVEL (default info). */
  logLevel: 'debug' | 'info' | 'warn' | 'error';
}

const int = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d+$/, 'must be a whole number')
    .transform(Number)
    .refine((n) => n >= min && n <= max, `must be between ${min} and ${max}`);

const schema = z.object({
  HONE_WORKER_QUEUES: z
    .string()
    .transform((s) => [...new Set(s.split(',').map((q) => q.trim()).filter(Boolean))])
    .refine((qs) => qs.length > 0 && qs.every((q) => q === 'control' || q === 'train'), 'must be control, train or control,train')
    .optional(),
  HONE_ORT_THREADS: int(1, 1024).optional(),
  HONE_TRAIN_CONCURRENCY: int(1, 64).optional(),
  HONE_WORKER_SHUTDOWN_GRACE_S: int(0, 3600).optional(),
  HONE_WORKER_SHUTDOWN_FORCE_S: int(1, 3600).optional(),
  HONE_HEARTBEAT_THROTTLE_MS: int(100, 60_000).optional(),
  HONE_LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error']).optional(),
});

/** Reads and validates the worker's variables; CONFIG_INVALID names the variable that is wrong. */
export function loadWorkerSettings(env: NodeJS.ProcessEnv = process.env): WorkerSettings {
  const blankToUndefined = Object.fromEntries(Object.keys(schema.shape).map((k) => [k, env[k]?.trim() ? env[k]!.trim() : undefined]));
  const r = schema.safeParse(blankToUndefined);
  if (!r.success) {
    const issue = r.error.issues[0];
    const name = String(issue.path[0]);
    throw new AppError('CONFIG_INVALID', `${name} ${issue.message} (got ${JSON.stringify(env[name])})`, { variable: name });
  }
  const e = r.data;
  return {
    queues: (e.HONE_WORKER_QUEUES as WorkerQueue[] | undefined) ?? ['control', 'train'],
    ortThreads: e.HONE_ORT_THREADS,
    trainConcurrency: e.HONE_TRAIN_CONCURRENCY ?? 1,
    shutdownGraceSeconds: e.HONE_WORKER_SHUTDOWN_GRACE_S ?? 2,
    shutdownForceSeconds: Math.max(e.HONE_WORKER_SHUTDOWN_FORCE_S ?? 60, (e.HONE_WORKER_SHUTDOWN_GRACE_S ?? 2) + 1),
    heartbeatThrottleMs: e.HONE_HEARTBEAT_THROTTLE_MS ?? 1000,
    logLevel: e.HONE_LOG_LEVEL ?? 'info',
  };
}
