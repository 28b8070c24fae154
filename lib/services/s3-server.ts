import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { canConnect, resolvePort } from './free-port';
import { spawnManaged, waitUntilReady, type ManagedProcess } from './managed-process';
import { resolveS3ServerBin } from './s3-server-bin';

/** Options for {@link startS3Server}. */
export interface StartS3ServerOptions {
  /** Folder for buckets (`data/`), object metadata (`meta/`), credentials and the log; created if missing. */
  dataDir: string;
  /** TCP port on 127.0.0.1; 0 or undefined → a free one. */
  port?: number;
  /** Region the server reports (default us-east-1). */
  region?: string;
  /** Path of the server binary; default: {@link resolveS3ServerBin} (may build it). */
  binPath?: string;
  /** How long to wait for the server to answer HTTP (default 30 s). */
  readyTimeoutMs?: number;
}

/** A running S3-compatible server and what a client needs to talk to it. */
export interface S3Server {
  /** `http://127.0.0.1:<port>` — use with `forcePathStyle: true`. */
  endpoint: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  dataDir: string;
  logFile: string;
  process: ManagedProcess;
  /** SIGTERM, then SIGKILL after `graceMs` (default 5 s). */
  stop(graceMs?: number): Promise<void>;
}

interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
}

/**
 * Starts a real S3-compatible server (Versity S3 Gateway, posix backend) on 127.0.0.1. Buckets are folders under
 * `<dataDir>/data`; object metadata lives in a sidecar folder (`<dataDir>/meta`) so any filesystem works, with or
 * without extended attributes. Root credentials are generated on first start and kept in
 * `<dataDir>/credentials.json` (mode 0600), so data and credentials survive restarts together.
 */
export async function startS3Server(opts: StartS3ServerOptions): Promise<S3Server> {
  const dataDir = path.resolve(opts.dataDir);
  const objects = path.join(dataDir, 'data');
  const meta = path.join(dataDir, 'meta');
  fs.mkdirSync(objects, { recursive: true });
  fs.mkdirSync(meta, { recursive: true });
  const creds = loadOrCreateCredentials(path.join(dataDir, 'credentials.json'));
  const region = opts.region ?? 'us-east-1';
  const bin = opts.binPath ?? (await resolveS3ServerBin()).path;
  const port = await resolvePort(opts.port);
  if (await canConnect(port)) throw new Error(`S3 server: port ${port} on 127.0.0.1 is already in use`);

  const logFile = path.join(dataDir, 's3.log');
  const proc = spawnManaged('versitygw', bin, ['--port', `127.0.0.1:${port}`, '--region', region, '--quiet', 'posix', '--sidecar', meta, objects], {
    logFile,
    // credentials through the environment, not argv, so they do not show in `ps`
    env: { ...process.env, ROOT_ACCESS_KEY_ID: creds.accessKeyId, ROOT_SECRET_ACCESS_KEY: creds.secretAccessKey },
    graceMs: 5_000,
  });
  const endpoint = `http://127.0.0.1:${port}`;
  try {
    await waitUntilReady(proc, `S3 server (${endpoint}, log ${logFile})`, () => answersHttp(endpoint), { timeoutMs: opts.readyTimeoutMs ?? 30_000, intervalMs: 100 });
  } catch (e) {
    await proc.stop(2_000);
    throw e;
  }
  return { endpoint, region, ...creds, dataDir, logFile, process: proc, stop: (graceMs) => proc.stop(graceMs) };
}

function loadOrCreateCredentials(file: string): Credentials {
  if (fs.existsSync(file)) return JSON.parse(fs.readFileSync(file, 'utf8')) as Credentials;
  const creds: Credentials = {
    accessKeyId: `HONE${randomBytes(8).toString('hex').toUpperCase()}`,
    secretAccessKey: randomBytes(30).toString('base64url'),
  };
  // exclusive create: two first starts racing on one folder must agree on one set of credentials
  try {
    fs.writeFileSync(file, JSON.stringify(creds, null, 2) + '\n', { mode: 0o600, flag: 'wx' });
    return creds;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return JSON.parse(fs.readFileSync(file, 'utf8')) as Credentials;
    throw e;
  }
}

/** Any HTTP answer (an unsigned request gets 403) means the server is serving. */
async function answersHttp(endpoint: string): Promise<boolean> {
  const res = await fetch(endpoint, { signal: AbortSignal.timeout(2_000) });
  await res.body?.cancel();
  return res.status > 0;
}
