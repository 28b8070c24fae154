import type { z } from 'zod';
import { AppError } from '../../errors';

/**
 * Validates a verb's input with its zod schema; on failure throws `AppError('VALIDATION_FAILED')` whose message
 * names each bad field (`ordering[2]: …`) and whose details carry the issues for API clients.
 */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown, what: string): z.output<S> {
  const r = schema.safeParse(input);
  if (r.success) return r.data;
  const issues = r.error.issues.map((i) => ({ path: formatPath(i.path), message: i.message }));
  const text = issues
    .slice(0, 5)
    .map((i) => (i.path ? `${i.path}: ${i.message}` : i.message))
    .join('; ');
  throw new AppError('VALIDATION_FAILED', `invalid ${what}: ${text}${issues.length > 5 ? ` (and ${issues.length - 5} more)` : ''}`, { issues });
}

/** `['ordering', 2, 'id']` → `ordering[2].id`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out === '' ? String(p) : `.${String(p)}`;
  return out;
}
