/**
 * An in-process API for tests: a private database, a Temporal client on the test run's dev server, a file
 * artifact store in a temporary folder, an admin token, and `req()` over `app.request()` (no sockets).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { FileArtifactStore } from '../../lib/artifacts';
import { createDb, type Db } from '../../lib/db';
import { createLabeler } from '../../lib/domain';
import { createTestDatabase, type TestDatabase } from '../../test/test-database';
import { testEnv } from '../../test/test-env';
import { createApp, type HoneApp } from './create-app';
import { createJsonLogger } from './logger';
import type { ServerConfig } from './server-deps';

export interface TestResponse {
  status: number;
  headers: Headers;
  /** Parsed JSON body (undefined when the body is not JSON). */
  json: any;
  text: string;
}

export interface ReqOptions {
  token?: string | null;
  /** A value to send as JSON. */
  json?: unknown;
  /** A raw body (string or stream) sent as is. */
  body?: BodyInit;
  headers?: Record<string, string>;
}

export interface TestApi {
  app: HoneApp;
  db: Db;
  tdb: TestDatabase;
  adminToken: string;
  adminId: string;
  artifacts: FileArtifactStore;
  temporalClient: Client;
  /** Every log line the app wrote. */
  logs: string[];
  req(method: string, url: string, opts?: ReqOptions): Promise<TestResponse>;
  close(): Promise<void>;
}

/** Builds the app; `temporalClient` defaults to one on the test run's shared dev server (no workers there). */
export async function createTestApi(label: string, opts: { config?: Partial<ServerConfig>; temporalClient?: Client } = {}): Promise<TestApi> {
  const tdb = await createTestDatabase(label);
  const db = createDb(tdb.url, { poolSize: 10 });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hone-api-artifacts-'));
  const artifacts = new FileArtifactStore(dir);
  let connection: Connection | undefined;
  let temporalClient = opts.temporalClient;
  if (!temporalClient) {
    connection = await Connection.connect({ address: testEnv('temporalAddress') });
    temporalClient = new Client({ connection, namespace: testEnv('temporalNamespace') });
  }
  const logs: string[] = [];
  const logger = createJsonLogger({ level: 'debug', write: (line) => logs.push(line) });
  const app = createApp({ db, temporalClient, artifacts, logger, config: { statusQueryTimeoutMs: 300, updateTimeoutMs: 1_000, signalTimeoutMs: 2_000, ...opts.config } });
  const admin = await createLabeler(db, { name: 'test-admin', role: 'admin', actor: 'test' });

  const req = async (method: string, url: string, o: ReqOptions = {}): Promise<TestResponse> => {
    const headers: Record<string, string> = { ...o.headers };
    const token = o.token === undefined ? admin.token : o.token;
    if (token !== null) headers.authorization ??= `Bearer ${token}`;
    let body: BodyInit | undefined = o.body;
    if (o.json !== undefined) {
      body = JSON.stringify(o.json);
      headers['content-type'] ??= 'application/json';
    }
    const init: RequestInit & { duplex?: 'half' } = { method, headers, body };
    if (body instanceof ReadableStream) init.duplex = 'half';
    const res = await app.request(url, init);
    const text = await res.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    return { status: res.status, headers: res.headers, json, text };
  };

  return {
    app,
    db,
    tdb,
    adminToken: admin.token,
    adminId: admin.labeler.id,
    artifacts,
    temporalClient,
    logs,
    req,
    async close() {
      await app.hone.drain();
      await db.$disconnect();
      await tdb.drop();
      await connection?.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
