import { spawn } from 'node:child_process';

/** Outcome of {@link runCommand}. */
export interface CommandResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Options for {@link runCommand}. */
export interface RunCommandOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Kill the command (SIGKILL) after this many milliseconds. */
  timeoutMs?: number;
  /** Called with each complete output line (stdout and stderr), e.g. to relay progress to the user. */
  onLine?: (line: string) => void;
  /** Keep at most this many trailing characters of each stream (default 64 KiB). */
  maxCapture?: number;
}

/**
 * Runs a command to completion and captures its output. Never throws for a non-zero exit (callers decide what
 * a failure means); rejects only when the program cannot be started at all (e.g. ENOENT).
 */
export function runCommand(cmd: string, args: readonly string[], opts: RunCommandOptions = {}): Promise<CommandResult> {
  const max = opts.maxCapture ?? 64 * 1024;
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: opts.env ?? process.env, cwd: opts.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const partial = { out: '', err: '' };
    const feed = (which: 'out' | 'err', chunk: string): void => {
      if (!opts.onLine) return;
      const text = partial[which] + chunk;
      const lines = text.split(/\r?\n|\r/);
      partial[which] = lines.pop() ?? '';
      for (const l of lines) if (l.trim()) opts.onLine(l);
    };
    child.stdout.setEncoding('utf8').on('data', (c: string) => {
      stdout = (stdout + c).slice(-max);
      feed('out', c);
    });
    child.stderr.setEncoding('utf8').on('data', (c: string) => {
      stderr = (stderr + c).slice(-max);
      feed('err', c);
    });
    const timer = opts.timeoutMs ? setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs) : undefined;
    timer?.unref();
    child.on('error', (e) => {
      if (timer) clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      if (opts.onLine) for (const rest of [partial.out, partial.err]) if (rest.trim()) opts.onLine(rest);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** The last `n` non-empty lines of a text, for error messages. */
export function tailLines(text: string, n = 15): string {
  return text.split(/\r?\n/).filter((l) => l.trim()).slice(-n).join('\n');
}
