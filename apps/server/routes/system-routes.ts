import { jsonResponse } from '../http/json';
import { defineRoute, type RouteSpec } from '../http/route';
import * as s from '../schemas';

export const healthRoute = defineRoute({
  method: 'get',
  path: '/healthz',
  operationId: 'health',
  summary: 'Liveness: the database answers; Temporal is reported but not required',
  tags: ['system'],
  access: 'public',
  responses: { 200: { description: 'healthy', schema: s.healthResponse }, 503: { description: 'the database does not answer', schema: s.healthResponse } },
  async handle({ deps }) {
    const database = await deps.db.$queryRaw`SELECT 1`.then(
      () => 'ok' as const,
      () => 'unavailable' as const,
    );
    const temporal = await deps.temporalClient
      .withDeadline(Date.now() + 2_000, () => deps.temporalClient.workflowService.getSystemInfo({}))
      .then(
        () => 'ok' as const,
        () => 'unavailable' as const,
      );
    return jsonResponse(database === 'ok' ? 200 : 503, { ok: database === 'ok', database, temporal });
  },
}) as RouteSpec;
