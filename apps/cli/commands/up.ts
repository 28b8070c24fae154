import path from 'node:path';
import { parseCommand, portFlag } from '../cli-args';
import type { CliContext } from '../cli-context';
import { startStack, type RunningStack } from '../start-stack';

const USAGE = 'hone up [--no-worker] [--no-api] [--no-ui] [--queues control,train] [--api-port N] [--temporal-port N] [--ui-port N] [--pg-port N]';

/** Parses the flags shared by `up` and `demo` into stack options. */
export function stackFlags(values: Record<string, string | boolean | undefined>) {
  return {
    api: !values['no-api'],
    worker: !values['no-worker'],
    temporalUi: !values['no-ui'],
    workerQueues: values.queues as string | undefined,
    ports: {
      api: portFlag(values['api-port'] as string | undefined, '--api-port'),
      temporal: portFlag(values['temporal-port'] as string | undefined, '--temporal-port'),
      temporalUi: portFlag(values['ui-port'] as string | undefined, '--ui-port'),
      postgres: portFlag(values['pg-port'] as string | undefined, '--pg-port'),
    },
  };
}

export const STACK_OPTIONS = {
  'no-worker': { type: 'boolean' },
  'no-api': { type: 'boolean' },
  'no-ui': { type: 'boolean' },
  queues: { type: 'string' },
  'api-port': { type: 'string' },
  'temporal-port': { type: 'string' },
  'ui-port': { type: 'string' },
  'pg-port': { type: 'string' },
} as const;

/** What `hone up` prints once everything answers. */
export function describeStack(stack: RunningStack, queues = 'control,train'): string[] {
  const s = stack.state;
  const pg = s.database.embedded ? `embedded, ${new URL(s.database.url).host} (data in ${path.join(path.dirname(stack.logDir), 'postgres')})` : `external (${new URL(s.database.url).host})`;
  return [
    ...(stack.apiUrl ? [`  API          ${stack.apiUrl}   (OpenAPI ${stack.apiUrl}/api/v1/openapi.json)`] : ['  API          not started here (--no-api)']),
    ...(stack.temporalUiUrl ? [`  Temporal UI  ${stack.temporalUiUrl}`] : []),
    `  Temporal     ${s.temporal.address}, namespace ${s.temporal.namespace}${s.temporal.embedded ? ' (dev server)' : ' (external)'}`,
    `  Postgres     ${pg}`,
    `  artifacts    ${s.artifacts}`,
    `  worker       ${stack.worker ? `pid ${stack.worker.pid()} (${queues.split(',').map((q) => `hone-${q.trim()}`).join(' + ')}; restarted if it dies)` : 'not started here (--no-worker): run `hone worker`'}`,
    `  admin token  ${stack.adminTokenFile}  (the CLI reads it; HONE_TOKEN overrides)`,
    `  logs         ${stack.logDir}`,
  ];
}

/** `hone up`: the whole stack in the foreground until Ctrl-C (or SIGTERM), then a clean, ordered stop. */
export async function upCommand(ctx: CliContext, argv: string[]): Promise<number> {
  const { values } = parseCommand(argv, STACK_OPTIONS, { min: 0, max: 0 }, USAGE);
  const say = (l: string) => ctx.stderr(`[hone] ${l}\n`);
  const stack = await startStack({ config: ctx.config, say, ...stackFlags(values) });
  ctx.stderr(`\nhone is up (data in ${ctx.config.dataDir}):\n${describeStack(stack, values.queues).join('\n')}\n\nCtrl-C stops everything.\n`);
  const signalled = new Promise<string>((resolve) => {
    process.once('SIGINT', () => resolve('SIGINT'));
    process.once('SIGTERM', () => resolve('SIGTERM'));
  });
  let code = 0;
  try {
    const why = await Promise.race([signalled, stack.failure]);
    say(`${why}: stopping (worker first; its running activities checkpoint)…`);
  } catch (e) {
    say(`${(e as Error).message}; stopping`);
    code = 1;
  }
  // A second Ctrl-C while stopping: give up waiting.
  process.once('SIGINT', () => {
    say('second Ctrl-C: exiting without waiting');
    process.exit(130);
  });
  await stack.stop();
  say('stopped');
  return code;
}
