import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** `hone_` + base64url of 32 random bytes (43 characters). */
export const TOKEN_PATTERN = /^hone_[A-Za-z0-9_-]{43}$/;

/** A new API token. Shown to its owner once; only {@link hashToken} of it is stored. */
export function generateToken(): string {
  return `hone_${randomBytes(32).toString('base64url')}`;
}

/** Lowercase hex SHA-256 of a token: what the database stores and looks tokens up by. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** The non-secret start of a token, to tell tokens apart in listings (`hone_AbCdEfG`). */
export function tokenPrefix(token: string): string {
  return token.slice(0, 12);
}

/** Constant-time comparison of two hex digests of equal length. */
export function sameDigest(a: string, b: string): boolean {
  const x = Buffer.from(a, 'hex');
  const y = Buffer.from(b, 'hex');
  return x.length === y.length && x.length > 0 && timingSafeEqual(x, y);
}
