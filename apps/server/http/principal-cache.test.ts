/**
 * Token lookups cached for a few seconds, and forgotten the moment a grant changes — whoever changes it: a write
 * through the domain (as the CLI or an activity would) reaches the server through Postgres NOTIFY. Without its
 * LISTEN connection the cache serves nothing from memory.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { FileArtifactStore } from '../../../lib/artifacts';
import { createDb, type Db } from '../../../lib/db';
import { createLabeler, disableLabeler, rotateToken } from '../../../lib/domain';
import { createTestDatabase, type TestDatabase } from '../../../test/test-database';
import { testEnv } from '../../../test/test-env';
import { startServer, type RunningServer } from '../start-server';

let tdb: TestDatabase;
let db: Db;
let connection: Connection;
let server: RunningServer;
let plain: RunningServer;
let dir: string;

beforeAll(async () => {
  tdb = await createTestDatabase('principal_cache');
  db = createDb(tdb.url, { poolSize: 5 });
  connection = await Connection.connect({ address: testEnv('temporalAddress') });
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hone-cache-'));
  const deps = { db, temporalClient: new Client({ connection, namespace: testEnv('temporalNamespace') }), artifacts: new FileArtifactStore(dir), config: { webDistDir: null, principalCacheMs: 60_000 } };
  server = await startServer({ deps: { ...deps, databaseUrl: tdb.url }, port: 0, buildWebUi: false });
  plain = await startServer({ deps, port: 0, buildWebUi: false });
});
afterAll(async () => {
  await server?.close();
  await plain?.close();
  await connection.close();
  await db.$disconnect();
  await tdb.drop();
  fs.rmSync(dir, { recursive: true, force: true });
});

const me = (s: RunningServer, token: string) => fetch(`${s.url}/api/v1/me`, { headers: { authorization: `Bearer ${token}` } }).then(async (r) => ({ status: r.status, json: (await r.json()) as any }));

/** Polls until the server answers `status` for the token; returns how long that took. */
async function until(s: RunningServer, token: string, status: number, timeoutMs = 5_000): Promise<number> {
  const t0 = Date.now();
  for (;;) {
    if ((await me(s, token)).status === status) return Date.now() - t0;
    if (Date.now() - t0 > timeoutMs) throw new Error(`no ${status} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

it('serves repeated lookups from memory once the listener is up', async () => {
  const cache = server.app.hone.deps.principals;
  expect(cache.isArmed).toBe(true);
  const l = await createLabeler(db, { name: 'cached', role: 'labeler', actor: 'test' });
  const before = { ...cache.stats };
  for (let i = 0; i < 5; i++) expect((await me(server, l.token)).json.name).toBe('cached');
  expect(cache.stats.misses - before.misses).toBe(1);
  expect(cache.stats.hits - before.hits).toBe(4);
  // Bad tokens are never cached: each is looked up and refused.
  expect((await me(server, `hone_${'a'.repeat(43)}`)).status).toBe(401);
  expect((await me(server, `hone_${'a'.repeat(43)}`)).status).toBe(401);
});

it('forgets a labeler at once when the domain disables them or rotates their token (no API call involved)', async () => {
  const a = await createLabeler(db, { name: 'to-disable', role: 'labeler', actor: 'test' });
  const b = await createLabeler(db, { name: 'to-rotate', role: 'labeler', actor: 'test' });
  await me(server, a.token);
  await me(server, b.token);
  expect((await me(server, a.token)).status).toBe(200); // from memory now

  await disableLabeler(db, { labelerId: a.labeler.id, actor: 'cli' });
  const took = await until(server, a.token, 401);
  expect(took).toBeLessThan(2_000); // the cache entry lives 60 s: only the notification can explain this
  expect((await me(server, a.token)).json.error.message).toMatch(/disabled/);

  const rotated = await rotateToken(db, { labelerId: b.labeler.id, actor: 'cli' });
  await until(server, b.token, 401);
  expect((await me(server, b.token)).json.error.message).toMatch(/revoked/);
  expect((await me(server, rotated.token)).status).toBe(200);
});

it('stops serving from memory when the listener’s connection drops, and resumes after it reconnects', async () => {
  const cache = server.app.hone.deps.principals;
  const l = await createLabeler(db, { name: 'dropped', role: 'labeler', actor: 'test' });
  await me(server, l.token);
  await db.$queryRaw`SELECT pg_terminate_backend(pid)::text FROM pg_stat_activity WHERE application_name = 'hone-api-auth-listener' AND datname = current_database()`;
  const t0 = Date.now();
  while (cache.isArmed && Date.now() - t0 < 5_000) await new Promise((r) => setTimeout(r, 10));
  expect(cache.isArmed).toBe(false);
  const hits = cache.stats.hits;
  // Disarmed: a change made now is seen by the very next request, with no notification to help.
  await db.$executeRaw`ALTER TABLE "Labeler" DISABLE TRIGGER "Labeler_auth_change"`;
  try {
    await db.labeler.update({ where: { id: l.labeler.id }, data: { disabled: true } });
    expect((await me(server, l.token)).status).toBe(401);
  } finally {
    await db.$executeRaw`ALTER TABLE "Labeler" ENABLE TRIGGER "Labeler_auth_change"`;
  }
  expect(cache.stats.hits).toBe(hits);
  const t1 = Date.now();
  while (!cache.isArmed && Date.now() - t1 < 15_000) await new Promise((r) => setTimeout(r, 50));
  expect(cache.isArmed).toBe(true);
});

it('never caches without a LISTEN connection', async () => {
  const cache = plain.app.hone.deps.principals;
  const l = await createLabeler(db, { name: 'uncached', role: 'labeler', actor: 'test' });
  for (let i = 0; i < 3; i++) expect((await me(plain, l.token)).status).toBe(200);
  expect(cache.isArmed).toBe(false);
  expect(cache.stats.hits).toBe(0);
});
