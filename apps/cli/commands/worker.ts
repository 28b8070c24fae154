import { parseCommand } from '../cli-args';
import type { CliContext } from '../cli-context';
import { fillServiceEnv } from './service-env';

const USAGE = 'hone worker [--queues control,train]';

/**
 * `hone worker`: a worker process (apps/worker/main.ts) against the services in the environment, or those of the
 * `hone up` running for this data folder. Runs until SIGTERM/SIGINT.
 */
export function workerCommand(ctx: CliContext, argv: string[]): Promise<number> {
  const { values } = parseCommand(argv, { queues: { type: 'string' } }, { min: 0, max: 0 }, USAGE);
  fillServiceEnv(ctx);
  if (values.queues) ctx.env.HONE_WORKER_QUEUES = values.queues;
  require('../../worker/main');
  return new Promise<number>(() => undefined); // the worker's main exits the process when it stops
}
