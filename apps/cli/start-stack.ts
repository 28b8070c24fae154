import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { createArtifactStore } from '../../lib/artifacts';
import type { HoneConfig } from '../../lib/config';
import { createDb, migrateDeploy, type Db } from '../../lib/db';
import { ensureAdminToken } from '../../lib/domain/ensure-admin-token';
import { canConnect, resolveTemporalCli, startEmbeddedPostgres, startTemporalDevServer, type EmbeddedPostgres, type TemporalDevServer } from '../../lib/services';
import { createJsonLogger } from '../server/logger';
import { startServer, type RunningServer } from '../server/start-server';
import { CliError } from './cli-error';
import { readStackState, removeStackState, writeStackState, type StackState } from './stack-state';
import { startWorkerProcess, type WorkerProcess } from './worker-process';
import { workflowTuningFromEnv } from '../server/workflow-tuning';

/** Which pieces `hone up` runs here, and on which ports. External services come from the configuration. */
export interface StackOptions {
  config: HoneConfig;
  /** Serve the HTTP API in this process (default true). */
  api?: boolean;
  /** Run a supervised worker child process (default true); `queues` as HONE_WORKER_QUEUES. */
  worker?: boolean;
  workerQueues?: string;
  /** Serve the Temporal Web UI of the embedded dev server (default true). */
  temporalUi?: boolean;
  /** Ports; 0 = any free one. Defaults: API from the config (8787), Temporal 7233, its UI 8233, Postgres any. */
  ports?: { api?: number; temporal?: number; temporalUi?: number; postgres?: number };
  /** Progress lines (stderr). */
  say: (line: string) => void;
  /** Extra environment for the worker (tests shorten timings). */
  workerEnv?: NodeJS.ProcessEnv;
}

/** A started stack. */
export interface RunningStack {
  state: StackState;
  apiUrl?: string;
  temporalUiUrl?: string;
  adminTokenFile: string;
  logDir: string;
  worker?: WorkerProcess;
  /** Rejects when an embedded service dies on its own (the stack is then unusable). */
  failure: Promise<never>;
  /** Stops everything in order: worker, API, Temporal dev server, Postgres. Idempotent. */
  stop(): Promise<void>;
}

const timed = async <T>(say: (l: string) => void, what: string, fn: () => Promise<T>): Promise<T> => {
  const t = Date.now();
  const r = await fn();
  say(`${what} (${((Date.now() - t) / 1000).toFixed(1)} s)`);
  return r;
};

/**
 * Starts hone on one machine: embedded Postgres (unless DATABASE_URL) with migrations applied, the Temporal dev
 * server with its Web UI on a SQLite file in the data folder (unless TEMPORAL_ADDRESS), the API and a worker.
 * Publishes `<dataDir>/stack.json` so later commands with the same data folder find it.
 */
export async function startStack(opts: StackOptions): Promise<RunningStack> {
  const { config, say } = opts;
  const dataDir = config.dataDir;
  const logDir = path.join(dataDir, 'logs');
  fs.mkdirSync(logDir, { recursive: true });
  const workflowTuning = workflowTuningFromEnv(); // fail fast on a bad value, before starting anything
  const running = readStackState(dataDir);
  if (running) throw new CliError(`hone is already running for ${dataDir} (process ${running.pid}${running.apiUrl ? `, API ${running.apiUrl}` : ''}); stop it first, or set HONE_DATA_DIR to another folder`);
  if (process.getuid?.() === 0) fs.chmodSync(dataDir, 0o755); // the embedded Postgres runs as user "postgres" under root

  let postgres: EmbeddedPostgres | undefined;
  let temporal: TemporalDevServer | undefined;
  let db: Db | undefined;
  let connection: Connection | undefined;
  let server: RunningServer | undefined;
  let worker: WorkerProcess | undefined;
  let apiLog: fs.WriteStream | undefined;
  let stopping: Promise<void> | undefined;

  const stop = () =>
    (stopping ??= (async () => {
      // Clients before the services they use: the worker checkpoints through Postgres and reports to Temporal.
      if (worker) await timed(say, 'worker stopped', () => worker!.stop());
      if (server) await server.close();
      await connection?.close().catch(() => undefined);
      await db?.$disconnect().catch(() => undefined);
      if (temporal) await timed(say, 'Temporal dev server stopped', () => temporal!.stop());
      if (postgres) await timed(say, 'Postgres stopped', () => postgres!.stop());
      await new Promise<void>((r) => (apiLog ? apiLog.end(r) : r()));
      removeStackState(dataDir);
    })());

  try {
    const ports = opts.ports ?? {};
    const temporalPort = ports.temporal ?? 7233;
    if (!config.temporal.address && temporalPort !== 0 && (await canConnect(temporalPort))) {
      throw new CliError(`port ${temporalPort} is in use, so the Temporal dev server cannot start there: pass --temporal-port (0 = any free port), or set TEMPORAL_ADDRESS to use the Temporal that is running`);
    }
    const [pg, tp] = await Promise.allSettled([
      config.databaseUrl
        ? Promise.resolve(undefined)
        : timed(say, `embedded Postgres started (data in ${path.join(dataDir, 'postgres')})`, () => startEmbeddedPostgres({ dataDir: path.join(dataDir, 'postgres'), port: ports.postgres ?? 0, detached: true })),
      config.temporal.address
        ? Promise.resolve(undefined)
        : (async () => {
            const cli = await timed(say, 'Temporal CLI found', () => resolveTemporalCli());
            return timed(say, `Temporal dev server started (history in ${path.join(dataDir, 'temporal', 'temporal.sqlite')})`, () =>
              startTemporalDevServer({ dataDir: path.join(dataDir, 'temporal'), cliPath: cli.path, port: temporalPort, uiPort: opts.temporalUi === false ? false : (ports.temporalUi ?? 8233), namespace: config.temporal.namespace, detached: true }),
            );
          })(),
    ]);
    // Keep whatever started, so that a failure of the other one still stops it.
    postgres = pg.status === 'fulfilled' ? pg.value : undefined;
    temporal = tp.status === 'fulfilled' ? tp.value : undefined;
    if (pg.status === 'rejected') throw pg.reason;
    if (tp.status === 'rejected') throw tp.reason;
    const databaseUrl = config.databaseUrl ?? postgres!.url;
    const temporalAddress = config.temporal.address ?? temporal!.address;

    await timed(say, 'migrations applied', () => migrateDeploy(databaseUrl));
    db = createDb(databaseUrl, { poolSize: 20, applicationName: 'hone-api' });
    const admin = await ensureAdminToken(db, dataDir);
    const artifactsUri = config.artifacts.kind === 'file' ? pathToFileURL(config.artifacts.root).href : `s3://${config.artifacts.bucket}/${config.artifacts.prefix ?? ''}`;

    let apiUrl: string | undefined;
    if (opts.api !== false) {
      connection = await Connection.connect({ address: temporalAddress });
      apiLog = fs.createWriteStream(path.join(logDir, 'api.log'), { flags: 'a' });
      const file = apiLog;
      const logger = createJsonLogger({
        level: 'info',
        write: (line) => {
          file.write(line);
          if (/"level":"(warn|error)"/.test(line)) say(`api: ${line.trim().slice(0, 400)}`);
        },
      });
      server = await startServer({
        deps: {
          db,
          // A LISTEN connection of its own: token lookups are cached and dropped on every grant change.
          databaseUrl,
          temporalClient: new Client({ connection, namespace: config.temporal.namespace }),
          artifacts: createArtifactStore(config.artifacts),
          logger,
          config: { temporalNamespace: config.temporal.namespace, temporalUiUrl: temporal?.uiUrl ?? (process.env.HONE_TEMPORAL_UI_URL || undefined), workflowTuning },
        },
        port: ports.api ?? config.api.port,
        host: config.api.host,
      });
      apiUrl = server.url;
    }

    const state: StackState = {
      version: 1,
      pid: process.pid,
      startedAt: new Date().toISOString(),
      apiUrl,
      temporal: { address: temporalAddress, namespace: config.temporal.namespace, uiUrl: temporal?.uiUrl, embedded: Boolean(temporal) },
      database: { url: databaseUrl, embedded: Boolean(postgres) },
      artifacts: artifactsUri,
    };
    writeStackState(dataDir, state);

    if (opts.worker !== false) {
      worker = startWorkerProcess({
        env: {
          ...process.env,
          ...opts.workerEnv,
          HONE_DATA_DIR: dataDir,
          DATABASE_URL: databaseUrl,
          TEMPORAL_ADDRESS: temporalAddress,
          TEMPORAL_NAMESPACE: config.temporal.namespace,
          HONE_ARTIFACTS: artifactsUri,
          ...(opts.workerQueues ? { HONE_WORKER_QUEUES: opts.workerQueues } : {}),
        },
        logFile: path.join(logDir, 'worker.log'),
        onNotice: say,
      });
    }

    const deaths = [postgres && postgres.process.exited.then(() => 'embedded Postgres'), temporal && temporal.process.exited.then(() => 'the Temporal dev server')].filter(Boolean) as Promise<string>[];
    const failure = Promise.race(deaths).then((what) => {
      if (stopping) return new Promise<never>(() => undefined);
      throw new CliError(`${what} exited unexpectedly (see its log under ${dataDir})`);
    });
    failure.catch(() => undefined); // observed by the caller when it cares

    return { state, apiUrl, temporalUiUrl: temporal?.uiUrl, adminTokenFile: admin.path, logDir, worker, failure, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}
