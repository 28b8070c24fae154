import { spawn } from 'node:child_process';
import path from 'node:path';
import { projectRoot } from '../services/project-root';

/** Outcome of a Prisma CLI run. */
export interface PrismaCliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Options for {@link runPrismaCli}. */
export interface RunPrismaCliOptions {
  /** Called with each stderr chunk as it arrives (errors stream through while the command runs). */
  onStderr?: (chunk: string) => void;
  /** Kill the CLI after this long (default 5 min). */
  timeoutMs?: number;
}

/**
 * Runs the project's Prisma CLI (`node <prisma>/build/index.js …`) with the repository's prisma.config.ts, which
 * selects the offline Wasm schema engine, against `databaseUrl`. Telemetry and update checks are off.
 */
export function runPrismaCli(args: readonly string[], databaseUrl: string, opts: RunPrismaCliOptions = {}): Promise<PrismaCliResult> {
  const root = projectRoot();
  const cli = path.join(path.dirname(require.resolve('prisma/package.json', { paths: [root] })), 'build', 'index.js');
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATABASE_URL: databaseUrl,
    CHECKPOINT_DISABLE: '1',
    PRISMA_HIDE_UPDATE_MESSAGE: '1',
    NO_COLOR: '1',
  };
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, ...args, '--config', path.join(root, 'prisma.config.ts')], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => {
      stderr += c;
      opts.onStderr?.(c);
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 5 * 60_000);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
