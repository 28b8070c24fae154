/**
 * Finds or builds the pinned S3-compatible server (versitygw, see lib/services/s3-server-bin.ts) and prints its
 * path on stdout (`--json` for {"path","source","version"}). Progress goes to stderr.
 */
import { resolveS3ServerBin } from '../lib/services/s3-server-bin';

async function main(): Promise<void> {
  const tool = await resolveS3ServerBin();
  process.stdout.write(process.argv.includes('--json') ? JSON.stringify(tool) + '\n' : tool.path + '\n');
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
