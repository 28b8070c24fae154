import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** Progress sink for tool resolution; the default writes to stderr so stdout stays clean for --json output. */
export type ToolLog = (message: string) => void;

/** Default {@link ToolLog}: one line on stderr, prefixed with `[hone]`. */
export const stderrLog: ToolLog = (message) => {
  process.stderr.write(`[hone] ${message}\n`);
};

/** Whether a file exists and is executable by this process. */
export function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

/**
 * Moves a freshly built or downloaded executable into its final cache path atomically: `rename(2)` within one
 * filesystem, so a concurrent reader sees either no file or the complete file, never a partial one.
 * `tmpFile` must live on the same filesystem as `finalPath` (use {@link makeCacheTempDir}).
 */
export function installExecutable(tmpFile: string, finalPath: string): void {
  fs.chmodSync(tmpFile, 0o755);
  fs.mkdirSync(path.dirname(finalPath), { recursive: true });
  fs.renameSync(tmpFile, finalPath);
}

/** A private temporary folder inside the cache (same filesystem as the final paths, so rename is atomic). */
export function makeCacheTempDir(cacheDir: string, label: string): string {
  fs.mkdirSync(cacheDir, { recursive: true });
  return fs.mkdtempSync(path.join(cacheDir, `.tmp-${label}-`));
}

interface LockOwner {
  pid: number;
  host: string;
  at: number;
}

function ownerIsGone(owner: LockOwner | undefined, staleMs: number): boolean {
  if (!owner) return true;
  if (Date.now() - owner.at > staleMs) return true;
  if (owner.host !== os.hostname()) return false; // cannot probe a process on another host: trust the age check
  try {
    process.kill(owner.pid, 0);
    return false;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/**
 * Runs `fn` while holding an exclusive lock file `<cacheDir>/<name>.lock`, so two processes that need the same
 * tool do not both spend minutes fetching it. A lock whose owner process is gone (or older than `staleMs`) is
 * broken. Waiting is announced once through `log`. The fetch itself must still install atomically: the lock is
 * an optimisation against duplicate work, the rename is what keeps the cache consistent.
 */
export async function withToolLock<T>(
  cacheDir: string,
  name: string,
  log: ToolLog,
  fn: () => Promise<T>,
  { staleMs = 30 * 60_000, pollMs = 500 } = {},
): Promise<T> {
  fs.mkdirSync(cacheDir, { recursive: true });
  const lockPath = path.join(cacheDir, `${name}.lock`);
  let announced = false;
  for (;;) {
    try {
      const fd = fs.openSync(lockPath, 'wx');
      fs.writeSync(fd, JSON.stringify({ pid: process.pid, host: os.hostname(), at: Date.now() } satisfies LockOwner));
      fs.closeSync(fd);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    let owner: LockOwner | undefined;
    try {
      owner = JSON.parse(fs.readFileSync(lockPath, 'utf8')) as LockOwner;
    } catch {
      // Created but not yet written (the owner writes right after creating it), or just removed. An unreadable
      // lock older than a few seconds belongs to a process that died in between: treat it as stale.
      const st = fs.statSync(lockPath, { throwIfNoEntry: false });
      owner = st && Date.now() - st.mtimeMs < 5_000 ? { pid: process.pid, host: os.hostname(), at: st.mtimeMs } : undefined;
    }
    if (ownerIsGone(owner, staleMs)) {
      fs.rmSync(lockPath, { force: true });
      continue;
    }
    if (!announced) {
      log(`waiting for another process (pid ${owner?.pid}) that is fetching ${name}…`);
      announced = true;
    }
    await new Promise((r) => setTimeout(r, pollMs));
  }
  try {
    return await fn();
  } finally {
    fs.rmSync(lockPath, { force: true });
  }
}
