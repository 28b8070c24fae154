import { TOKEN_PATTERN, hashToken, sameDigest, scopeFromJson, tokenPrefix, type Principal } from '../auth';
import type { Db } from '../db';
import { AppError } from '../errors';

/** lastUsedAt is written at most this often per token (a write per request would be wasteful). */
const LAST_USED_RESOLUTION_MS = 60_000;

/**
 * The principal behind an API token. The token is looked up by its SHA-256 (a unique index), so no secret is ever
 * compared character by character; the digests are compared in constant time as well. A malformed, unknown,
 * revoked or expired token, or one of a disabled labeler, is UNAUTHENTICATED with a message saying which (none of
 * them reveals anything a caller holding the token does not know). `lastUsedAt` is updated at most once a minute.
 */
export async function authenticate(db: Db, token: string, opts: { now?: Date } = {}): Promise<Principal> {
  if (typeof token !== 'string' || !TOKEN_PATTERN.test(token)) throw new AppError('UNAUTHENTICATED', 'malformed API token: expected hone_ followed by 43 base64url characters');
  const digest = hashToken(token);
  const row = await db.apiToken.findUnique({ where: { tokenHash: digest }, include: { labeler: true } });
  if (!row || !sameDigest(row.tokenHash, digest)) throw new AppError('UNAUTHENTICATED', 'unknown API token');
  const now = opts.now ?? new Date();
  if (row.labeler.disabled) throw new AppError('UNAUTHENTICATED', `labeler ${row.labeler.name} is disabled`);
  if (row.revokedAt) throw new AppError('UNAUTHENTICATED', `API token ${tokenPrefix(token)}… was revoked`);
  if (row.expiresAt && row.expiresAt <= now) throw new AppError('UNAUTHENTICATED', `API token ${tokenPrefix(token)}… expired`);
  if (!row.lastUsedAt || now.getTime() - row.lastUsedAt.getTime() >= LAST_USED_RESOLUTION_MS) {
    // Conditional, so concurrent requests do not all write.
    await db.apiToken.updateMany({ where: { id: row.id, OR: [{ lastUsedAt: null }, { lastUsedAt: { lt: new Date(now.getTime() - LAST_USED_RESOLUTION_MS + 1) } }] }, data: { lastUsedAt: now } });
  }
  return { labelerId: row.labelerId, name: row.labeler.name, role: row.labeler.role, scope: scopeFromJson(row.scopes), tokenId: row.id, tokenPrefix: row.prefix };
}
