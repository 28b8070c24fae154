import type { CliContext } from '../cli-context';
import { stackOf } from '../cli-context';

/**
 * Fills DATABASE_URL, TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE and HONE_ARTIFACTS from the stack `hone up` published
 * for this data folder, where the environment does not set them — so `hone worker` / `hone server` started later
 * join a running `hone up --no-worker` / `--no-api` without being told anything.
 */
export function fillServiceEnv(ctx: CliContext): void {
  const s = stackOf(ctx);
  if (!s) return;
  const env = ctx.env;
  env.DATABASE_URL ||= s.database.url;
  env.TEMPORAL_ADDRESS ||= s.temporal.address;
  env.TEMPORAL_NAMESPACE ||= s.temporal.namespace;
  env.HONE_ARTIFACTS ||= s.artifacts;
  if (s.temporal.uiUrl) env.HONE_TEMPORAL_UI_URL ||= s.temporal.uiUrl;
}
