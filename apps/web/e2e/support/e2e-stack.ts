/**
 * Everything a browser test runs against, started per test file: a private database (copied from the migrated
 * template of the jest global setup's Postgres), a Temporal dev server of its own with a control and a train worker
 * running the real experiment workflow over {@link createE2eActivities}, and the real HTTP server (API + built web
 * UI) on a free port of 127.0.0.1.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { FileArtifactStore } from '../../../../lib/artifacts';
import { createDb, type Db } from '../../../../lib/db';
import { createLabeler } from '../../../../lib/domain';
import { startServer, type RunningServer } from '../../../server';
import { createJsonLogger } from '../../../server/logger';
import { bundleOnce } from '../../../../test/experiment-test-kit';
import { createTestEnv, installQuietRuntime, resolveTemporalCli } from '../../../../test/temporal-test-env';
import { createTestDatabase, type TestDatabase } from '../../../../test/test-database';
import { CONTROL_ACTIVITY_NAMES, CONTROL_TASK_QUEUE, TRAIN_ACTIVITY_NAMES, TRAIN_TASK_QUEUE, statusQuery, type ExperimentStatus } from '../../../../workflows/experiment-contract';
import type { ExperimentActivities } from '../../../../activities/experiment-activity-types';
import { createE2eActivities } from './e2e-activities';

/** Shown as the Temporal Web UI link (the dev server here runs without its UI). */
export const E2E_TEMPORAL_UI = 'http://127.0.0.1:8233';

export interface E2eStack {
  url: string;
  db: Db;
  env: TestWorkflowEnvironment;
  server: RunningServer;
  adminToken: string;
  adminId: string;
  logs: string[];
  /** An API call as the admin (or with `token`), over real HTTP. */
  api<T = any>(method: 'GET' | 'POST', urlPath: string, body?: unknown, token?: string): Promise<{ status: number; json: T }>;
  /** Launches an experiment through the API; returns its id and workflow id. */
  launch(specYaml: string): Promise<{ experimentId: string; workflowId: string }>;
  /** Creates a labeler through the API; returns its id and token. */
  labeler(name: string, scopes?: string[] | '*'): Promise<{ id: string; token: string }>;
  /** The workflow's status query. */
  status(workflowId: string): Promise<ExperimentStatus>;
  /** Polls the status query until `predicate` holds (fails with the last status after `timeoutMs`). */
  waitFor(workflowId: string, predicate: (s: ExperimentStatus) => boolean, what: string, timeoutMs?: number): Promise<ExperimentStatus>;
  stop(): Promise<void>;
}

export async function startE2eStack(label: string): Promise<E2eStack> {
  installQuietRuntime();
  const cli = resolveTemporalCli();
  const tdb: TestDatabase = await createTestDatabase(`e2e_${label}`);
  const db = createDb(tdb.url, { poolSize: 10 });
  const artifactDir = fs.mkdtempSync(path.join(os.tmpdir(), 'hone-e2e-artifacts-'));
  const artifacts = new FileArtifactStore(artifactDir);
  const [env, bundle] = await Promise.all([createTestEnv(cli), bundleOnce()]);
  const all = createE2eActivities({ db, artifacts });
  const pick = (names: readonly (keyof ExperimentActivities)[]) => Object.fromEntries(names.map((n) => [n, all[n]]));
  const common = { connection: env.nativeConnection, shutdownGraceTime: '1s' } as const;
  const workers = await Promise.all([
    Worker.create({ ...common, taskQueue: CONTROL_TASK_QUEUE, workflowBundle: bundle, activities: pick(CONTROL_ACTIVITY_NAMES) }),
    Worker.create({ ...common, taskQueue: TRAIN_TASK_QUEUE, activities: pick(TRAIN_ACTIVITY_NAMES) }),
  ]);
  const running = Promise.all(workers.map((w) => w.run()));

  const logs: string[] = [];
  const server = await startServer({
    deps: {
      db,
      temporalClient: env.client,
      artifacts,
      logger: createJsonLogger({ level: 'info', write: (l) => logs.push(l) }),
      config: { temporalUiUrl: E2E_TEMPORAL_UI, temporalNamespace: env.client.options.namespace, statusQueryTimeoutMs: 3_000, updateTimeoutMs: 15_000, workflowTuning: { heartbeatTimeoutMs: 5_000, retryInitialIntervalMs: 100 } },
    },
    port: 0,
    buildWebUi: false, // the e2e global setup built it once for all files
    sweepIntervalMs: 2_000,
  });
  const admin = await createLabeler(db, { name: 'admin', role: 'admin', actor: 'e2e' });

  const api: E2eStack['api'] = async (method, urlPath, body, token) => {
    const res = await fetch(server.url + urlPath, {
      method,
      headers: { authorization: `Bearer ${token ?? admin.token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, json: text ? JSON.parse(text) : undefined };
  };

  const status = (workflowId: string) => env.client.workflow.getHandle(workflowId).query(statusQuery);
  const waitFor: E2eStack['waitFor'] = async (workflowId, predicate, what, timeoutMs = 60_000) => {
    const until = Date.now() + timeoutMs;
    let last: ExperimentStatus | undefined;
    for (;;) {
      last = await status(workflowId).catch(() => last);
      if (last && predicate(last)) return last;
      if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last status: ${JSON.stringify(last)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };

  return {
    url: server.url,
    db,
    env,
    server,
    adminToken: admin.token,
    adminId: admin.labeler.id,
    logs,
    api,
    async launch(specYaml) {
      const r = await api('POST', '/api/v1/experiments', { spec: specYaml });
      if (r.status !== 201) throw new Error(`launch failed: ${r.status} ${JSON.stringify(r.json)}`);
      return { experimentId: r.json.experiment.id, workflowId: r.json.workflowId };
    },
    async labeler(name, scopes = '*') {
      const r = await api('POST', '/api/v1/labelers', { name, role: 'labeler', scopes });
      if (r.status !== 201) throw new Error(`creating labeler ${name} failed: ${r.status} ${JSON.stringify(r.json)}`);
      return { id: r.json.labeler.id, token: r.json.token };
    },
    status,
    waitFor,
    async stop() {
      await server.close().catch(() => undefined);
      for (const w of workers) if (w.getState() === 'RUNNING') w.shutdown();
      await running.catch(() => undefined);
      await env.teardown().catch(() => undefined);
      await db.$disconnect();
      await tdb.drop();
      fs.rmSync(artifactDir, { recursive: true, force: true });
    },
  };
}
