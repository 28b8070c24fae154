import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { projectRoot } from '../../lib/services';

export interface WorkerProcessOptions {
  /** Environment of the worker (DATABASE_URL, TEMPORAL_ADDRESS, … as the stack resolved them). */
  env: NodeJS.ProcessEnv;
  /** Every line the worker writes goes here. */
  logFile: string;
  /** Lines worth showing on the terminal (warnings, errors, resumes), already shortened. */
  onNotice: (line: string) => void;
  /** Restart the worker when it exits on its own (crash, kill -9); default true. */
  restart?: boolean;
  /** How long a stopping worker gets before SIGKILL (its activities checkpoint meanwhile; default 75 s, beyond the worker's own force time). */
  stopGraceMs?: number;
}

/** A supervised worker child process (`hone worker`). */
export interface WorkerProcess {
  /** Current child pid (changes after a restart). */
  pid(): number | undefined;
  /** How many times it was restarted after exiting on its own. */
  restarts(): number;
  /** SIGTERM, then SIGKILL after the grace period; no more restarts. */
  stop(): Promise<void>;
}

const NOTABLE = /resumed|restarted|polling|stopped|shutting down|waiting for Temporal|bundl/i;

/** `{"level":"warn","msg":"…",…}` → `worker warn: … (key=value, …)`, or undefined for routine lines. */
export function noticeOf(line: string): string | undefined {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line.trim() ? `worker: ${line.trim()}` : undefined; // not ours (a crash trace): always show
  }
  const level = String(entry.level ?? 'info');
  const msg = String(entry.msg ?? '');
  if (level !== 'warn' && level !== 'error' && !NOTABLE.test(msg)) return undefined;
  const skip = new Set(['time', 'level', 'name', 'msg']);
  const fields = Object.entries(entry)
    .filter(([k]) => !skip.has(k))
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(', ');
  return `worker ${level}: ${msg}${fields ? ` (${fields.slice(0, 300)})` : ''}`;
}

/**
 * Runs `node bin/hone worker` as a child in its own process group (a terminal Ctrl-C reaches only the supervisor,
 * which stops the worker before the services it uses), logs its output to a file, and restarts it with back-off
 * when it exits on its own — a killed worker is replaced, and its activities resume from their checkpoints.
 */
export function startWorkerProcess(opts: WorkerProcessOptions): WorkerProcess {
  fs.mkdirSync(path.dirname(opts.logFile), { recursive: true });
  const log = fs.createWriteStream(opts.logFile, { flags: 'a' });
  const bin = path.join(projectRoot(), 'bin', 'hone');
  let child: ChildProcess | undefined;
  let stopping = false;
  let restarts = 0;
  let timer: NodeJS.Timeout | undefined;
  let exited: Promise<void> = Promise.resolve();

  const launch = () => {
    const startedAt = Date.now();
    const c = spawn(process.execPath, [bin, 'worker'], { env: opts.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    child = c;
    let buffered = '';
    const onData = (chunk: Buffer) => {
      log.write(chunk);
      buffered += chunk.toString('utf8');
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        const notice = noticeOf(line);
        if (notice) opts.onNotice(notice);
      }
    };
    c.stdout?.on('data', onData);
    c.stderr?.on('data', onData);
    exited = new Promise<void>((resolve) => {
      c.on('exit', (code, signal) => {
        resolve();
        if (stopping || opts.restart === false) return;
        // A worker that keeps dying at once (bad configuration) is retried ever more slowly.
        const quick = Date.now() - startedAt < 10_000;
        const delay = quick ? Math.min(30_000, 1000 * 2 ** Math.min(restarts, 5)) : 1000;
        restarts += 1;
        opts.onNotice(`worker exited (${signal ? `signal ${signal}` : `code ${code}`}); restarting in ${delay / 1000} s — its running activities resume from their checkpoints`);
        timer = setTimeout(() => {
          timer = undefined;
          if (!stopping) launch();
        }, delay);
      });
      c.on('error', (e) => {
        opts.onNotice(`worker could not start: ${e.message}`);
        resolve();
      });
    });
  };
  launch();
  // If the supervisor dies without stopping us (an uncaught error), do not leave an orphan polling for work.
  const onExit = () => child?.kill('SIGTERM');
  process.on('exit', onExit);

  return {
    pid: () => child?.pid,
    restarts: () => restarts,
    async stop() {
      stopping = true;
      process.removeListener('exit', onExit);
      if (timer) clearTimeout(timer);
      const c = child;
      if (c && c.exitCode === null && c.signalCode === null) {
        c.kill('SIGTERM');
        const kill = setTimeout(() => c.kill('SIGKILL'), opts.stopGraceMs ?? 75_000);
        await exited;
        clearTimeout(kill);
      }
      await new Promise<void>((resolve) => log.end(resolve));
    },
  };
}
