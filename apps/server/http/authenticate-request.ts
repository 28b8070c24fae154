import type { Context } from 'hono';
import type { Principal } from '../../../lib/auth';
import { AppError } from '../../../lib/errors';
import type { PrincipalCache } from './principal-cache';

/**
 * The principal of `Authorization: Bearer <token>`. Missing or malformed headers and bad tokens are
 * UNAUTHENTICATED (401); the token itself never reaches a log or an error message.
 */
export async function authenticateRequest(c: Context, principals: PrincipalCache): Promise<Principal> {
  const header = c.req.header('authorization');
  if (!header) throw new AppError('UNAUTHENTICATED', 'missing Authorization header: send "Authorization: Bearer <token>"');
  const m = /^Bearer[ ]+(\S+)\s*$/i.exec(header);
  if (!m) throw new AppError('UNAUTHENTICATED', 'malformed Authorization header: expected "Bearer <token>"');
  return principals.principalFor(m[1]);
}
