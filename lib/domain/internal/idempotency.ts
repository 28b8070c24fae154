import { AppError } from '../../errors';
import type { Prisma, Tx } from '../../db';
import { canonicalHash } from './canonical-json';

/** What {@link withIdempotencyKey} returns. */
export interface IdempotentOutcome<R> {
  result: R;
  /** true when an earlier call with this key and this request already wrote it (nothing was written now). */
  replayed: boolean;
}

/**
 * Runs `write` at most once per `key`, inside the caller's transaction: the first call records the key with a hash
 * of `request` and stores what `write` returned; a later call with the same key and the same request returns that
 * stored result without writing; the same key with a different request (or from another verb) is a CONFLICT.
 *
 * Concurrent calls with one key are safe: the second INSERT waits for the first transaction and then sees its row
 * (or, if the first rolled back, inserts its own).
 */
export async function withIdempotencyKey<R extends Prisma.InputJsonValue>(
  tx: Tx,
  spec: { key: string; operation: string; request: unknown; experimentId?: string | null },
  write: () => Promise<R>,
): Promise<IdempotentOutcome<R>> {
  if (!spec.key || spec.key.length > 512) throw new AppError('VALIDATION_FAILED', `idempotencyKey must be 1–512 characters (got ${spec.key?.length ?? 0})`);
  const requestHash = canonicalHash(spec.request);
  const inserted = await tx.$queryRaw<{ key: string }[]>`
    INSERT INTO "IdempotencyRecord" ("key", "operation", "requestHash", "result", "experimentId")
    VALUES (${spec.key}, ${spec.operation}, ${requestHash}, 'null'::jsonb, ${spec.experimentId ?? null})
    ON CONFLICT ("key") DO NOTHING
    RETURNING "key"`;
  if (inserted.length === 0) {
    const existing = await tx.idempotencyRecord.findUniqueOrThrow({ where: { key: spec.key } });
    if (existing.operation !== spec.operation || existing.requestHash !== requestHash) {
      throw new AppError(
        'CONFLICT',
        existing.operation !== spec.operation
          ? `idempotency key ${JSON.stringify(spec.key)} was already used by ${existing.operation}, not ${spec.operation}`
          : `idempotency key ${JSON.stringify(spec.key)} was already used for a different ${spec.operation} request; a retry must send the same request`,
        { key: spec.key, operation: existing.operation },
      );
    }
    return { result: existing.result as R, replayed: true };
  }
  const result = await write();
  await tx.idempotencyRecord.update({ where: { key: spec.key }, data: { result } });
  return { result, replayed: false };
}
