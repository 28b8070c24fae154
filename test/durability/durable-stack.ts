/**
 * A real hone stack for durability tests, every piece a real process the test can kill or restart:
 *
 * - Postgres: a private database on the test run's embedded Postgres (Postgres itself is not under test here);
 * - Temporal: a dev server owned by the test, on a fixed port and a SQLite file, so it can be stopped and started
 *   again on the same history (`restartTemporal`);
 * - `hone up --no-ui` pointed at both (DATABASE_URL, TEMPORAL_ADDRESS): the API (unless `api: 'separate'`) and the
 *   supervised worker child process, which `hone up` restarts when it dies (`killWorker` sends it SIGKILL);
 * - with `api: 'separate'`, the API runs as `hone server` on a fixed port (`stopApi` / `startApi`).
 *
 * Every wait polls a condition with a deadline (`waitFor`); a timeout fails with the condition's name and the tail of
 * every log of the stack, so a failure in CI can be read without rerunning it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ApiClient } from '../../apps/cli/api-client';
import type { ExperimentRow } from '../../apps/cli/api-types';
import { type LabelerEvent, type SimulatedLabelersResult, runSimulatedLabelers } from '../../apps/cli/simulated-labelers';
import { createDb, type Db } from '../../lib/db';
import { findFreePort, startTemporalDevServer, type TemporalDevServer } from '../../lib/services';
import type { ExperimentTuning } from '../../workflows/experiment-contract';
import { createTestDatabase, type TestDatabase } from '../test-database';
import { testEnv } from '../test-env';

const ROOT = path.resolve(__dirname, '..', '..');
const BIN = path.join(ROOT, 'bin', 'hone');

export interface DurableStackOptions {
  /** Names the data folder and the database (kebab-case). */
  label: string;
  /** `scripted`: test/scripted-engine.ts (fast, steerable step time); `real`: the ML engine on the spec's tiny model. */
  engine: 'real' | 'scripted';
  /** Wall time of each scripted trainer/SFT step, ms (scripted engine only). */
  scriptedStepMs?: number;
  /** The API inside `hone up` (default) or as its own `hone server` process that the test can restart. */
  api?: 'in-up' | 'separate';
  /** HONE_WORKFLOW_TUNING for the workflows the API starts (short heartbeat timeouts and retry intervals). */
  tuning: Partial<ExperimentTuning>;
}

/** Timings that make a dead worker noticed in seconds; tests spread their own on top. */
export const FAST_TUNING: Partial<ExperimentTuning> = { heartbeatTimeoutMs: 3_000, retryInitialIntervalMs: 200, controlStartToCloseMs: 15_000 };

const FINISHED = new Set(['completed', 'failed', 'cancelled']);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function tailOf(file: string, bytes = 6_000): string {
  try {
    const b = fs.readFileSync(file);
    return b.subarray(Math.max(0, b.length - bytes)).toString('utf8');
  } catch {
    return '(no file)';
  }
}

/** A child process with its output captured in memory (the last 64 KiB) and in a log file. */
class Child {
  private recent = '';
  readonly exited: Promise<number | null>;

  constructor(
    readonly name: string,
    readonly proc: ChildProcess,
    readonly logFile: string,
  ) {
    const log = fs.createWriteStream(logFile, { flags: 'a' });
    const onData = (d: Buffer) => {
      this.recent = (this.recent + d.toString('utf8')).slice(-64 * 1024);
      log.write(d);
    };
    proc.stdout?.on('data', onData);
    proc.stderr?.on('data', onData);
    this.exited = new Promise((resolve) => proc.on('exit', (code, signal) => {
      log.end();
      resolve(code ?? (signal ? -1 : null));
    }));
  }

  output(): string {
    return this.recent;
  }

  alive(): boolean {
    return this.proc.exitCode === null && this.proc.signalCode === null;
  }

  /** SIGTERM (or `signal`), then SIGKILL after `graceMs`. */
  async stop(signal: NodeJS.Signals = 'SIGTERM', graceMs = 30_000): Promise<void> {
    if (!this.alive()) return;
    this.proc.kill(signal);
    const t = setTimeout(() => this.proc.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(t);
  }
}

export class DurableStack {
  readonly db: Db;
  private up?: Child;
  private server?: Child;
  private temporal?: TemporalDevServer;
  private readonly say = (m: string) => process.stderr.write(`[durable ${this.opts.label}] ${m}\n`);

  private constructor(
    readonly opts: DurableStackOptions,
    readonly dataDir: string,
    private readonly database: TestDatabase,
    readonly temporalPort: number,
    readonly apiPort: number,
    readonly env: NodeJS.ProcessEnv,
  ) {
    this.db = createDb(database.url, { poolSize: 3, applicationName: 'hone-durability-test' });
  }

  get apiUrl(): string {
    return `http://127.0.0.1:${this.apiPort}`;
  }

  get artifactsRoot(): string {
    return path.join(this.dataDir, 'artifacts');
  }

  /** Starts Temporal, `hone up` (and `hone server`), and waits until the API answers and the worker polls. */
  static async start(opts: DurableStackOptions): Promise<DurableStack> {
    const dataDir = fs.mkdtempSync(path.join(testEnv('runDir'), `durable-${opts.label}-`));
    fs.chmodSync(dataDir, 0o755);
    const database = await createTestDatabase(`durable_${opts.label.replace(/-/g, '_')}`);
    const [temporalPort, apiPort] = [await findFreePort(), await findFreePort()];
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      HONE_DATA_DIR: dataDir,
      DATABASE_URL: database.url,
      TEMPORAL_ADDRESS: `127.0.0.1:${temporalPort}`,
      HONE_API_PORT: String(apiPort),
      HONE_WORKFLOW_TUNING: JSON.stringify(opts.tuning),
      HONE_LOG_LEVEL: 'info',
      HONE_TEMPORAL_UI_URL: 'http://127.0.0.1:9', // no UI here; links only
    };
    for (const k of ['HONE_ARTIFACTS', 'HONE_TOKEN', 'HONE_API_URL', 'TEMPORAL_NAMESPACE', 'HONE_ENGINE_MODULE', 'HONE_WORKER_QUEUES']) delete env[k];
    if (opts.engine === 'scripted') {
      env.HONE_ENGINE_MODULE = path.join(ROOT, 'test', 'scripted-engine-module.ts');
      env.HONE_SCRIPTED_STEP_MS = String(opts.scriptedStepMs ?? 0);
    }
    const stack = new DurableStack(opts, dataDir, database, temporalPort, apiPort, env);
    try {
      await stack.startTemporal();
      await stack.startUp();
      if (opts.api === 'separate') await stack.startApi();
      return stack;
    } catch (e) {
      await stack.stop();
      throw e;
    }
  }

  // ------------------------------------------------------------------------------------------------ pieces

  async startTemporal(): Promise<void> {
    const t = Date.now();
    this.temporal = await startTemporalDevServer({ dataDir: path.join(this.dataDir, 'temporal'), cliPath: testEnv('temporalCli'), port: this.temporalPort, uiPort: false });
    this.say(`Temporal dev server up on ${this.temporal.address} (${Date.now() - t} ms)`);
  }

  /** Stops the Temporal dev server (SIGTERM) and resolves once it has exited; its SQLite file stays. */
  async stopTemporal(): Promise<void> {
    await this.temporal?.stop();
    this.temporal = undefined;
    this.say('Temporal dev server stopped');
  }

  private async startUp(): Promise<void> {
    const args = [BIN, 'up', '--no-ui', ...(this.opts.api === 'separate' ? ['--no-api'] : [])];
    const proc = spawn(process.execPath, args, { env: this.env, cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    this.up = new Child('hone up', proc, path.join(this.dataDir, 'up.out'));
    if (this.opts.api !== 'separate') await this.waitFor('`hone up` to serve the API', () => this.apiHealthy());
    await this.waitForWorkerPolling(0);
  }

  /** Starts the API as `hone server` on the stack's API port and waits until it answers. */
  async startApi(): Promise<void> {
    const proc = spawn(process.execPath, [BIN, 'server'], { env: this.env, cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    this.server = new Child('hone server', proc, path.join(this.dataDir, 'server.out'));
    await this.waitFor('`hone server` to answer /healthz', () => this.apiHealthy());
  }

  /** Stops the separate API process with `signal` (SIGKILL: a crash, requests in flight cut off). */
  async stopApi(signal: NodeJS.Signals): Promise<void> {
    if (!this.server) throw new Error('stopApi: this stack runs its API inside `hone up` (use api: "separate")');
    await this.server.stop(signal);
    this.server = undefined;
  }

  private async apiHealthy(): Promise<true | undefined> {
    const r = await fetch(`${this.apiUrl}/healthz`, { signal: AbortSignal.timeout(2_000) });
    return r.ok ? true : undefined;
  }

  /** The admin client (its token is written by whichever process first served the API). */
  api(): ApiClient {
    const token = fs.readFileSync(path.join(this.dataDir, 'admin-token'), 'utf8').trim();
    return new ApiClient(this.apiUrl, token);
  }

  private workerLog(): string {
    return path.join(this.dataDir, 'logs', 'worker.log');
  }

  /** Number of "hone worker polling" lines in the worker log (one per worker start). */
  workerStarts(): number {
    try {
      return fs.readFileSync(this.workerLog(), 'utf8').split('\n').filter((l) => l.includes('"msg":"hone worker polling"')).length;
    } catch {
      return 0;
    }
  }

  /** Waits until the worker log shows more than `startsBefore` worker starts. */
  async waitForWorkerPolling(startsBefore: number, timeoutMs = 120_000): Promise<void> {
    await this.waitFor(`worker start #${startsBefore + 1} ("hone worker polling" in ${this.workerLog()})`, async () => (this.workerStarts() > startsBefore ? true : undefined), timeoutMs);
  }

  /** Pid of the worker child process that `hone up` supervises (Linux /proc). */
  workerPid(): number | undefined {
    const upPid = this.up?.proc.pid;
    if (!upPid) return undefined;
    const children: number[] = [];
    for (const tid of fs.readdirSync(`/proc/${upPid}/task`)) {
      try {
        children.push(...fs.readFileSync(`/proc/${upPid}/task/${tid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number));
      } catch {
        // thread gone
      }
    }
    return children.find((pid) => {
      try {
        return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').includes('worker');
      } catch {
        return false;
      }
    });
  }

  /** SIGKILL to the worker process: no checkpoint on the way out, no goodbye to Temporal. Returns its pid. */
  killWorker(): number {
    const pid = this.workerPid();
    if (!pid) throw new Error(`no worker child process of \`hone up\` found${this.logs()}`);
    process.kill(pid, 'SIGKILL');
    this.say(`worker ${pid} killed with SIGKILL`);
    return pid;
  }

  // ------------------------------------------------------------------------------------------------ experiments

  /** Launches a spec through the API; returns the experiment id. */
  async launch(specYaml: string): Promise<string> {
    const r = await this.api().post<{ experiment: ExperimentRow }>('/api/v1/experiments', { spec: specYaml, start: true });
    this.say(`launched experiment ${r.experiment.id}`);
    return r.experiment.id;
  }

  /**
   * Simulated labelers (10% noise) on `experimentId` through the stack's API until the experiment has finished —
   * asked of the database, since the API may be down when a labeler wonders whether to go on — or `signal` aborts.
   */
  label(experimentId: string, opts: { labelers: number; seed: number; signal: AbortSignal; onEvent?: (e: LabelerEvent) => void }): Promise<SimulatedLabelersResult> {
    return runSimulatedLabelers({
      api: this.api(),
      experimentId,
      labelers: opts.labelers,
      noise: 0.1,
      seed: opts.seed,
      signal: opts.signal,
      pollMs: 200,
      isDone: async () => FINISHED.has(await this.experimentStatus(experimentId)),
      ...(opts.onEvent ? { onEvent: opts.onEvent } : {}),
    });
  }

  /** The experiment's row (database view). */
  experimentStatus(experimentId: string): Promise<string> {
    return this.db.experiment.findUniqueOrThrow({ where: { id: experimentId }, select: { status: true } }).then((e) => e.status);
  }

  /** Waits until the experiment has finished (any way), then returns its status. */
  async waitForEnd(experimentId: string, timeoutMs: number): Promise<string> {
    return this.waitFor(`experiment ${experimentId} to finish`, async () => {
      const s = await this.experimentStatus(experimentId);
      return FINISHED.has(s) ? s : undefined;
    }, timeoutMs);
  }

  /**
   * Polls `probe` every 100 ms until it returns a value other than undefined. Probe errors count as "not yet"
   * (a service may be restarting); a timeout throws with the last probe error and the stack's logs.
   */
  async waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 120_000): Promise<T> {
    const started = Date.now();
    let lastError = '';
    for (;;) {
      try {
        const v = await probe();
        if (v !== undefined) return v;
      } catch (e) {
        lastError = (e as Error).message;
      }
      if (this.up && !this.up.alive()) throw new Error(`\`hone up\` exited while waiting for ${what}${this.logs()}`);
      if (Date.now() - started > timeoutMs) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}${lastError ? ` (last error: ${lastError})` : ''}${this.logs()}`);
      await sleep(100);
    }
  }

  /** The log of the API inside `hone up` (JSON lines). */
  apiLog(): string {
    return fs.readFileSync(path.join(this.dataDir, 'logs', 'api.log'), 'utf8');
  }

  /** The tail of every log of the stack, for failure messages. */
  logs(): string {
    const section = (title: string, text: string) => `\n----- ${title} -----\n${text.trim() || '(empty)'}`;
    return [
      section('hone up (stdout+stderr)', this.up?.output().slice(-6_000) ?? tailOf(path.join(this.dataDir, 'up.out'))),
      section('worker.log', tailOf(this.workerLog())),
      section('api.log (inside hone up)', tailOf(path.join(this.dataDir, 'logs', 'api.log'))),
      section('hone server', tailOf(path.join(this.dataDir, 'server.out'))),
      section('temporal.log', tailOf(path.join(this.dataDir, 'temporal', 'temporal.log'), 3_000)),
    ].join('');
  }

  /** Stops everything in order (API, `hone up` with its worker, Temporal) and drops the database. */
  async stop(): Promise<void> {
    await this.server?.stop('SIGTERM', 20_000).catch(() => undefined);
    await this.up?.stop('SIGTERM', 90_000).catch(() => undefined);
    await this.temporal?.stop().catch(() => undefined);
    await this.db.$disconnect().catch(() => undefined);
    await this.database.drop().catch(() => undefined);
    if (process.env.HONE_TEST_KEEP === '1') this.say(`kept ${this.dataDir}`);
    else fs.rmSync(this.dataDir, { recursive: true, force: true });
  }
}
