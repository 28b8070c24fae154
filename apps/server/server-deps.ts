import type { Client } from '@temporalio/client';
import type { ArtifactStore } from '../../lib/artifacts';
import type { Db } from '../../lib/db';
import type { ExperimentTuning } from '../../workflows/experiment-contract';
import type { Logger } from './logger';

/** Knobs of the HTTP API; every one has a production default (see {@link DEFAULT_SERVER_CONFIG}). */
export interface ServerConfig {
  /** Largest request body accepted, bytes (413 above). */
  bodyLimitBytes: number;
  /** Largest experiment spec upload, bytes (specs may be longer than other bodies). */
  specBodyLimitBytes: number;
  /** How long GET /experiments/{id} waits for the workflow's status query before answering from the database. */
  statusQueryTimeoutMs: number;
  /** How long a steering request waits for the workflow to accept or reject it. */
  updateTimeoutMs: number;
  /** How long one ranking signal may take before it is given up (the workflow resyncs from the database). */
  signalTimeoutMs: number;
  /**
   * Ranking signals to one workflow: one with none in flight goes at once; what arrives while one is in flight is
   * merged (absolute counts) into one follow-up, started at least this long after it, ms. Bounds a busy round's
   * signals (and Temporal's work) to a few a second while an idle round hears of each ranking at once.
   */
  signalFollowUpMinIntervalMs: number;
  /** Link target for the Temporal Web UI (`<url>/namespaces/<ns>/workflows/<id>`), if there is one. */
  temporalUiUrl?: string;
  temporalNamespace: string;
  /**
   * Folder of the built web UI (apps/web/dist), served at `/` and `/admin`; null serves no UI (API only).
   * Default: the repository's apps/web/dist.
   */
  webDistDir?: string | null;
  /**
   * How long a token's principal may be served from memory, ms (0 = look every token up). Effective only while the
   * auth-change listener runs, which needs {@link ServerDeps.databaseUrl}.
   */
  principalCacheMs: number;
  /** Operational timings passed to new workflows (tests shorten them). */
  workflowTuning?: Partial<ExperimentTuning>;
}

export const DEFAULT_SERVER_CONFIG: ServerConfig = {
  bodyLimitBytes: 64 * 1024,
  specBodyLimitBytes: 300 * 1024,
  statusQueryTimeoutMs: 3_000,
  updateTimeoutMs: 15_000,
  signalTimeoutMs: 5_000,
  signalFollowUpMinIntervalMs: 100,
  principalCacheMs: 5_000,
  temporalNamespace: 'default',
};

/** What the HTTP API runs on: the database, Temporal, the artifact store, configuration and a logger. */
export interface ServerDeps {
  db: Db;
  temporalClient: Client;
  artifacts: ArtifactStore;
  config?: Partial<ServerConfig>;
  logger?: Logger;
  /**
   * The database's URL, for a LISTEN connection of its own: with it, startServer caches token lookups and drops a
   * labeler's entries the moment their grants change (any writer: triggers NOTIFY). Without it nothing is cached.
   */
  databaseUrl?: string;
}
