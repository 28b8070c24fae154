import fs from 'node:fs';
import path from 'node:path';

/**
 * What a running `hone up` publishes in `<dataDir>/stack.json` (mode 0600: it holds the database URL with its
 * password), so that `hone worker`, `hone server` and every other command started later with the same data folder
 * find the services without being told.
 */
export interface StackState {
  version: 1;
  /** The `hone up` process. */
  pid: number;
  startedAt: string;
  /** Base URL of the API, when `up` serves it. */
  apiUrl?: string;
  temporal: { address: string; namespace: string; uiUrl?: string; embedded: boolean };
  database: { url: string; embedded: boolean };
  /** HONE_ARTIFACTS as the stack uses it. */
  artifacts: string;
}

export function stackStatePath(dataDir: string): string {
  return path.join(dataDir, 'stack.json');
}

/** Writes the state atomically with mode 0600. */
export function writeStackState(dataDir: string, state: StackState): void {
  fs.mkdirSync(dataDir, { recursive: true });
  const file = stackStatePath(dataDir);
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
  fs.renameSync(tmp, file);
}

/** The published state if its `hone up` process is still alive; a stale file (crashed `up`) reads as undefined. */
export function readStackState(dataDir: string): StackState | undefined {
  let state: StackState;
  try {
    state = JSON.parse(fs.readFileSync(stackStatePath(dataDir), 'utf8')) as StackState;
  } catch {
    return undefined;
  }
  if (state?.version !== 1 || !isAlive(state.pid)) return undefined;
  return state;
}

/** Removes the file if it is ours (a later `up` may have replaced it). */
export function removeStackState(dataDir: string): void {
  const file = stackStatePath(dataDir);
  try {
    const state = JSON.parse(fs.readFileSync(file, 'utf8')) as StackState;
    if (state.pid === process.pid) fs.rmSync(file, { force: true });
  } catch {
    // absent or unreadable: nothing to remove
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
