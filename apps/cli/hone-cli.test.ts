/**
 * End to end through the `hone` command, as a person uses it: `hone up` in the background (its own embedded
 * Postgres, Temporal dev server, API and worker process), then `hone demo` on a tiny two-round spec with simulated
 * labelers over HTTP, the read commands, steering, and Ctrl-C. Checks the demo's JSON line, the rows in Postgres,
 * the artifacts' lineage, and that a second demo run reproduces the first (same metrics, same model bytes).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createDb, type Db } from '../../lib/db';
import { experimentOutcome } from '../../test/experiment-outcome';
import { testEnv } from '../../test/test-env';
import type { StackState } from './stack-state';

const ROOT = path.resolve(__dirname, '..', '..');
const BIN = path.join(ROOT, 'bin', 'hone');
const SPEC = path.join(__dirname, '__fixtures__', 'tiny-demo.yaml');

jest.setTimeout(600_000);

let dataDir: string;
let env: NodeJS.ProcessEnv;
let up: ChildProcess | undefined;
let upOutput = '';
let db: Db | undefined;

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

function hone(args: string[], extraEnv: NodeJS.ProcessEnv = {}, timeoutMs = 300_000): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...env, ...extraEnv }, cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`hone ${args.join(' ')} did not finish within ${timeoutMs} ms\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

async function honeJson<T>(args: string[]): Promise<T> {
  const r = await hone([...args, '--json']);
  if (r.code !== 0) throw new Error(`hone ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as T;
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 120_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}; hone up said:\n${upOutput}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

const stackState = () => JSON.parse(fs.readFileSync(path.join(dataDir, 'stack.json'), 'utf8')) as StackState;

beforeAll(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'hone-cli-'));
  fs.chmodSync(dataDir, 0o755); // the embedded Postgres runs as user "postgres" when we are root
  env = { ...process.env, HONE_DATA_DIR: dataDir, HONE_API_PORT: '0', TEMPORAL_CLI: testEnv('temporalCli'), HONE_LOG_LEVEL: 'info' };
  for (const k of ['DATABASE_URL', 'TEMPORAL_ADDRESS', 'HONE_ARTIFACTS', 'HONE_TOKEN', 'HONE_API_URL']) delete env[k];
  // The real engine on a tiny model; HONE_E2E_SCRIPTED_ENGINE=1 swaps in the scripted one (to debug the platform alone).
  if (process.env.HONE_E2E_SCRIPTED_ENGINE === '1') env.HONE_ENGINE_MODULE = path.join(ROOT, 'test', 'scripted-engine-module.ts');
  up = spawn(process.execPath, [BIN, 'up', '--temporal-port', '0', '--ui-port', '0'], { env, cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  up.stdout!.on('data', (d: Buffer) => (upOutput += d.toString()));
  up.stderr!.on('data', (d: Buffer) => (upOutput += d.toString()));
  const state = await waitFor('hone up to publish its stack', async () => {
    const s = stackState();
    return s.apiUrl && (await fetch(`${s.apiUrl}/healthz`)).ok ? s : undefined;
  });
  db = createDb(state.database.url, { poolSize: 2 });
});

afterAll(async () => {
  await db?.$disconnect();
  if (up && up.exitCode === null) {
    up.kill('SIGKILL');
  }
  if (process.env.HONE_TEST_KEEP !== '1') fs.rmSync(dataDir, { recursive: true, force: true });
});

describe('hone CLI end to end', () => {
  let experimentId: string;

  it('says clearly when the API is not there', async () => {
    const r = await hone(['status'], { HONE_API_URL: 'http://127.0.0.1:9' });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('API not reachable at http://127.0.0.1:9 — is `hone up` running?');
  });

  it('creates, lists and disables a labeler; the token is printed once', async () => {
    const created = await honeJson<{ labeler: { id: string; name: string }; token: string }>(['labelers', 'create', 'alice']);
    expect(created.token).toMatch(/^hone_/);
    const listed = await honeJson<{ items: { name: string; disabled: boolean }[] }>(['labelers', 'list']);
    expect(listed.items.find((l) => l.name === 'alice')).toMatchObject({ disabled: false });
    const disabled = await hone(['labelers', 'disable', 'alice']);
    expect(disabled.code).toBe(0);
    const after = await honeJson<{ items: { name: string; disabled: boolean }[] }>(['labelers', 'list']);
    expect(after.items.find((l) => l.name === 'alice')).toMatchObject({ disabled: true });
  });

  it('runs the demo on a tiny spec to completion and ends with one JSON line', async () => {
    const r = await hone(['demo', '--spec', SPEC]);
    if (r.code !== 0) throw new Error(`hone demo exited ${r.code}\nstderr:\n${r.stderr}\nhone up:\n${upOutput}`);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    const result = JSON.parse(lines[0]) as { experiment: string; status: string; rounds: number; win_rate_vs_sft: number; wall_s: number };
    expect(result).toMatchObject({ status: 'completed', rounds: 2 });
    expect(result.win_rate_vs_sft).toBeGreaterThanOrEqual(0);
    expect(result.win_rate_vs_sft).toBeLessThanOrEqual(1);
    expect(result.wall_s).toBeGreaterThan(0);
    expect(r.stderr).toContain('using the hone already running');
    experimentId = result.experiment;
  });

  it('left the experiment’s rows in Postgres', async () => {
    const d = db!;
    const exp = await d.experiment.findUniqueOrThrow({ where: { id: experimentId }, include: { rounds: { orderBy: { index: 'asc' } } } });
    expect(exp.status).toBe('completed');
    expect(exp.rounds.map((r) => [r.index, r.status, r.closeReason])).toEqual([
      [1, 'closed', 'quorum'],
      [2, 'closed', 'quorum'],
    ]);
    for (const r of exp.rounds) {
      expect(await d.sample.count({ where: { roundId: r.id } })).toBe(r.tasksTotal * 3);
      const overlap = await d.rankingTask.count({ where: { roundId: r.id, requiredLabels: 2 } });
      // Every task ranked by as many labelers as it needs, each ranking stored exactly once.
      expect(await d.ranking.count({ where: { task: { roundId: r.id } } })).toBe(r.tasksTotal + overlap);
      expect(r.rankingsReceived).toBe(r.tasksTotal + overlap);
    }
    const metrics = await d.metric.findMany({ where: { experimentId, name: 'eval/win_rate' } });
    expect(metrics.map((m) => m.round).sort()).toEqual([1, 2]);
    expect(await d.auditEvent.count({ where: { experimentId, action: 'experiment.finalized' } })).toBe(1);
  });

  it('recorded every artifact once, with its lineage', async () => {
    const trail = await honeJson<{ artifacts: { id: string; kind: string; key: string }[]; edges: { childId: string; parentId: string; role: string }[]; events: { action: string }[] }>(['audit', experimentId]);
    const byId = new Map(trail.artifacts.map((a) => [a.id, a]));
    const parents = (id: string) => trail.edges.filter((e) => e.childId === id).map((e) => `${e.role}:${byId.get(e.parentId)?.kind}`).sort();
    const kinds = trail.artifacts.map((a) => a.kind);
    expect(new Set(trail.artifacts.map((a) => a.key)).size).toBe(trail.artifacts.length);
    expect(kinds.filter((k) => k === 'samples')).toHaveLength(2);
    expect(kinds.filter((k) => k === 'reward_model')).toHaveLength(2);
    expect(kinds.filter((k) => k === 'report')).toHaveLength(1);
    const sft = trail.artifacts.find((a) => a.key.endsWith('/prepare/prepare-policy/policy'))!;
    expect(parents(sft.id)).toEqual([]);
    for (const rm of trail.artifacts.filter((a) => a.kind === 'reward_model')) expect(parents(rm.id)).toEqual(['data:rankings', 'init:policy']);
    const trained = trail.artifacts.filter((a) => a.kind === 'policy' && a.id !== sft.id);
    expect(trained).toHaveLength(4); // 2 rounds × 2 PPO chunks
    for (const p of trained) expect(parents(p.id)).toEqual(['init:policy', 'reference:policy', 'reward_model:reward_model', 'state:ppo_checkpoint']);
    const report = trail.artifacts.find((a) => a.kind === 'report')!;
    expect(parents(report.id)).toEqual(['policy:policy', 'reference:policy']);

    const text = await hone(['audit', experimentId]);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('experiment.finalized');
    expect(text.stdout).toMatch(/report experiments\/.*report\.json/);
  });

  it('reproduces the demo: the same spec run again trains the same models and measures the same figures', async () => {
    const again = await hone(['demo', '--spec', SPEC]);
    if (again.code !== 0) throw new Error(`hone demo exited ${again.code}\nstderr:\n${again.stderr}`);
    const second = (JSON.parse(again.stdout.trim()) as { experiment: string }).experiment;
    expect(second).not.toBe(experimentId);
    // Simulated labelers claim tasks in a different order each run; what they rank and what training reads must not
    // change: the same metrics (but timings) and the same model bytes.
    const first = await experimentOutcome(db!, experimentId);
    expect(first.metrics.some((m) => m.name === 'eval/win_rate')).toBe(true);
    expect(first.models.length).toBeGreaterThanOrEqual(7); // SFT, 2 reward models, 4 PPO chunks
    expect(await experimentOutcome(db!, second)).toEqual(first);
  });

  it('shows status, and steers a second experiment: pause, extend, resume, cancel', async () => {
    const status = await honeJson<{ experiment: { status: string } }>(['status', experimentId]);
    expect(status.experiment.status).toBe('completed');

    const launched = await honeJson<{ experiment: { id: string } }>(['run', SPEC]);
    const id = launched.experiment.id;
    expect((await hone(['pause', id])).code).toBe(0);
    const paused = await honeJson<{ live: { paused: boolean } | null }>(['status', id]);
    expect(paused.live?.paused).toBe(true);
    const extended = await honeJson<{ result: { roundsTotal: number } }>(['extend', id, '1']);
    expect(extended.result.roundsTotal).toBe(3);
    expect((await hone(['resume', id])).code).toBe(0);
    expect((await hone(['cancel', id, '--reason', 'end of test'])).code).toBe(0);
    await waitFor('the cancelled experiment to end', async () => ((await honeJson<{ experiment: { status: string } }>(['status', id])).experiment.status === 'cancelled' ? true : undefined), 120_000);
    // Steering a finished experiment is refused with the workflow's reason.
    const again = await hone(['pause', id]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/INVALID_STATE|EXPERIMENT_FINISHED/);
  });

  it('stops everything on Ctrl-C (SIGINT) and removes its stack file', async () => {
    const exited = new Promise<number | null>((resolve) => up!.on('exit', (code) => resolve(code)));
    up!.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(fs.existsSync(path.join(dataDir, 'stack.json'))).toBe(false);
    expect(upOutput).toContain('stopped');
  });
});
