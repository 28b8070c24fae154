import { WorkflowNotFoundError } from '@temporalio/common';
import { HTTPException } from 'hono/http-exception';
import { AppError, httpStatus, isAppError } from '../../../lib/errors';
import type { Logger } from '../logger';
import { jsonResponse } from './json';

/**
 * The one mapping from anything thrown to an HTTP answer `{ error: { code, message, details? } }` with the status
 * of `httpStatus(code)`. AppErrors pass through; anything unexpected is logged and answered as INTERNAL without
 * internals.
 */
export function errorResponse(e: unknown, logger: Logger, requestId: string): Response {
  const err = toAppError(e);
  if (err.code === 'INTERNAL' || err.code === 'DEPENDENCY_UNAVAILABLE') logger.error('request failed', { requestId, code: err.code, error: e, stack: e instanceof Error ? e.stack : undefined });
  const headers: Record<string, string> = { 'x-request-id': requestId };
  if (err.code === 'UNAUTHENTICATED') headers['www-authenticate'] = 'Bearer realm="hone"';
  return jsonResponse(httpStatus(err.code), err.toJSON(), headers);
}

function toAppError(e: unknown): AppError {
  if (isAppError(e)) return e;
  if (e instanceof HTTPException) {
    if (e.status === 413) return new AppError('PAYLOAD_TOO_LARGE', 'request body is too large');
    if (e.status === 400) return new AppError('VALIDATION_FAILED', e.message || 'bad request');
  }
  if (e instanceof WorkflowNotFoundError) return new AppError('INVALID_STATE', `the experiment's workflow is not running (${e.message})`);
  if (isUnavailable(e)) return new AppError('DEPENDENCY_UNAVAILABLE', 'a required service (database or Temporal) is unavailable; try again shortly');
  return new AppError('INTERNAL', 'internal error; the server log has details');
}

/** Connection-level failures of Postgres or Temporal. */
export function isUnavailable(e: unknown): boolean {
  const code = (e as { code?: unknown } | null)?.code;
  const name = (e as { name?: unknown } | null)?.name;
  // Prisma: P1001 can't reach, P2024 pool timeout, P2028 transaction start timeout; gRPC 14 UNAVAILABLE, 4 DEADLINE_EXCEEDED.
  return code === 'P1001' || code === 'P2024' || code === 'P2028' || code === 14 || code === 4 || name === 'ServiceError' || name === 'TransportError';
}
