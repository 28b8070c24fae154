/**
 * Finds or fetches the pinned Temporal CLI (see lib/services/temporal-cli.ts) and prints its path on stdout.
 *   npx tsx scripts/fetch-temporal.ts          # resolve (fetch if needed)
 *   npx tsx scripts/fetch-temporal.ts --json   # {"path":…,"source":…,"version":…}
 * Progress goes to stderr.
 */
import { resolveTemporalCli } from '../lib/services/temporal-cli';

async function main(): Promise<void> {
  const tool = await resolveTemporalCli();
  process.stdout.write(process.argv.includes('--json') ? JSON.stringify(tool) + '\n' : tool.path + '\n');
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
