import { Context } from '@temporalio/activity';
import type { ResolvedActivityDeps } from './activity-deps';
import { toActivityFailure } from './activity-failure';

/** Who the audit trail says did what an activity wrote: the workflow that scheduled it. */
export function activityActor(ctx: Context, experimentId: string): string {
  const wf = ctx.info.workflowExecution?.workflowId;
  return wf ? `workflow:${wf}` : `activity:${experimentId}`;
}

/** What an activity body gets besides its input. */
export interface ActivityScope {
  ctx: Context;
  actor: string;
  deps: ResolvedActivityDeps;
}

/**
 * Wraps an activity body: gives it its context and actor, logs how it ended, and maps its errors through
 * {@link toActivityFailure}.
 */
export function defineActivity<I extends { experimentId: string; idempotencyKey: string }, O>(
  name: string,
  deps: ResolvedActivityDeps,
  body: (input: I, scope: ActivityScope) => Promise<O>,
): (input: I) => Promise<O> {
  return async (input: I): Promise<O> => {
    const ctx = Context.current();
    const started = Date.now();
    const fields = { activity: name, experimentId: input.experimentId, key: input.idempotencyKey, attempt: ctx.info.attempt };
    try {
      const out = await body(input, { ctx, actor: activityActor(ctx, input.experimentId), deps });
      deps.logger.debug('activity completed', { ...fields, ms: Date.now() - started });
      return out;
    } catch (e) {
      const mapped = toActivityFailure(e, ctx);
      const cancelled = ctx.cancellationSignal.aborted;
      deps.logger[cancelled ? 'info' : 'warn'](cancelled ? 'activity cancelled' : 'activity failed', { ...fields, ms: Date.now() - started, error: e });
      throw mapped;
    }
  };
}
