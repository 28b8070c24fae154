import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { startEmbeddedPostgres, type EmbeddedPostgres } from './embedded-postgres';

const base = fs.mkdtempSync(path.join(os.tmpdir(), 'hone-pg-'));
fs.chmodSync(base, 0o755); // as root, the server runs as user "postgres", which must reach the data folder
let pg: EmbeddedPostgres | undefined;
afterAll(async () => {
  await pg?.stop();
  fs.rmSync(base, { recursive: true, force: true });
});

async function query(url: string, sql: string): Promise<unknown[]> {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query(sql)).rows;
  } finally {
    await c.end();
  }
}

describe('startEmbeddedPostgres', () => {
  it('initialises a cluster once and keeps its data across restarts', async () => {
    const dataDir = path.join(base, 'pg');
    pg = await startEmbeddedPostgres({ dataDir, port: 0 });
    expect(pg.url).toMatch(/^postgresql:\/\/postgres:[^@]+@127\.0\.0\.1:\d+\/hone$/);
    expect(new URL(pg.url).password).not.toBe('password');
    await query(pg.url, "CREATE TABLE kept (v text); INSERT INTO kept VALUES ('survives')");
    await pg.stop();
    expect(pg.process.hasExited()).toBe(true);

    pg = await startEmbeddedPostgres({ dataDir, port: 0 });
    expect(await query(pg.url, 'SELECT v FROM kept')).toEqual([{ v: 'survives' }]);
    expect(await query(pg.url, "SELECT current_setting('listen_addresses') AS l")).toEqual([{ l: '127.0.0.1' }]);
    expect(fs.statSync(path.join(dataDir, 'password')).mode & 0o077).toBe(0);
  });

  it('creates the requested database', async () => {
    const other = await startEmbeddedPostgres({ dataDir: path.join(base, 'pg2'), database: 'hone_other', fsync: false });
    try {
      expect(other.url.endsWith('/hone_other')).toBe(true);
      expect(await query(other.url, 'SELECT current_database() AS d')).toEqual([{ d: 'hone_other' }]);
    } finally {
      await other.stop();
    }
  });

  it('refuses a data folder that holds something else', async () => {
    const dataDir = path.join(base, 'junk');
    fs.mkdirSync(path.join(dataDir, 'pgdata'), { recursive: true });
    fs.writeFileSync(path.join(dataDir, 'pgdata', 'notes.txt'), 'not a cluster');
    await expect(startEmbeddedPostgres({ dataDir })).rejects.toThrow(/exists but holds no cluster/);
  });
});
