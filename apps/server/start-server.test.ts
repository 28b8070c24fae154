import { Client, Connection } from '@temporalio/client';
import { FileArtifactStore } from '../../lib/artifacts';
import { createDb, type Db } from '../../lib/db';
import { claimNextTask, createLabeler } from '../../lib/domain';
import { seedLabelingRound } from '../../lib/domain/test-support';
import { createTestDatabase, type TestDatabase } from '../../test/test-database';
import { testEnv } from '../../test/test-env';
import { startServer, type RunningServer } from './start-server';
import { createJsonLogger } from './logger';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

let tdb: TestDatabase;
let db: Db;
let connection: Connection;
let server: RunningServer | undefined;
let dir: string;
const logs: string[] = [];

beforeAll(async () => {
  tdb = await createTestDatabase('server');
  db = createDb(tdb.url, { poolSize: 5 });
  connection = await Connection.connect({ address: testEnv('temporalAddress') });
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hone-server-'));
});
afterAll(async () => {
  await server?.close();
  await connection.close();
  await db.$disconnect();
  await tdb.drop();
  fs.rmSync(dir, { recursive: true, force: true });
});

it('serves on 127.0.0.1, sweeps expired claims, finishes requests in flight on close, then refuses connections', async () => {
  server = await startServer({
    deps: { db, temporalClient: new Client({ connection, namespace: testEnv('temporalNamespace') }), artifacts: new FileArtifactStore(dir), logger: createJsonLogger({ write: (l) => logs.push(l) }) },
    port: 0,
    sweepIntervalMs: 50,
  });
  expect(server.host).toBe('127.0.0.1');
  expect(server.url).toBe(`http://127.0.0.1:${server.port}`);
  const health = await fetch(`${server.url}/healthz`);
  expect(health.status).toBe(200);

  // A claim with a 1 s expiry goes back to the pool by the sweeper alone.
  const round = await seedLabelingRound(db, { prompts: 1, assignmentTtlMs: 1_000 });
  const l = await createLabeler(db, { name: 'sweep', role: 'labeler', actor: 'test' });
  await claimNextTask(db, { labelerId: l.labeler.id, experimentId: round.experimentId });
  for (let i = 0; i < 100 && (await db.taskAssignment.count({ where: { status: 'expired' } })) === 0; i++) await new Promise((r) => setTimeout(r, 50));
  expect(await db.taskAssignment.count({ where: { status: 'expired' } })).toBe(1);

  // A request whose body is still arriving when close() is called completes normally (the body limit reads a
  // streamed body to its end before anything else runs, so the request is in flight throughout).
  let push!: (chunk: string | null) => void;
  const body = new ReadableStream<Uint8Array>({
    start(c) {
      push = (chunk) => (chunk === null ? c.close() : c.enqueue(new TextEncoder().encode(chunk)));
    },
  });
  const admin = await createLabeler(db, { name: 'closer', role: 'admin', actor: 'test' });
  const pending = fetch(`${server.url}/api/v1/labelers`, { method: 'POST', headers: { authorization: `Bearer ${admin.token}`, 'content-type': 'application/json' }, body, duplex: 'half' } as RequestInit);
  push('{"name":');
  await new Promise((r) => setTimeout(r, 100));
  const closing = server.close();
  push('"x","role":"labeler"}');
  push(null);
  const res = await pending;
  expect(res.status).toBe(201);
  expect(await db.labeler.count({ where: { name: 'x' } })).toBe(1);
  await closing;
  await expect(fetch(`${server.url}/healthz`)).rejects.toThrow();
  expect(logs.some((line) => line.includes('hone API stopped'))).toBe(true);
  server = undefined;
});
