import type { Context } from 'hono';
import type { z } from 'zod';
import { AppError } from '../../../lib/errors';
import { parseInput } from '../../../lib/domain';

/** Whether a Content-Type names JSON (`application/json`, `application/x+json`, with or without parameters). */
export function isJsonContentType(ct: string | undefined): boolean {
  return !!ct && /^application\/([a-z0-9.+-]+\+)?json\s*(;|$)/i.test(ct.trim());
}

/**
 * Reads the body as JSON and validates it with `schema` (strict objects: unknown fields are errors). The size was
 * already capped by the body-limit middleware, before any of this runs. An absent body is `{}` when `optional`.
 */
export async function readJsonBody<S extends z.ZodType>(c: Context, schema: S, opts: { optional?: boolean } = {}): Promise<z.output<S>> {
  const text = await c.req.text();
  if (text.trim() === '') {
    if (opts.optional) return parseInput(schema, {}, 'request body');
    throw new AppError('VALIDATION_FAILED', 'request body is required: send JSON with Content-Type: application/json');
  }
  if (!isJsonContentType(c.req.header('content-type'))) throw new AppError('VALIDATION_FAILED', `Content-Type must be application/json (got ${JSON.stringify(c.req.header('content-type') ?? '')})`);
  return parseInput(schema, parseJson(text), 'request body');
}

/** JSON.parse with an error that says what is wrong, as VALIDATION_FAILED. */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new AppError('VALIDATION_FAILED', `request body is not valid JSON: ${(e as Error).message}`);
  }
}

/** Query parameters, each given at most once, validated with `schema` (unknown parameters are errors). */
export function readQuery<S extends z.ZodType>(c: Context, schema: S): z.output<S> {
  const all = c.req.queries();
  const single: Record<string, string> = {};
  for (const [k, vs] of Object.entries(all)) {
    if (vs.length > 1) throw new AppError('VALIDATION_FAILED', `query parameter ${k} is given ${vs.length} times; give it once`);
    single[k] = vs[0];
  }
  return parseInput(schema, single, 'query');
}
