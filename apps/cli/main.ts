/**
 * The `hone` command (bin/hone). Dispatches to one module per command; every failure ends as one clear line on
 * stderr (a stack trace only with HONE_DEBUG=1) and a non-zero exit code.
 */
import { isAppError } from '../../lib/errors';
import { processContext, type CliContext } from './cli-context';
import { CliError } from './cli-error';
import { HELP } from './help';
type Command = (ctx: CliContext, argv: string[]) => Promise<number>;

// Each command's module loads on first use: `hone status` need not load the stack, the worker or the engine.
const COMMANDS: Record<string, Command> = {
  up: (c, a) => (require('./commands/up') as typeof import('./commands/up')).upCommand(c, a),
  demo: (c, a) => (require('./commands/demo') as typeof import('./commands/demo')).demoCommand(c, a),
  worker: (c, a) => (require('./commands/worker') as typeof import('./commands/worker')).workerCommand(c, a),
  server: (c, a) => (require('./commands/server') as typeof import('./commands/server')).serverCommand(c, a),
  migrate: (c, a) => (require('./commands/migrate') as typeof import('./commands/migrate')).migrateCommand(c, a),
  run: (c, a) => (require('./commands/run') as typeof import('./commands/run')).runCommand(c, a),
  status: (c, a) => (require('./commands/status') as typeof import('./commands/status')).statusCommand(c, a),
  pause: (c, a) => steer().steerCommand(c, 'pause', a),
  resume: (c, a) => steer().steerCommand(c, 'resume', a),
  cancel: (c, a) => steer().steerCommand(c, 'cancel', a),
  extend: (c, a) => steer().steerCommand(c, 'extend', a),
  'close-round': (c, a) => steer().steerCommand(c, 'close-round', a),
  audit: (c, a) => (require('./commands/audit') as typeof import('./commands/audit')).auditCommand(c, a),
  labelers: (c, a) => (require('./commands/labelers') as typeof import('./commands/labelers')).labelersCommand(c, a),
  label: (c, a) => (require('./commands/label') as typeof import('./commands/label')).labelCommand(c, a),
};
const steer = () => require('./commands/steer') as typeof import('./commands/steer');

/** Runs one command line; resolves with the exit code. */
export async function runCli(argv: string[], ctx?: CliContext): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === 'help' || name === '--help' || name === '-h') {
    process.stdout.write(HELP);
    return name ? 0 : 2;
  }
  if (name === '--version' || name === 'version') {
    process.stdout.write(`${(require('../../package.json') as { version: string }).version}\n`);
    return 0;
  }
  const command = COMMANDS[name];
  if (!command) throw new CliError(`unknown command ${JSON.stringify(name)}; run \`hone help\``, 2);
  return command(ctx ?? processContext(), rest);
}

/** Prints an error the way the CLI reports them. */
export function reportError(e: unknown): number {
  const debug = process.env.HONE_DEBUG === '1';
  if (e instanceof CliError) {
    process.stderr.write(`hone: ${e.message}\n`);
    if (debug && e.stack) process.stderr.write(`${e.stack}\n`);
    return e.exitCode;
  }
  if (isAppError(e)) {
    process.stderr.write(`hone: ${e.message}\n`);
    if (debug && e.stack) process.stderr.write(`${e.stack}\n`);
    return 1;
  }
  process.stderr.write(`hone: ${e instanceof Error ? (debug ? (e.stack ?? e.message) : e.message) : String(e)}\n`);
  return 1;
}

async function main(): Promise<void> {
  const code = await runCli(process.argv.slice(2));
  process.exitCode = code;
}

if (require.main === module || process.env.HONE_CLI_MAIN === '1') {
  main().catch((e: unknown) => {
    process.exitCode = reportError(e);
  });
}
