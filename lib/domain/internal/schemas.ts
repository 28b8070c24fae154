import { z } from 'zod';

/** Record ids (UUIDs here) are plain tokens: this keeps NUL bytes and SQL-looking text away from queries. */
export const idSchema = z.string().regex(/^[0-9A-Za-z_-]{1,64}$/, { error: 'must be an id (letters, digits, - and _)' });

/** C0 controls other than tab/newline/CR, and lone UTF-16 surrogates, which Postgres text cannot hold faithfully. */
const BAD_TEXT = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Free text a person typed: any Unicode, but no control characters or broken surrogate pairs. */
export function textSchema(max: number) {
  return z
    .string()
    .max(max, { error: `must be at most ${max} characters` })
    .refine((s) => !BAD_TEXT.test(s), { error: 'contains a control character or invalid Unicode (a lone surrogate)' });
}

/** Whether a string is safe to store as text (see {@link textSchema}). */
export function isCleanText(s: string): boolean {
  return !BAD_TEXT.test(s);
}
