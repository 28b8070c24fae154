/**
 * PostgreSQL SQLSTATE of an error thrown by the Prisma client over the pg driver adapter, or undefined. Prisma puts
 * it in `meta.driverAdapterError.cause.originalCode` (model calls: P2002 etc.; raw queries: P2010).
 */
export function pgErrorCode(e: unknown): string | undefined {
  const cause = (e as { meta?: { driverAdapterError?: { cause?: { originalCode?: unknown; code?: unknown } } } } | null)?.meta?.driverAdapterError?.cause;
  const code = cause?.originalCode ?? cause?.code;
  return typeof code === 'string' ? code : undefined;
}

/** Whether `e` is a unique-constraint violation (SQLSTATE 23505 / Prisma P2002). */
export function isUniqueViolation(e: unknown): boolean {
  return pgErrorCode(e) === '23505' || (e as { code?: unknown } | null)?.code === 'P2002';
}

/** Whether retrying the whole transaction may succeed: deadlock (40P01), serialization failure (40001), P2034. */
export function isTransientTransactionError(e: unknown): boolean {
  const code = pgErrorCode(e);
  return code === '40P01' || code === '40001' || (e as { code?: unknown } | null)?.code === 'P2034';
}
