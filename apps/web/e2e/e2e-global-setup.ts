import globalSetup from '../../../test/global-setup';
import { ensureWebBundle } from '../build';
import { chromiumPath } from './support/browser';

/**
 * Global setup of `npm run test:e2e`: fail fast without Chromium, build the web UI when its bundle is missing or
 * stale, then start the shared services (embedded Postgres with the migrated template, Temporal, S3) like the
 * main suite does.
 */
export default async function e2eGlobalSetup(): Promise<void> {
  chromiumPath();
  const t = Date.now();
  const web = await ensureWebBundle();
  process.stderr.write(`[hone e2e setup] web UI ${web.built ? `built (${web.state})` : 'up to date'} in ${((Date.now() - t) / 1000).toFixed(1)} s: ${web.manifest.entry}\n`);
  await globalSetup();
}
