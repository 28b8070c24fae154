import type { Context } from 'hono';
import type { Principal } from '../../../lib/auth';
import type { Db } from '../../../lib/db';
import { authenticate } from '../../../lib/domain';
import { AppError } from '../../../lib/errors';

/**
 * The principal of `Authorization: Bearer <token>`. Missing or malformed headers and bad tokens are
 * UNAUTHENTICATED (401); the token itself never reaches a log or an error message.
 */
export async function authenticateRequest(c: Context, db: Db): Promise<Principal> {
  const header = c.req.header('authorization');
  if (!header) throw new AppError('UNAUTHENTICATED', 'missing Authorization header: send "Authorization: Bearer <token>"');
  const m = /^Bearer[ ]+(\S+)\s*$/i.exec(header);
  if (!m) throw new AppError('UNAUTHENTICATED', 'malformed Authorization header: expected "Bearer <token>"');
  return authenticate(db, m[1]);
}
