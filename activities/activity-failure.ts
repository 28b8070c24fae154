import { ApplicationFailure, CancelledFailure, Context } from '@temporalio/activity';
import { isAppError, isRetryable } from '../lib/errors';
import type { PermanentErrorType } from '../workflows/experiment-contract';

/**
 * A failure that retrying cannot fix, with one of the contract's permanent types (the workflow records the type as
 * the experiment's error).
 */
export function permanentFailure(type: PermanentErrorType, message: string, details?: Record<string, unknown>): ApplicationFailure {
  return ApplicationFailure.create({ type, message, nonRetryable: true, details: details ? [details] : undefined });
}

/**
 * hone's one error vocabulary at the activity boundary:
 * - cancellation (the signal's CancelledFailure, or anything thrown after the activity was cancelled) passes through
 *   as the CancelledFailure, so Temporal records the attempt as cancelled;
 * - an `AppError` becomes an ApplicationFailure whose type is its code, non-retryable when the code is permanent;
 * - ApplicationFailures pass through; any other error stays retryable (Temporal converts it).
 */
export function toActivityFailure(e: unknown, ctx?: Context): unknown {
  if (e instanceof CancelledFailure) return e;
  const signal = ctx?.cancellationSignal;
  // An engine that stops on abort may reject with its own AbortError: report the cancellation itself.
  if (signal?.aborted && signal.reason instanceof CancelledFailure) return signal.reason;
  if (e instanceof ApplicationFailure) return e;
  if (isAppError(e)) {
    return ApplicationFailure.create({
      type: e.code,
      message: e.message,
      nonRetryable: !isRetryable(e.code),
      details: e.details ? [e.details] : undefined,
      cause: e,
    });
  }
  return e;
}

/** Throws the cancellation if the activity was cancelled (call between steps, after cleanup if any). */
export function throwIfCancelled(ctx: Context): void {
  if (ctx.cancellationSignal.aborted) throw ctx.cancellationSignal.reason instanceof Error ? ctx.cancellationSignal.reason : new CancelledFailure('cancelled');
}
