/**
 * `tsx apps/server/main.ts` — the API alone, against services that already run (DATABASE_URL, TEMPORAL_ADDRESS,
 * HONE_ARTIFACTS; see lib/config). `hone up` starts the embedded stack and this server together.
 *
 * At start: applies committed migrations, makes sure `<HONE_DATA_DIR>/admin-token` holds an admin token (mode 0600;
 * never printed), then serves until SIGINT/SIGTERM and shuts down gracefully.
 */
import { Client, Connection } from '@temporalio/client';
import { createArtifactStore } from '../../lib/artifacts';
import { loadConfig } from '../../lib/config';
import { createDb, migrateDeploy } from '../../lib/db';
import { ensureAdminToken } from '../../lib/domain';
import { AppError } from '../../lib/errors';
import { createJsonLogger } from './logger';
import { startServer } from './start-server';
import { workflowTuningFromEnv } from './workflow-tuning';

/** HONE_TEMPORAL_UI_URL (default: the embedded dev server's UI, http://127.0.0.1:8233), for links from the admin view. */
function temporalUiUrl(): string {
  const v = process.env.HONE_TEMPORAL_UI_URL?.trim() || 'http://127.0.0.1:8233';
  if (!/^https?:\/\/[^\s/]+(\/\S*)?$/.test(v)) throw new AppError('CONFIG_INVALID', `HONE_TEMPORAL_UI_URL must be an http(s):// URL (got ${JSON.stringify(v)})`, { variable: 'HONE_TEMPORAL_UI_URL' });
  return v.replace(/\/$/, '');
}

async function main(): Promise<void> {
  const config = loadConfig();
  const workflowTuning = workflowTuningFromEnv(); // fail fast on a bad value, before touching any service
  const logger = createJsonLogger({ level: (process.env.HONE_LOG_LEVEL as 'debug' | 'info' | 'warn' | 'error' | undefined) ?? 'info' });
  if (!config.databaseUrl) throw new AppError('CONFIG_INVALID', 'DATABASE_URL is not set: point it at Postgres, or run `hone up` for the embedded stack');
  if (!config.temporal.address) throw new AppError('CONFIG_INVALID', 'TEMPORAL_ADDRESS is not set: point it at a Temporal frontend (host:port), or run `hone up` for the embedded stack');
  await migrateDeploy(config.databaseUrl);
  const db = createDb(config.databaseUrl, { poolSize: 20, applicationName: 'hone-api' });
  const connection = await Connection.connect({ address: config.temporal.address });
  try {
    const admin = await ensureAdminToken(db, config.dataDir);
    logger.info(admin.created ? 'admin token written' : 'admin token present', { path: admin.path });
    const server = await startServer({
      deps: { db, databaseUrl: config.databaseUrl, temporalClient: new Client({ connection, namespace: config.temporal.namespace }), artifacts: createArtifactStore(config.artifacts), config: { temporalNamespace: config.temporal.namespace, temporalUiUrl: temporalUiUrl(), workflowTuning }, logger },
      port: config.api.port,
      host: config.api.host,
    });
    await new Promise<void>((resolve) => {
      const stop = (signal: string) => {
        logger.info('shutting down', { signal });
        resolve();
      };
      process.once('SIGINT', () => stop('SIGINT'));
      process.once('SIGTERM', () => stop('SIGTERM'));
    });
    await server.close();
  } finally {
    await connection.close();
    await db.$disconnect();
  }
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
