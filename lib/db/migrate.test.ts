import { Client } from 'pg';
import { testEnv } from '../../test/test-env';
import { createDb } from './create-db';
import { migrateDeploy, migrationStatus } from './migrate';

async function admin<T>(fn: (c: Client) => Promise<T>): Promise<T> {
  const c = new Client({ connectionString: testEnv('pgAdminUrl') });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

describe('migrations', () => {
  const name = `hone_migrate_${process.pid}_${Date.now()}`;
  let url: string;

  beforeAll(async () => {
    await admin((c) => c.query(`CREATE DATABASE ${name}`)); // empty: not from the template
    const u = new URL(testEnv('pgAdminUrl'));
    u.pathname = `/${name}`;
    url = u.toString();
  });
  afterAll(() => admin((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)));

  it('reports a fresh database as not up to date', async () => {
    const s = await migrationStatus(url);
    expect(s.upToDate).toBe(false);
    expect(s.output).not.toContain(new URL(url).password);
  });

  it('applies every committed migration to a fresh database, and again is a no-op', async () => {
    await migrateDeploy(url);
    expect((await migrationStatus(url)).upToDate).toBe(true);
    await migrateDeploy(url);
    expect((await migrationStatus(url)).upToDate).toBe(true);
  });

  it('leaves a schema the generated client can use', async () => {
    const db = createDb(url, { poolSize: 2 });
    try {
      const labeler = await db.labeler.create({ data: { name: 'ada', role: 'admin' } });
      expect(labeler.id).toMatch(/^[0-9a-f-]{36}$/);
      expect(await db.labeler.count()).toBe(1);
    } finally {
      await db.$disconnect();
    }
  });

  it('fails with the CLI message when the database is unreachable', async () => {
    const u = new URL(url);
    u.port = '1';
    await expect(migrateDeploy(u.toString(), { onError: () => undefined })).rejects.toMatchObject({ code: 'DEPENDENCY_UNAVAILABLE' });
  });
});
