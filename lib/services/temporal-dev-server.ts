import fs from 'node:fs';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { canConnect, resolvePort } from './free-port';
import { spawnManaged, waitUntilReady, type ManagedProcess } from './managed-process';
import { resolveTemporalCli } from './temporal-cli';

/** Options for {@link startTemporalDevServer}. */
export interface StartTemporalDevServerOptions {
  /** Folder for the SQLite file (`temporal.sqlite`) and the log (`temporal.log`); created if missing. */
  dataDir: string;
  /** Frontend gRPC port; 0 or undefined → a free one. */
  port?: number;
  /** Web UI port; 0 or undefined → a free one; `false` → no UI (headless). */
  uiPort?: number | false;
  /** Namespace to create at launch and wait for (default "default", which always exists). */
  namespace?: string;
  /** Path of the `temporal` CLI; default: {@link resolveTemporalCli} (may fetch it). */
  cliPath?: string;
  /** Server log level written to the log file (default "warn"). */
  logLevel?: 'debug' | 'info' | 'warn' | 'error';
  /** How long to wait for the frontend to answer (default 60 s; first start on a new file takes longest). */
  readyTimeoutMs?: number;
  /**
   * SQLite pragmas (`--sqlite-pragma`), default {@link DEV_SERVER_SQLITE_PRAGMAS}; `[]` keeps the CLI's own
   * (rollback journal, a sync on every commit).
   */
  sqlitePragmas?: string[];
  /**
   * Dynamic-config values (`--dynamic-config-value KEY=VALUE`, values JSON-encoded), merged over
   * {@link DEV_SERVER_DYNAMIC_CONFIG}; a key set to `undefined` drops a default.
   */
  dynamicConfig?: Record<string, string | number | boolean | undefined>;
  /** Extra `start-dev` arguments, e.g. `['--dynamic-config-value', 'KEY=VALUE']`. */
  extraArgs?: string[];
  /** Run in a process group of its own (see SpawnManagedOptions.detached). */
  detached?: boolean;
}

/**
 * Write-ahead log, synced at checkpoints rather than on every commit: a committed transaction survives the server
 * being killed (`kill -9`: the log is in the OS's cache), only an OS crash or power loss may undo the last ones.
 * Measured with `npm run bench:platform` on the shared 2-core machine (2 runs each, load 6–7): activity overhead
 * p50 72 → 48 ms and p99 300–480 → 85–205 ms against the CLI's default (rollback journal, a sync per commit); an
 * activity completion's own write 16–19 → 5–6 ms.
 */
export const DEV_SERVER_SQLITE_PRAGMAS: readonly string[] = ['journal_mode=wal', 'synchronous=normal'];

/**
 * The dev server runs one history shard, and its transfer-queue reader — the part that hands a workflow task to
 * matching once an activity result or a signal is committed — is rate limited to 20 reads a second per shard by
 * default, so every workflow task waited ~35 ms (p50) to be dispatched even on an idle machine. Measured with
 * `BENCH_ONLY=activity npm run bench:platform` on the quiet 2-core machine, back to back: activity overhead p50
 * 50.0 → 10.8 ms, p99 86.6 → 27.8 ms; the workflow task's schedule-to-start p50 32.5 → 1.7 ms. The reader is still
 * woken by notifications; the cap only bounds how often it may read, so an idle server costs nothing more.
 */
export const DEV_SERVER_DYNAMIC_CONFIG: Readonly<Record<string, string | number | boolean>> = {
  'history.transferProcessorMaxPollRPS': 1000,
};

/** `--dynamic-config-value` arguments for the defaults merged with `overrides`, in a stable order. */
export function dynamicConfigArgs(overrides: StartTemporalDevServerOptions['dynamicConfig'] = {}): string[] {
  const merged: Record<string, string | number | boolean | undefined> = { ...DEV_SERVER_DYNAMIC_CONFIG, ...overrides };
  return Object.keys(merged)
    .sort()
    .flatMap((k) => (merged[k] === undefined ? [] : ['--dynamic-config-value', `${k}=${JSON.stringify(merged[k])}`]));
}

/** A running Temporal dev server. */
export interface TemporalDevServer {
  /** `127.0.0.1:<port>` for `Connection.connect({ address })` and workers. */
  address: string;
  namespace: string;
  /** `http://127.0.0.1:<uiPort>`, or undefined when headless. */
  uiUrl?: string;
  /** The SQLite file holding all state (survives restarts). */
  dbFile: string;
  logFile: string;
  process: ManagedProcess;
  /** SIGTERM, then SIGKILL after `graceMs` (default 10 s). */
  stop(graceMs?: number): Promise<void>;
}

/**
 * Starts `temporal server start-dev` on 127.0.0.1 with persistence in `<dataDir>/temporal.sqlite`, and resolves
 * once the frontend answers and the namespace is described (the SDK's own connect waits only ~5 s, too little for
 * a first start on 2 cores). Restarting on the same `dataDir` keeps every workflow.
 */
export async function startTemporalDevServer(opts: StartTemporalDevServerOptions): Promise<TemporalDevServer> {
  const dataDir = path.resolve(opts.dataDir);
  fs.mkdirSync(dataDir, { recursive: true });
  const namespace = opts.namespace ?? 'default';
  const cli = opts.cliPath ?? (await resolveTemporalCli()).path;
  const port = await resolvePort(opts.port);
  const uiPort = opts.uiPort === false ? undefined : await resolvePort(opts.uiPort);
  if (await canConnect(port)) throw new Error(`Temporal dev server: port ${port} on 127.0.0.1 is already in use (another server running?)`);
  if (uiPort !== undefined && (await canConnect(uiPort))) throw new Error(`Temporal dev server: UI port ${uiPort} on 127.0.0.1 is already in use`);

  const dbFile = path.join(dataDir, 'temporal.sqlite');
  const logFile = path.join(dataDir, 'temporal.log');
  const args = [
    'server', 'start-dev',
    '--ip', '127.0.0.1',
    '--port', String(port),
    '--db-filename', dbFile,
    '--log-level', opts.logLevel ?? 'warn',
    ...(opts.sqlitePragmas ?? DEV_SERVER_SQLITE_PRAGMAS).flatMap((p) => ['--sqlite-pragma', p]),
    ...dynamicConfigArgs(opts.dynamicConfig),
    ...(uiPort === undefined ? ['--headless'] : ['--ui-port', String(uiPort), '--ui-ip', '127.0.0.1']),
    ...(namespace === 'default' ? [] : ['--namespace', namespace]),
    ...(opts.extraArgs ?? []),
  ];
  const proc = spawnManaged('temporal', cli, args, { logFile, cwd: dataDir, detached: opts.detached });
  const address = `127.0.0.1:${port}`;
  try {
    await waitUntilReady(proc, `Temporal dev server (${address}, log ${logFile})`, () => frontendAnswers(address, namespace), {
      timeoutMs: opts.readyTimeoutMs ?? 60_000,
      intervalMs: 250,
    });
  } catch (e) {
    await proc.stop(2_000);
    throw e;
  }
  return {
    address,
    namespace,
    uiUrl: uiPort === undefined ? undefined : `http://127.0.0.1:${uiPort}`,
    dbFile,
    logFile,
    process: proc,
    stop: (graceMs) => proc.stop(graceMs),
  };
}

async function frontendAnswers(address: string, namespace: string): Promise<boolean> {
  const port = Number(address.split(':')[1]);
  if (!(await canConnect(port))) return false;
  const connection = await Connection.connect({ address, connectTimeout: 2_000 });
  try {
    await connection.withDeadline(Date.now() + 2_000, () => connection.workflowService.describeNamespace({ namespace }));
    return true;
  } finally {
    await connection.close();
  }
}
