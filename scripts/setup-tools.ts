/**
 * `npm run setup:tools`: obtains every external binary hone runs — the Temporal CLI (dev server) and the S3 server —
 * ahead of time, into the git-ignored cache (.cache/tools, or $HONE_TOOLS_DIR), with progress on stderr.
 * Idempotent: a second run finds both in the cache at once. Prints one JSON line on stdout:
 *   {"temporal":{"path","source","version","seconds"},"s3Server":{…}}
 * Both are resolved one after the other: on 2 cores a Go build in parallel with a download gains little and makes
 * the progress harder to read.
 */
import { resolveS3ServerBin } from '../lib/services/s3-server-bin';
import { resolveTemporalCli } from '../lib/services/temporal-cli';
import type { ResolvedTool } from '../lib/services/resolve-tool';

async function timed(label: string, fn: () => Promise<ResolvedTool>): Promise<ResolvedTool & { seconds: number }> {
  const t = Date.now();
  process.stderr.write(`[hone] ${label}…\n`);
  const tool = await fn();
  const seconds = Math.round((Date.now() - t) / 100) / 10;
  process.stderr.write(`[hone] ${label}: ${tool.path} (${tool.source}, version ${tool.version}, ${seconds} s)\n`);
  return { ...tool, seconds };
}

async function main(): Promise<void> {
  const temporal = await timed('Temporal CLI', () => resolveTemporalCli());
  const s3Server = await timed('S3 server', () => resolveS3ServerBin());
  process.stdout.write(JSON.stringify({ temporal, s3Server }) + '\n');
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
