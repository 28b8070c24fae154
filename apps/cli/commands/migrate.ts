import { migrateDeploy, migrationStatus } from '../../../lib/db';
import { parseCommand } from '../cli-args';
import type { CliContext } from '../cli-context';
import { CliError } from '../cli-error';
import { fillServiceEnv } from './service-env';

/**
 * `hone migrate`: applies the committed migrations (`prisma migrate deploy`) to DATABASE_URL — the step a deployment
 * runs once before its API and workers start (deploy/compose.yaml, deploy/k8s). `hone up` does this by itself for
 * the embedded Postgres. `--status` only reports whether the database is up to date (exit 1 if not).
 */
export async function migrateCommand(ctx: CliContext, argv: string[]): Promise<number> {
  const { values } = parseCommand(argv, { status: { type: 'boolean' } }, { min: 0, max: 0 }, 'hone migrate [--status]');
  fillServiceEnv(ctx);
  const url = ctx.env.DATABASE_URL;
  if (!url) throw new CliError('DATABASE_URL is not set (and no `hone up` is running for this data folder): nothing to migrate', 2);
  if (values.status) {
    const s = await migrationStatus(url);
    ctx.stdout(s.upToDate ? 'database schema is up to date\n' : `database schema is NOT up to date:\n${s.output}\n`);
    return s.upToDate ? 0 : 1;
  }
  ctx.stderr('applying migrations…\n');
  await migrateDeploy(url, { onError: ctx.stderr });
  ctx.stderr('migrations applied\n');
  return 0;
}
