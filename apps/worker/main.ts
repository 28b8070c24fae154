/**
 * `hone worker` / `npm run worker` — a worker process against services that already run (DATABASE_URL,
 * TEMPORAL_ADDRESS, HONE_ARTIFACTS; see lib/config and worker-settings.ts). `hone up` runs one as a child process.
 *
 * Serves `hone-control` and `hone-train` by default (HONE_WORKER_QUEUES to choose). SIGTERM/SIGINT: the workers
 * stop polling, running activities are cancelled (trainers save a checkpoint) and get the grace period, then the
 * connection, pool and engine close and the process exits 0. A second signal exits at once.
 */
import { loadConfig } from '../../lib/config';
import { createJsonLogger } from '../server/logger';
import { createEngine } from './create-engine';
import { startHoneWorker } from './run-worker';
import { loadWorkerSettings } from './worker-settings';

async function main(): Promise<void> {
  const config = loadConfig();
  const settings = loadWorkerSettings();
  const logger = createJsonLogger({ level: settings.logLevel, name: 'hone-worker' });
  const worker = await startHoneWorker({ config, settings, logger, createEngine });
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    signals += 1;
    if (signals > 1) {
      logger.warn('second signal: exiting without waiting for activities', { signal });
      process.exit(130);
    }
    logger.info('signal received', { signal });
    void worker.shutdown();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  await worker.done;
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
