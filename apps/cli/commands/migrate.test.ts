import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { testEnv } from '../../../test/test-env';
import { loadConfig } from '../../../lib/config';
import type { CliContext } from '../cli-context';
import { migrateCommand } from './migrate';

/** A context that captures output and points at `url` (no running stack, so nothing else is filled in). */
function ctxFor(url: string | undefined): CliContext & { out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  const env = { HONE_DATA_DIR: `/tmp/hone-migrate-test-${randomBytes(4).toString('hex')}`, ...(url ? { DATABASE_URL: url } : {}) };
  return {
    env,
    config: loadConfig(env),
    stdout: (t: string) => out.push(t),
    stderr: (t: string) => err.push(t),
    interactive: false,
    out,
    err,
  };
}

describe('hone migrate', () => {
  const name = `hone_migrate_${randomBytes(4).toString('hex')}`;
  let url: string;
  const admin = () => new Client({ connectionString: testEnv('pgAdminUrl') });

  beforeAll(async () => {
    const c = admin();
    await c.connect();
    await c.query(`CREATE DATABASE ${name}`);
    await c.end();
    const u = new URL(testEnv('pgAdminUrl'));
    u.pathname = `/${name}`;
    url = u.toString();
  });
  afterAll(async () => {
    const c = admin();
    await c.connect();
    await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await c.end();
  });

  it('reports an empty database as not up to date, migrates it, then reports it up to date', async () => {
    const before = ctxFor(url);
    expect(await migrateCommand(before, ['--status'])).toBe(1);
    expect(before.out.join('')).toMatch(/NOT up to date/);

    const run = ctxFor(url);
    expect(await migrateCommand(run, [])).toBe(0);
    expect(run.err.join('')).toMatch(/migrations applied/);

    const c = new Client({ connectionString: url });
    await c.connect();
    const tables = await c.query(`SELECT count(*)::int AS n FROM information_schema.tables WHERE table_name IN ('Experiment', 'Ranking', 'AuditEvent')`);
    await c.end();
    expect(tables.rows[0].n).toBe(3);

    const after = ctxFor(url);
    expect(await migrateCommand(after, ['--status'])).toBe(0);
    expect(after.out.join('')).toMatch(/up to date/);
    // applying again is a no-op, not an error
    expect(await migrateCommand(ctxFor(url), [])).toBe(0);
  });

  it('refuses to run without DATABASE_URL, saying what is missing', async () => {
    await expect(migrateCommand(ctxFor(undefined), [])).rejects.toThrow(/DATABASE_URL is not set/);
  });
});
