import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from './cli-error';

type Options = NonNullable<ParseArgsConfig['options']>;

/** Flags every read command takes. */
export const JSON_FLAG = { json: { type: 'boolean' } } as const satisfies Options;

/**
 * Parses a command's arguments strictly (unknown flags are errors) and checks the number of positionals.
 * `usage` is the command's synopsis, shown with every mistake.
 */
export function parseCommand<O extends Options>(argv: string[], options: O, positionals: { min: number; max: number }, usage: string) {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (e) {
    throw new UsageError(`${(e as Error).message.replace(/^TypeError \[[A-Z_]+\]: /, '')}\nusage: ${usage}`);
  }
  const n = parsed.positionals.length;
  if (n < positionals.min) throw new UsageError(`missing argument\nusage: ${usage}`);
  if (n > positionals.max) throw new UsageError(`unexpected argument ${JSON.stringify(parsed.positionals[positionals.max])}\nusage: ${usage}`);
  return parsed;
}

/** A positive integer flag or argument, or a usage error naming it. */
export function positiveInt(value: string | undefined, name: string, fallback?: number): number {
  if (value === undefined) {
    if (fallback === undefined) throw new UsageError(`${name} is required`);
    return fallback;
  }
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < 1) throw new UsageError(`${name} must be a positive integer (got ${JSON.stringify(value)})`);
  return n;
}

/** A port flag (0 = any free port). */
export function portFlag(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^\d+$/.test(value) || n > 65535) throw new UsageError(`${name} must be a TCP port 0–65535 (got ${JSON.stringify(value)})`);
  return n;
}

/** A number in [min, max]. */
export function numberFlag(value: string | undefined, name: string, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < min || n > max) throw new UsageError(`${name} must be a number in [${min}, ${max}] (got ${JSON.stringify(value)})`);
  return n;
}
