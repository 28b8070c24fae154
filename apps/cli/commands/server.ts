import { parseCommand } from '../cli-args';
import type { CliContext } from '../cli-context';
import { fillServiceEnv } from './service-env';

/**
 * `hone server`: the API alone (apps/server/main.ts) against the services in the environment, or those of the
 * `hone up` running for this data folder (e.g. `hone up --no-api`). Runs until SIGTERM/SIGINT.
 */
export function serverCommand(ctx: CliContext, argv: string[]): Promise<number> {
  parseCommand(argv, {}, { min: 0, max: 0 }, 'hone server');
  fillServiceEnv(ctx);
  require('../../server/main');
  return new Promise<number>(() => undefined); // the server's main exits the process when it stops
}
