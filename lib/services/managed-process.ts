import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';

/** A long-running child process (a server) with captured output and a graceful stop. */
export interface ManagedProcess {
  readonly name: string;
  readonly pid: number;
  readonly child: ChildProcess;
  /** Resolves when the process has exited (never rejects). */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  hasExited(): boolean;
  /** The last ~64 KiB of combined stdout/stderr, for error messages. */
  recentOutput(): string;
  /** SIGTERM (or the configured stop signal), then SIGKILL if it has not exited after `graceMs`. Idempotent. */
  stop(graceMs?: number): Promise<void>;
}

/** Options for {@link spawnManaged}. */
export interface SpawnManagedOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Append all output to this file (kept quiet on the console; read it when something goes wrong). */
  logFile?: string;
  uid?: number;
  gid?: number;
  /** Default grace period for {@link ManagedProcess.stop} (ms). */
  graceMs?: number;
  /** Signal for a graceful stop (default SIGTERM; PostgreSQL wants SIGINT, its "fast" shutdown). */
  stopSignal?: NodeJS.Signals;
  /**
   * Run in a process group of its own, so a Ctrl-C in the terminal reaches only the owner, which then stops its
   * servers in order (clients before the services they use). Default false.
   */
  detached?: boolean;
}

/** Running children and the signal that stops each gracefully. */
const live = new Map<ChildProcess, NodeJS.Signals>();
let exitHookInstalled = false;

function signalAll(): void {
  for (const [child, signal] of live) child.kill(signal);
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // Last resort when the owner exits without stopping its servers (an uncaught error, process.exit, Ctrl-C): send
  // each its graceful stop signal, so none is left holding ports and data folders; they finish shutting down on
  // their own. A normal shutdown stops them (and waits for them) before this.
  process.on('exit', signalAll);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const onSignal = (): void => {
      // Someone else (e.g. `hone up`) handles this signal: they own the shutdown. Otherwise keep Node's default
      // (terminate), after passing the signal on to our servers.
      if (process.listenerCount(sig) > 1) return;
      signalAll();
      process.removeListener(sig, onSignal);
      process.kill(process.pid, sig);
    };
    process.on(sig, onSignal);
  }
}

/** Starts a server process whose output is captured (to a ring buffer and optionally a log file), not printed. */
export function spawnManaged(name: string, cmd: string, args: readonly string[], opts: SpawnManagedOptions = {}): ManagedProcess {
  installExitHook();
  const log = opts.logFile ? fs.createWriteStream(opts.logFile, { flags: 'a' }) : undefined;
  const child = spawn(cmd, args, { env: opts.env ?? process.env, cwd: opts.cwd, uid: opts.uid, gid: opts.gid, stdio: ['ignore', 'pipe', 'pipe'], detached: opts.detached ?? false });
  let recent = '';
  const onData = (chunk: Buffer): void => {
    recent = (recent + chunk.toString('utf8')).slice(-64 * 1024);
    log?.write(chunk);
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  let done = false;
  live.set(child, opts.stopSignal ?? 'SIGTERM');
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    const finish = (code: number | null, signal: NodeJS.Signals | null): void => {
      if (done) return;
      done = true;
      live.delete(child);
      log?.end();
      resolve({ code, signal });
    };
    child.on('exit', finish);
    child.on('error', (e) => {
      recent += `\n[spawn error] ${e.message}`;
      finish(null, null);
    });
  });
  const stop = async (graceMs = opts.graceMs ?? 10_000): Promise<void> => {
    if (done) return;
    child.kill(opts.stopSignal ?? 'SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const killed = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        if (!done) child.kill('SIGKILL');
        resolve();
      }, graceMs);
    });
    await Promise.race([exited, killed]);
    clearTimeout(timer);
    await exited;
  };
  return {
    name,
    pid: child.pid ?? -1,
    child,
    exited,
    hasExited: () => done,
    recentOutput: () => recent,
    stop,
  };
}

/**
 * Polls `probe` until it returns true. Fails early, with the server's recent output, if the process exits; and
 * after `timeoutMs` with the last probe error.
 */
export async function waitUntilReady(
  proc: ManagedProcess,
  what: string,
  probe: () => Promise<boolean>,
  { timeoutMs = 60_000, intervalMs = 150 } = {},
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError = '';
  for (;;) {
    if (proc.hasExited()) {
      const { code, signal } = await proc.exited;
      throw new Error(`${what} exited before it was ready (code ${code}, signal ${signal}). Its last output:\n${tail(proc.recentOutput())}`);
    }
    try {
      if (await probe()) return;
    } catch (e) {
      lastError = (e as Error).message;
    }
    if (Date.now() > deadline) {
      throw new Error(`${what} was not ready after ${timeoutMs / 1000} s${lastError ? ` (last error: ${lastError})` : ''}. Its last output:\n${tail(proc.recentOutput())}`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

function tail(text: string, lines = 20): string {
  return text.split(/\r?\n/).filter((l) => l.trim()).slice(-lines).join('\n') || '(no output)';
}
