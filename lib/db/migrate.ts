import { AppError } from '../errors';
import { runPrismaCli } from './prisma-cli';

/** Result of {@link migrationStatus}. */
export interface MigrationStatus {
  upToDate: boolean;
  /** The CLI's own report, for display. */
  output: string;
}

const CHATTER = [/^Loaded Prisma config from/, /^Prisma config detected, skipping environment variable loading/];

function redact(url: string, text: string): string {
  try {
    const pw = new URL(url).password;
    return pw ? text.split(pw).join('***').split(decodeURIComponent(pw)).join('***') : text;
  } catch {
    return text;
  }
}

/**
 * Applies every committed migration in prisma/migrations that the database lacks (`prisma migrate deploy`,
 * offline Wasm engine). Idempotent; safe at every start. Errors are streamed to `onError` (default stderr) as they
 * happen and thrown as `AppError('DEPENDENCY_UNAVAILABLE')` with the CLI's message.
 */
export async function migrateDeploy(url: string, opts: { onError?: (chunk: string) => void } = {}): Promise<void> {
  const sink = opts.onError ?? ((c: string) => process.stderr.write(c));
  // The CLI also writes progress chatter to stderr; pass through everything else as it arrives.
  const onStderr = (chunk: string): void => {
    const lines = chunk.split('\n').filter((l) => l.trim() && !CHATTER.some((re) => re.test(l)));
    if (lines.length) sink(redact(url, lines.join('\n') + '\n'));
  };
  const r = await runPrismaCli(['migrate', 'deploy'], url, { onStderr });
  if (r.code !== 0) {
    throw new AppError('DEPENDENCY_UNAVAILABLE', `prisma migrate deploy failed (exit ${r.code}):\n${redact(url, (r.stderr + r.stdout).trim())}`);
  }
}

/** Whether the database has every committed migration applied (`prisma migrate status`). */
export async function migrationStatus(url: string): Promise<MigrationStatus> {
  const r = await runPrismaCli(['migrate', 'status'], url);
  const output = redact(url, (r.stdout + r.stderr).trim());
  // exit 0 = up to date; exit 1 with a report = pending/failed migrations; anything else is an error
  if (r.code === 0) return { upToDate: true, output };
  if (/have not yet been applied|failed|not found in the local migrations/i.test(output)) return { upToDate: false, output };
  throw new AppError('DEPENDENCY_UNAVAILABLE', `prisma migrate status failed (exit ${r.code}):\n${output}`);
}
