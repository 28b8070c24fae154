/**
 * `npm run bench:labeling` — many people labeling at once, against the real API over real HTTP.
 *
 * Starts an embedded Postgres and a Temporal dev server in a temporary folder, the API as its own process
 * (`tsx apps/server/main.ts`, production settings: pool of 20, JSON request logs), and seeds one experiment with an
 * open round of more ranking tasks (K = 4, 10% overlap) than the run can use. Then N simulated labelers (default
 * 200), each with its own token and connection, loop for D seconds (default 60):
 *
 *   claim (GET /labeling/next) → think → submit (POST /labeling/tasks/{id}/ranking) → claim …
 *
 * Think time: log-normal, median 2.5 s, σ = 0.5 (≈ 80% between 1.3 and 4.7 s), clipped to [0.8 s, 8 s], seeded per
 * labeler. A careful person ranking four short completions takes 20–60 s; this is ten times brisker, so 200 of
 * them load the API like ~2,000 people would (≈ 70 claim + submit pairs per second). 2% of submissions are sent a
 * second time, identically, as a client retrying after a lost response would; those must come back as replays.
 *
 * Afterwards it compares what the database holds with what the API accepted and prints one JSON line:
 * `lost` (accepted, not stored), `duplicates` (stored twice, or a retry accepted as new), `unacknowledged` (stored,
 * though the client saw an error — harmless: its retry would be a replay), latency percentiles of first submissions
 * and of claims, errors by code, and the API process's CPU time. Goal: lost = 0, duplicates = 0, submit p99 ≤ 100 ms.
 *
 * Env: BENCH_LABELERS, BENCH_SECONDS, BENCH_SEED, BENCH_KEEP=1 (keep the temporary folder), BENCH_API_NODE_ARGS (node
 * flags for the API process, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { Rng } from '../engine/util/rng';
import { createDb, migrateDeploy } from '../lib/db';
import { createExperiment, createLabeler, openLabelingRound, registerArtifact, setExperimentStatus, storeSamples } from '../lib/domain';
import { findFreePort, projectRoot, resolveTemporalCli, startEmbeddedPostgres, startTemporalDevServer } from '../lib/services';
import { parseSpec, specSummary } from '../lib/spec';
import { experimentWorkflowId } from '../workflows/experiment-contract';

const LABELERS = Number(process.env.BENCH_LABELERS ?? 200);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 60);
const SEED = Number(process.env.BENCH_SEED ?? 42);
const K = 4;
const THINK = { dist: 'lognormal', median_s: 2.5, sigma: 0.5, min_s: 0.8, max_s: 8 } as const;
const REPLAY_SHARE = 0.02;
/** Enough tasks that nobody runs out: the expected pairs, three times over. */
const TASKS = Math.ceil((LABELERS * SECONDS) / THINK.median_s) * 3 + 100;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const log = (m: string) => process.stderr.write(`[bench:labeling] ${m}\n`);

function thinkMs(rng: Rng): number {
  const s = THINK.median_s * Math.exp(THINK.sigma * rng.normal());
  return Math.min(THINK.max_s, Math.max(THINK.min_s, s)) * 1000;
}

function percentile(sorted: number[], q: number): number | null {
  if (sorted.length === 0) return null;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return Math.round(sorted[i] * 10) / 10;
}

/** utime + stime of a process, seconds (Linux /proc). */
function cpuSeconds(pid: number | undefined): number | null {
  try {
    const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = f.slice(f.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // clock ticks: USER_HZ is 100 on Linux
  } catch {
    return null;
  }
}

/** All CPU time of a process tree rooted at `pid` (tsx starts node as a child). */
function treeCpuSeconds(pid: number | undefined): number | null {
  if (pid === undefined) return null;
  let total = cpuSeconds(pid) ?? 0;
  try {
    for (const child of fs.readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean)) total += treeCpuSeconds(Number(child)) ?? 0;
  } catch {
    // no children listing: the process itself only
  }
  return Math.round(total * 10) / 10;
}

async function waitForHealth(url: string, server: ChildProcess, logFile: string): Promise<void> {
  const until = Date.now() + 120_000;
  for (;;) {
    if (server.exitCode !== null) throw new Error(`the API process exited with ${server.exitCode}; see ${logFile}`);
    try {
      const r = await fetch(`${url}/healthz`);
      if (r.ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > until) throw new Error(`the API did not become healthy within 120 s; see ${logFile}`);
    await sleep(200);
  }
}

async function main(): Promise<void> {
  const started = Date.now();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hone-bench-labeling-'));
  fs.chmodSync(dir, 0o755); // the embedded Postgres runs as user "postgres" when we are root
  const cleanup: (() => Promise<unknown>)[] = [];
  try {
    log(`services in ${dir}`);
    const [pg, temporal] = await Promise.all([
      startEmbeddedPostgres({ dataDir: path.join(dir, 'postgres'), database: 'hone', fsync: true }),
      resolveTemporalCli().then((cli) => startTemporalDevServer({ dataDir: path.join(dir, 'temporal'), cliPath: cli.path, uiPort: false })),
    ]);
    cleanup.push(() => pg.stop(), () => temporal.stop());
    await migrateDeploy(pg.url);
    const db = createDb(pg.url, { poolSize: 10, applicationName: 'hone-bench' });
    cleanup.push(() => db.$disconnect());

    // ------------------------------------------------------------------ seed: one experiment, one open round
    const specYaml = `name: bench-labeling\nseed: ${SEED}\nrounds: { count: 1, promptsPerRound: ${TASKS}, completionsPerPrompt: ${K} }\nlabeling: { quorum: 100%, deadline: 24h, overlap: 0.1, assignmentExpiry: 10m }\n`;
    const { experiment } = await createExperiment(db, { specYaml, createdBy: 'bench', workflowIdFor: experimentWorkflowId });
    await setExperimentStatus(db, { experimentId: experiment.id, status: 'running', actor: 'bench' });
    const policy = await registerArtifact(db, { key: `bench/${experiment.id}/policy`, uri: `file:///bench/${experiment.id}/policy`, sha256: '0'.repeat(64), bytes: 1, kind: 'policy', experimentId: experiment.id, createdBy: 'bench' });
    const seedStart = Date.now();
    const items = Array.from({ length: TASKS }, (_, p) => ({
      prompt: { key: `bench/${String(p).padStart(6, '0')}`, text: `Write a sentence about topic ${p % 50} that uses the word ${['blue', 'quiet', 'river', 'stone'][p % 4]}.` },
      completions: Array.from({ length: K }, (_, j) => ({ text: `completion ${j} for prompt ${p}: the ${['blue', 'quiet', 'river', 'stone'][j]} thing rests.`, tokens: 8, policyArtifactId: policy.artifact.id })),
    }));
    await storeSamples(db, { experimentId: experiment.id, roundIndex: 0, items, idempotencyKey: `bench/${experiment.id}/samples`, actor: 'bench' });
    const opened = await openLabelingRound(db, { experimentId: experiment.id, roundIndex: 0, seed: SEED, actor: 'bench' });
    const tokens: string[] = [];
    for (let i = 0; i < LABELERS; i++) tokens.push((await createLabeler(db, { name: `bench-${i}`, role: 'labeler', scopes: [experiment.id], actor: 'bench' })).token);
    log(`seeded ${opened.taskCount} tasks (${opened.overlapTasks} overlapping) and ${LABELERS} labelers in ${((Date.now() - seedStart) / 1000).toFixed(1)} s`);

    // The experiment's workflow, so the API's ranking signals land in a real execution. No worker polls its queue:
    // the bench measures the API and the database, not the workflow.
    const connection = await Connection.connect({ address: temporal.address });
    cleanup.push(() => connection.close());
    const client = new Client({ connection, namespace: temporal.namespace });
    await client.workflow.start('experimentWorkflow', { taskQueue: 'hone-bench-unpolled', workflowId: experimentWorkflowId(experiment.id), args: [{ experimentId: experiment.id, spec: specSummary(parseSpec(specYaml)) }] });

    // ------------------------------------------------------------------ the API, as its own process
    const port = await findFreePort();
    const url = `http://127.0.0.1:${port}`;
    const serverLog = path.join(dir, 'api.log');
    const out = fs.openSync(serverLog, 'a');
    // node + tsx's loader (not the tsx wrapper), so BENCH_API_NODE_ARGS can pass e.g. --cpu-prof to the API itself.
    const nodeArgs = (process.env.BENCH_API_NODE_ARGS ?? '').split(' ').filter(Boolean);
    const server = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', path.join(projectRoot(), 'apps/server/main.ts')], {
      env: { ...process.env, DATABASE_URL: pg.url, TEMPORAL_ADDRESS: temporal.address, HONE_API_PORT: String(port), HONE_DATA_DIR: path.join(dir, 'data'), HONE_ARTIFACTS: `file://${path.join(dir, 'artifacts')}`, HONE_LOG_LEVEL: 'info' },
      stdio: ['ignore', out, out],
    });
    cleanup.unshift(async () => {
      if (server.exitCode === null) {
        server.kill('SIGTERM');
        await new Promise((r) => server.once('exit', r));
      }
    });
    await waitForHealth(url, server, serverLog);
    const cpuBefore = treeCpuSeconds(server.pid);
    // Other work on the machine competes for the same cores: reported beside the latencies, with where our own CPU
    // went (this process = the simulated labelers' HTTP clients; Postgres; Temporal).
    const loadBefore = os.loadavg()[0];
    const clientCpuBefore = process.cpuUsage();
    const pgCpuBefore = treeCpuSeconds(pg.process.pid);
    const temporalCpuBefore = treeCpuSeconds(temporal.process.pid);
    log(`API at ${url} (pid ${server.pid}); ${LABELERS} labelers for ${SECONDS} s`);

    // ------------------------------------------------------------------ the labelers
    const claimMs: number[] = [];
    const submitMs: number[] = [];
    const errors: Record<string, number> = {};
    const accepted = new Set<string>();
    let claims = 0;
    let empty = 0;
    let replaysSent = 0;
    let replaysOk = 0;
    let duplicateAccepts = 0;
    const root = Rng.fromSeed(SEED);
    const t0 = Date.now();
    const endAt = t0 + SECONDS * 1000;
    const err = (code: string) => (errors[code] = (errors[code] ?? 0) + 1);

    const call = async (method: 'GET' | 'POST', p: string, token: string, body?: unknown): Promise<{ status: number; json: any; ms: number } | null> => {
      const s = performance.now();
      try {
        const r = await fetch(url + p, {
          method,
          headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
          body: body ? JSON.stringify(body) : undefined,
        });
        const json = await r.json();
        return { status: r.status, json, ms: performance.now() - s };
      } catch (e) {
        err(`NETWORK:${(e as Error).cause ? String(((e as Error).cause as { code?: string }).code) : (e as Error).message}`);
        return null;
      }
    };

    const labeler = async (i: number) => {
      const rng = root.fork(`labeler-${i}`);
      const token = tokens[i];
      await sleep(rng.uniform(0, THINK.median_s * 1000)); // people do not all start in the same millisecond
      while (Date.now() < endAt) {
        const c = await call('GET', '/api/v1/labeling/next', token);
        claims++;
        if (!c) {
          await sleep(1000);
          continue;
        }
        claimMs.push(c.ms);
        if (c.status !== 200) {
          err(c.json?.error?.code ?? `HTTP_${c.status}`);
          await sleep(1000);
          continue;
        }
        const task = c.json.task as { taskId: string; samples: { id: string }[] } | null;
        if (!task) {
          empty++;
          await sleep(2000);
          continue;
        }
        await sleep(thinkMs(rng));
        // A labeler who started a task finishes it, even a little after the end: no claim is left dangling.
        const ids = task.samples.map((s) => s.id);
        for (let j = ids.length - 1; j > 0; j--) {
          const k = rng.int(j + 1);
          [ids[j], ids[k]] = [ids[k], ids[j]];
        }
        const ordering: (string | string[])[] = rng.bernoulli(0.1) ? [[ids[0], ids[1]], ...ids.slice(2)] : ids;
        const body = { ordering, quality: 1 + rng.int(7), flags: { followsInstruction: rng.bernoulli(0.7), hallucination: rng.bernoulli(0.1), harmful: false }, durationMs: 1000, clientRequestId: `bench-${i}-${task.taskId}` };
        const s = await call('POST', `/api/v1/labeling/tasks/${task.taskId}/ranking`, token, body);
        if (!s) continue;
        submitMs.push(s.ms);
        if (s.status === 201) accepted.add(`${task.taskId}/${s.json.ranking.labelerId}`);
        else err(s.json?.error?.code ?? `HTTP_${s.status}`);
        if (s.status === 201 && rng.bernoulli(REPLAY_SHARE)) {
          replaysSent++;
          const again = await call('POST', `/api/v1/labeling/tasks/${task.taskId}/ranking`, token, body);
          if (again?.status === 200 && again.json.replayed === true) replaysOk++;
          else if (again?.status === 201) duplicateAccepts++;
          else if (again) err(`replay:${again.json?.error?.code ?? again.status}`);
        }
      }
    };
    await Promise.all(Array.from({ length: LABELERS }, (_, i) => labeler(i)));
    const wallS = (Date.now() - t0) / 1000;
    const cpuAfter = treeCpuSeconds(server.pid);
    const clientCpu = process.cpuUsage(clientCpuBefore);
    const pgCpu = (treeCpuSeconds(pg.process.pid) ?? 0) - (pgCpuBefore ?? 0);
    const temporalCpu = (treeCpuSeconds(temporal.process.pid) ?? 0) - (temporalCpuBefore ?? 0);

    // ------------------------------------------------------------------ what the database holds
    const rows = await db.$queryRaw<{ taskId: string; labelerId: string }[]>`
      SELECT rk."taskId", rk."labelerId" FROM "Ranking" rk JOIN "RankingTask" t ON t."id" = rk."taskId" JOIN "Round" r ON r."id" = t."roundId" WHERE r."experimentId" = ${experiment.id}`;
    const storedKeys = new Set(rows.map((r) => `${r.taskId}/${r.labelerId}`));
    const [round] = await db.$queryRaw<{ rankingsReceived: number; tasksCompleted: number }[]>`SELECT "rankingsReceived", "tasksCompleted" FROM "Round" WHERE "experimentId" = ${experiment.id}`;
    const [completed] = await db.$queryRaw<{ n: number }[]>`SELECT count(*)::int AS n FROM "RankingTask" t JOIN "Round" r ON r."id" = t."roundId" WHERE r."experimentId" = ${experiment.id} AND t."status" = 'complete'`;
    const [audited] = await db.$queryRaw<{ n: number }[]>`SELECT count(*)::int AS n FROM "AuditEvent" WHERE "experimentId" = ${experiment.id} AND "action" = 'ranking.submitted'`;
    const lost = [...accepted].filter((k) => !storedKeys.has(k)).length;
    const unacknowledged = [...storedKeys].filter((k) => !accepted.has(k)).length;
    const duplicates = rows.length - storedKeys.size + duplicateAccepts;
    claimMs.sort((a, b) => a - b);
    submitMs.sort((a, b) => a - b);
    // The server's own view of the same requests (its request log: handler time, without client and network
    // queueing), to tell server time from time spent waiting for a CPU on a shared machine.
    const serverMs = { claim: [] as number[], submit: [] as number[] };
    for (const line of fs.readFileSync(serverLog, 'utf8').split('\n')) {
      if (!line.includes('"msg":"request"')) continue;
      try {
        const r = JSON.parse(line) as { method: string; path: string; status: number; ms: number };
        if (r.method === 'GET' && r.path === '/api/v1/labeling/next') serverMs.claim.push(r.ms);
        else if (r.method === 'POST' && r.status === 201 && r.path.endsWith('/ranking')) serverMs.submit.push(r.ms);
      } catch {
        // not a JSON line
      }
    }
    serverMs.claim.sort((a, b) => a - b);
    serverMs.submit.sort((a, b) => a - b);

    const result = {
      labelers: LABELERS,
      duration_s: SECONDS,
      wall_s: Math.round(wallS * 10) / 10,
      think_time: THINK,
      claims,
      claims_empty: empty,
      claim_p50_ms: percentile(claimMs, 0.5),
      claim_p99_ms: percentile(claimMs, 0.99),
      submits: submitMs.length,
      accepted: accepted.size,
      stored: rows.length,
      lost,
      duplicates,
      unacknowledged,
      replays_sent: replaysSent,
      replays_answered_as_replay: replaysOk,
      submit_p50_ms: percentile(submitMs, 0.5),
      submit_p90_ms: percentile(submitMs, 0.9),
      submit_p99_ms: percentile(submitMs, 0.99),
      submit_max_ms: percentile(submitMs, 1),
      accepted_per_s: Math.round((accepted.size / wallS) * 10) / 10,
      errors,
      counters_match_rows: round.rankingsReceived === rows.length && round.tasksCompleted === completed.n && audited.n === rows.length,
      server_claim_p99_ms: percentile(serverMs.claim, 0.99),
      server_submit_p50_ms: percentile(serverMs.submit, 0.5),
      server_submit_p99_ms: percentile(serverMs.submit, 0.99),
      api_cpu_s: cpuBefore !== null && cpuAfter !== null ? Math.round((cpuAfter - cpuBefore) * 10) / 10 : null,
      api_cpu_ms_per_pair: cpuBefore !== null && cpuAfter !== null && accepted.size > 0 ? Math.round(((cpuAfter - cpuBefore) * 1000 * 10) / accepted.size) / 10 : null,
      postgres_cpu_s: Math.round(pgCpu * 10) / 10,
      temporal_cpu_s: Math.round(temporalCpu * 10) / 10,
      clients_cpu_s: Math.round((clientCpu.user + clientCpu.system) / 1e5) / 10,
      cores: os.cpus().length,
      load_avg_1m: [Math.round(loadBefore * 10) / 10, Math.round(os.loadavg()[0] * 10) / 10],
      setup_s: Math.round((t0 - started) / 100) / 10,
    };
    console.log(JSON.stringify(result));
  } finally {
    for (const c of cleanup) await c().catch((e: unknown) => log(`cleanup: ${(e as Error).message}`));
    if (process.env.BENCH_KEEP === '1') log(`kept ${dir}`);
    else fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? (e.stack ?? e.message) : e);
  process.exit(1);
});
