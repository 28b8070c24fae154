import { claimNextTask, submitRanking } from '../../../lib/domain';
import { AppError, isAppError } from '../../../lib/errors';
import { jsonResponse } from '../http/json';
import { defineRoute, type RouteSpec } from '../http/route';
import * as s from '../schemas';

const next = defineRoute({
  method: 'get',
  path: '/api/v1/labeling/next',
  operationId: 'nextTask',
  summary: 'The next ranking task for the caller: the prompt and its K completions in the order to show them',
  description:
    'Claims a task for the caller (or returns the one they hold: `resumed: true`). `task` is null when there is nothing to rank. A claim expires after the round’s assignment time and goes back to the pool; nobody gets the same task twice.',
  tags: ['labeling'],
  access: 'authenticated',
  query: s.nextTaskQuery,
  responses: { 200: { description: 'a task, or null', schema: s.nextTaskResponse } },
  errors: [400],
  async handle({ deps, principal, query }) {
    const task = await claimNextTask(deps.db, { labelerId: principal.labelerId, experimentId: query.experimentId, scope: principal.role === 'admin' ? '*' : principal.scope });
    return jsonResponse(200, { task });
  },
});

const submit = defineRoute({
  method: 'post',
  path: '/api/v1/labeling/tasks/{taskId}/ranking',
  operationId: 'submitRanking',
  summary: 'Submit a ranking of a task you hold',
  description:
    '`ordering` lists the task’s sample ids best → worst, each exactly once; an inner array groups samples judged equal. Stored exactly once per (task, labeler): an identical retry answers 200 with `replayed: true`; a different ranking of the same task is 409. After the commit the workflow is signalled with the round’s count (a failed signal never fails the request). With `?next=true` the response also carries the caller’s next task (`next.task`), claimed after the ranking committed — the labeling UI’s way to show the next task at once.',
  tags: ['labeling'],
  access: 'authenticated',
  params: s.taskParams,
  query: s.submitQuery,
  body: s.rankingBody,
  responses: { 201: { description: 'stored', schema: s.submitResponse }, 200: { description: 'the same ranking was stored before (replay)', schema: s.submitResponse } },
  errors: [400, 404, 409],
  async handle({ deps, principal, params, query, body, requestId }) {
    const scope = principal.role === 'admin' ? '*' : principal.scope;
    const r = await submitRanking(deps.db, { ...body, taskId: params.taskId, labelerId: principal.labelerId, scope });
    // After the commit, never before; and fire-and-forget: a lost signal only delays the round (the workflow resyncs).
    if (r.taskCompleted && r.workflowId) deps.signaler.notify(r.workflowId, r.roundIndex, r.counts.completedTasks);
    const { experimentId: _e, workflowId: _w, ...rest } = r;
    if (query.next !== 'true') return jsonResponse(r.replayed ? 200 : 201, rest);
    // The ranking is stored whatever happens now: a failed claim is reported beside it, never as the request's error.
    let next: { task: Awaited<ReturnType<typeof claimNextTask>>; error?: { code: string; message: string } };
    try {
      next = { task: await claimNextTask(deps.db, { labelerId: principal.labelerId, experimentId: query.experimentId, scope }) };
    } catch (e) {
      const err = isAppError(e) ? e : new AppError('INTERNAL', 'claiming the next task failed; ask again with GET /api/v1/labeling/next');
      if (!isAppError(e)) deps.logger.error('claiming the next task after a submission failed', { requestId, error: e, stack: e instanceof Error ? e.stack : undefined });
      next = { task: null, error: { code: err.code, message: err.message } };
    }
    return jsonResponse(r.replayed ? 200 : 201, { ...rest, next });
  },
});

export const labelingRoutes: RouteSpec[] = [next, submit] as RouteSpec[];
