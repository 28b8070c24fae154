import type { Tx } from '../../db';

/**
 * Transaction-scoped advisory locks on one labeling round, the first lock every labeling write takes:
 *
 * - claims and submissions take it SHARED (they never wait for each other);
 * - opening and closing a round take it EXCLUSIVE.
 *
 * So a close waits for the claims and submissions already in flight and every later one waits for the close (the
 * lock manager queues a shared request behind a waiting exclusive one, so a close cannot be starved by a stream of
 * labelers). After the close commits, nobody can slip an assignment or a ranking into the closed round. Because
 * each transaction takes this lock before any row lock, it adds no lock-order cycle.
 *
 * Key: (class 'hone', hashtext(roundId)); a hash collision only serialises two rounds, it never breaks them.
 */
const LOCK_CLASS = 0x686f6e65; // 'hone'

export async function lockRoundShared(tx: Tx, roundId: string): Promise<void> {
  await tx.$queryRaw`SELECT pg_advisory_xact_lock_shared(${LOCK_CLASS}::int4, hashtext(${roundId}))::text AS ok`;
}

export async function lockRoundExclusive(tx: Tx, roundId: string): Promise<void> {
  await tx.$queryRaw`SELECT pg_advisory_xact_lock(${LOCK_CLASS}::int4, hashtext(${roundId}))::text AS ok`;
}

/** Shared lock without waiting: false while a close (or open) of the round holds or waits for the exclusive lock. */
export async function tryLockRoundShared(tx: Tx, roundId: string): Promise<boolean> {
  const rows = await tx.$queryRaw<{ ok: boolean }[]>`SELECT pg_try_advisory_xact_lock_shared(${LOCK_CLASS}::int4, hashtext(${roundId})) AS ok`;
  return rows[0]?.ok === true;
}
