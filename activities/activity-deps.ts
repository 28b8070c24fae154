import type { ArtifactStore } from '../lib/artifacts';
import type { Db } from '../lib/db';
import type { ExperimentEngine } from './experiment-engine';

/** Structured logger (the worker passes the JSON-lines logger; tests a silent one). */
export interface ActivityLogger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

/** Operational settings of the activities (none is science: those live in the spec). */
export interface ActivitiesConfig {
  /** Relative `model.onnxFolder` paths in a spec resolve against this folder. */
  onnxFolderRoot: string;
  /**
   * Least time between two heartbeats a trainer sends from its progress callback (ms). The worker's heartbeat
   * throttle bounds what reaches the server anyway; this only avoids needless calls.
   */
  heartbeatEveryMs: number;
}

export const DEFAULT_ACTIVITIES_CONFIG: ActivitiesConfig = { onnxFolderRoot: process.cwd(), heartbeatEveryMs: 250 };

/** What `createActivities` runs on: the database, the artifact store, the engine, settings and a logger. */
export interface ActivityDeps {
  db: Db;
  artifacts: ArtifactStore;
  engine: ExperimentEngine;
  config?: Partial<ActivitiesConfig>;
  logger?: ActivityLogger;
}

/** {@link ActivityDeps} with defaults filled in. */
export interface ResolvedActivityDeps {
  db: Db;
  artifacts: ArtifactStore;
  engine: ExperimentEngine;
  config: ActivitiesConfig;
  logger: ActivityLogger;
}

const silent: ActivityLogger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

/** Fills in defaults. */
export function resolveActivityDeps(deps: ActivityDeps): ResolvedActivityDeps {
  return { db: deps.db, artifacts: deps.artifacts, engine: deps.engine, config: { ...DEFAULT_ACTIVITIES_CONFIG, ...deps.config }, logger: deps.logger ?? silent };
}
