import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { migrateDeploy } from '../lib/db';
import { resolveS3ServerBin, resolveTemporalCli, startEmbeddedPostgres, startS3Server, startTemporalDevServer, type EmbeddedPostgres, type S3Server, type TemporalDevServer } from '../lib/services';
import { TEST_ENV } from './test-env';

/** What the teardown needs; kept on globalThis (jest runs setup and teardown in the same process). */
export interface TestServices {
  runDir: string;
  postgres?: EmbeddedPostgres;
  temporal?: TemporalDevServer;
  s3?: S3Server;
}
const KEY = Symbol.for('hone.test.services');
export function getTestServices(): TestServices | undefined {
  return (globalThis as Record<symbol, TestServices | undefined>)[KEY];
}

const TEMPLATE_DB = 'hone_template';
const SHARED_DB = 'hone_test';

function log(message: string): void {
  process.stderr.write(`[hone test setup] ${message}\n`);
}

async function timed<T>(what: string, fn: () => Promise<T>): Promise<T> {
  const t = Date.now();
  const r = await fn();
  log(`${what} (${((Date.now() - t) / 1000).toFixed(1)} s)`);
  return r;
}

/**
 * Jest global setup for the "platform" project: one embedded Postgres (fresh data folder; a migrated template
 * database + a migrated shared database), one Temporal dev server and one S3 server for the whole run, their
 * addresses published through the variables in test/test-env.ts. Binaries come through the resolvers, so a fresh
 * machine works (the first run fetches/builds them and is slower).
 */
export default async function globalSetup(): Promise<void> {
  process.env.CHECKPOINT_DISABLE = '1';
  const runDir = fs.mkdtempSync(path.join(os.tmpdir(), 'hone-test-'));
  fs.chmodSync(runDir, 0o755); // the embedded Postgres runs as user "postgres" when we are root
  const services: TestServices = { runDir };
  (globalThis as Record<symbol, TestServices>)[KEY] = services;
  process.env[TEST_ENV.runDir] = runDir;
  try {
    const [temporalCli, s3Bin] = await timed('tools resolved', () => Promise.all([resolveTemporalCli(), resolveS3ServerBin()]));
    process.env[TEST_ENV.temporalCli] = temporalCli.path;
    process.env[TEST_ENV.s3ServerBin] = s3Bin.path;

    const [postgres, temporal, s3] = await Promise.all([
      timed('embedded Postgres started', () => startEmbeddedPostgres({ dataDir: path.join(runDir, 'postgres'), database: TEMPLATE_DB, fsync: false })),
      timed('Temporal dev server started', () => startTemporalDevServer({ dataDir: path.join(runDir, 'temporal'), cliPath: temporalCli.path, uiPort: false })),
      timed('S3 server started', () => startS3Server({ dataDir: path.join(runDir, 's3'), binPath: s3Bin.path })),
    ]);
    Object.assign(services, { postgres, temporal, s3 });

    await timed('migrations applied to the template', () => migrateDeploy(postgres.url));
    const admin = new Client({ connectionString: postgres.urlFor('postgres') });
    await admin.connect();
    try {
      // no one may stay connected to a template database, or copying it fails
      await admin.query(`ALTER DATABASE ${TEMPLATE_DB} WITH ALLOW_CONNECTIONS false IS_TEMPLATE true`);
      await admin.query(`CREATE DATABASE ${SHARED_DB} TEMPLATE ${TEMPLATE_DB}`);
    } finally {
      await admin.end();
    }

    Object.assign(process.env, {
      [TEST_ENV.databaseUrl]: postgres.urlFor(SHARED_DB),
      [TEST_ENV.pgAdminUrl]: postgres.urlFor('postgres'),
      [TEST_ENV.pgTemplate]: TEMPLATE_DB,
      [TEST_ENV.temporalAddress]: temporal.address,
      [TEST_ENV.temporalNamespace]: temporal.namespace,
      [TEST_ENV.s3Endpoint]: s3.endpoint,
      [TEST_ENV.s3Region]: s3.region,
      [TEST_ENV.s3AccessKeyId]: s3.accessKeyId,
      [TEST_ENV.s3SecretAccessKey]: s3.secretAccessKey,
    });
    if (temporal.uiUrl) process.env[TEST_ENV.temporalUiUrl] = temporal.uiUrl;
  } catch (e) {
    await stopTestServices();
    throw e;
  }
}

/** Stops whatever the setup started and removes the run folder (kept when HONE_TEST_KEEP=1, for post-mortems). */
export async function stopTestServices(): Promise<void> {
  const s = getTestServices();
  if (!s) return;
  await Promise.all([s.temporal?.stop(), s.s3?.stop(), s.postgres?.stop()]);
  if (process.env.HONE_TEST_KEEP === '1') log(`kept ${s.runDir}`);
  else fs.rmSync(s.runDir, { recursive: true, force: true });
  delete (globalThis as Record<symbol, TestServices | undefined>)[KEY];
}
