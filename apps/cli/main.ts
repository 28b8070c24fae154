/**
 * The `hone` command (bin/hone). Dispatches to one module per command; every failure ends as one clear line on
 * stderr (a stack trace only with HONE_DEBUG=1) and a non-zero exit code.
 */
import { isAppError } from '../../lib/errors';
import { processContext, type CliContext } from './cli-context';
import { CliError } from './cli-error';
import { HELP } from './help';
import { auditCommand } from './commands/audit';
import { demoCommand } from './commands/demo';
import { labelCommand } from './commands/label';
import { labelersCommand } from './commands/labelers';
import { runCommand } from './commands/run';
import { serverCommand } from './commands/server';
import { statusCommand } from './commands/status';
import { steerCommand } from './commands/steer';
import { upCommand } from './commands/up';
import { workerCommand } from './commands/worker';

type Command = (ctx: CliContext, argv: string[]) => Promise<number>;

const COMMANDS: Record<string, Command> = {
  up: upCommand,
  demo: demoCommand,
  worker: workerCommand,
  server: serverCommand,
  run: runCommand,
  status: statusCommand,
  pause: (c, a) => steerCommand(c, 'pause', a),
  resume: (c, a) => steerCommand(c, 'resume', a),
  cancel: (c, a) => steerCommand(c, 'cancel', a),
  extend: (c, a) => steerCommand(c, 'extend', a),
  'close-round': (c, a) => steerCommand(c, 'close-round', a),
  audit: auditCommand,
  labelers: labelersCommand,
  label: labelCommand,
};

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
