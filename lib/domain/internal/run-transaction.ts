import type { Db, Tx } from '../../db';
import { isTransientTransactionError } from './pg-error';

/** Options for {@link runTransaction}. */
export interface RunTransactionOptions {
  /** Attempts when the database reports a deadlock or serialization failure (default 4). */
  maxAttempts?: number;
  /** Longest wait for a pooled connection, ms (default 30 s: 200 labelers share a pool of ~10). */
  maxWaitMs?: number;
  /** Longest the transaction may stay open, ms (default 30 s). */
  timeoutMs?: number;
}

/**
 * Runs `fn` in one interactive (READ COMMITTED) transaction and retries the whole of it when Postgres aborts it as a
 * deadlock victim or for a serialization failure; nothing of an aborted attempt is committed, so a retry cannot
 * double-write. Prisma's defaults (2 s to get a connection, 5 s to finish) are too short under many concurrent
 * labelers, hence the longer ones here.
 */
export async function runTransaction<T>(db: Db, fn: (tx: Tx) => Promise<T>, opts: RunTransactionOptions = {}): Promise<T> {
  const attempts = opts.maxAttempts ?? 4;
  for (let attempt = 1; ; attempt++) {
    try {
      // Postgres' default isolation, READ COMMITTED, is what the locking in the verbs is designed for (statement
      // snapshots, row locks re-checked on the latest row version); naming it would cost a statement per transaction.
      return await db.$transaction(fn, { maxWait: opts.maxWaitMs ?? 30_000, timeout: opts.timeoutMs ?? 30_000 });
    } catch (e) {
      if (attempt >= attempts || !isTransientTransactionError(e)) throw e;
      // Back off a little, with jitter, so the two victims of a deadlock do not collide again.
      await new Promise((r) => setTimeout(r, 5 * attempt + Math.floor(Math.random() * 10 * attempt)));
    }
  }
}
