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
  // One indexed read per request (a join, not two queries): authentication runs on every call.
  const [row] = await db.$queryRaw<
    { id: string; labelerId: string; tokenHash: string; prefix: string; scopes: unknown; lastUsedAt: Date | null; expiresAt: Date | null; revokedAt: Date | null; name: string; role: 'admin' | 'labeler'; disabled: boolean }[]
  >`
    SELECT t."id", t."labelerId", t."tokenHash", t."prefix", t."scopes", t."lastUsedAt", t."expiresAt", t."revokedAt", l."name", l."role"::text AS role, l."disabled"
    FROM "ApiToken" t JOIN "Labeler" l ON l."id" = t."labelerId"
    WHERE t."tokenHash" = ${digest}`;
  if (!row || !sameDigest(row.tokenHash, digest)) throw new AppError('UNAUTHENTICATED', 'unknown API token');
  const now = opts.now ?? new Date();
  if (row.disabled) throw new AppError('UNAUTHENTICATED', `labeler ${row.name} is disabled`);
  if (row.revokedAt) throw new AppError('UNAUTHENTICATED', `API token ${tokenPrefix(token)}… was revoked`);
  if (row.expiresAt && row.expiresAt <= now) throw new AppError('UNAUTHENTICATED', `API token ${tokenPrefix(token)}… expired`);
  if (!row.lastUsedAt || now.getTime() - row.lastUsedAt.getTime() >= LAST_USED_RESOLUTION_MS) {
    // Conditional, so concurrent requests do not all write.
    await db.apiToken.updateMany({ where: { id: row.id, OR: [{ lastUsedAt: null }, { lastUsedAt: { lt: new Date(now.getTime() - LAST_USED_RESOLUTION_MS + 1) } }] }, data: { lastUsedAt: now } });
  }
  const scopes = typeof row.scopes === 'string' ? (JSON.parse(row.scopes) as unknown) : row.scopes;
  return { labelerId: row.labelerId, name: row.name, role: row.role, scope: scopeFromJson(scopes), tokenId: row.id, tokenPrefix: row.prefix };
}
