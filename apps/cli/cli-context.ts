import fs from 'node:fs';
import { loadConfig, type HoneConfig } from '../../lib/config';
import { adminTokenPath } from '../../lib/domain/ensure-admin-token';
import { ApiClient } from './api-client';
import { CliError } from './cli-error';
import { readStackState, type StackState } from './stack-state';

/** What every command runs with: configuration, output streams and how to reach the API. */
export interface CliContext {
  env: NodeJS.ProcessEnv;
  config: HoneConfig;
  /** Results (JSON lines with --json). */
  stdout: (text: string) => void;
  /** Progress and diagnostics. */
  stderr: (text: string) => void;
  /** Whether stderr is a terminal (progress bars redraw in place). */
  interactive: boolean;
}

/** The context of the real process. */
export function processContext(env: NodeJS.ProcessEnv = process.env): CliContext {
  return {
    env,
    config: loadConfig(env),
    stdout: (t) => process.stdout.write(t),
    stderr: (t) => process.stderr.write(t),
    interactive: Boolean(process.stderr.isTTY) && env.TERM !== 'dumb',
  };
}

/** The running stack of this data folder, if `hone up` runs. */
export function stackOf(ctx: CliContext): StackState | undefined {
  return readStackState(ctx.config.dataDir);
}

/** The API base URL: HONE_API_URL, else the one `hone up` published, else http://HONE_API_HOST:HONE_API_PORT. */
export function apiUrl(ctx: CliContext): string {
  const explicit = ctx.env.HONE_API_URL?.trim();
  if (explicit) return explicit.replace(/\/+$/, '');
  const published = stackOf(ctx)?.apiUrl;
  if (published) return published;
  const host = ctx.config.api.host.includes(':') ? `[${ctx.config.api.host}]` : ctx.config.api.host;
  return `http://${host}:${ctx.config.api.port || 8787}`;
}

/** The admin token: HONE_TOKEN, else `<dataDir>/admin-token` (written by `hone up` / the server on first start). */
export function adminToken(ctx: CliContext): string {
  const explicit = ctx.env.HONE_TOKEN?.trim();
  if (explicit) return explicit;
  const file = adminTokenPath(ctx.config.dataDir);
  try {
    const t = fs.readFileSync(file, 'utf8').trim();
    if (t) return t;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw new CliError(`cannot read the admin token at ${file}: ${(e as Error).message}`);
  }
  throw new CliError(`no admin token: set HONE_TOKEN, or start the stack once with \`hone up\` (it writes ${file})`);
}

/** An API client with the admin token. */
export function adminApi(ctx: CliContext): ApiClient {
  return new ApiClient(apiUrl(ctx), adminToken(ctx));
}
