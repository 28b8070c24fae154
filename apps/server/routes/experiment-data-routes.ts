import { getAuditTrail, labelingAgreement, listMetrics, listRounds, roundProgress } from '../../../lib/domain';
import { jsonResponse } from '../http/json';
import { defineRoute, type RouteSpec } from '../http/route';
import { assertExperimentAccess } from '../http/scope';
import * as s from '../schemas';

const rounds = defineRoute({
  method: 'get',
  path: '/api/v1/experiments/{experimentId}/rounds',
  operationId: 'listRounds',
  summary: "An experiment's labeling rounds",
  tags: ['rounds'],
  access: 'authenticated',
  params: s.experimentParams,
  responses: { 200: { description: 'rounds, first first', schema: s.roundsResponse } },
  errors: [404],
  async handle({ deps, principal, params }) {
    assertExperimentAccess(principal, params.experimentId);
    return jsonResponse(200, { items: await listRounds(deps.db, params.experimentId) });
  },
});

const progress = defineRoute({
  method: 'get',
  path: '/api/v1/experiments/{experimentId}/rounds/{roundIndex}/progress',
  operationId: 'roundProgress',
  summary: 'Tasks done against quorum and deadline, with per-labeler throughput (a labeler sees only their own line)',
  tags: ['rounds'],
  access: 'authenticated',
  params: s.roundParams,
  responses: { 200: { description: 'progress', schema: s.progressSchema } },
  errors: [400, 404],
  async handle({ deps, principal, params }) {
    assertExperimentAccess(principal, params.experimentId);
    const p = await roundProgress(deps.db, params);
    const perLabeler = principal.role === 'admin' ? p.perLabeler : p.perLabeler.filter((l) => l.labelerId === principal.labelerId);
    return jsonResponse(200, { ...p, perLabeler });
  },
});

const agreement = defineRoute({
  method: 'get',
  path: '/api/v1/experiments/{experimentId}/rounds/{roundIndex}/agreement',
  operationId: 'roundAgreement',
  summary: "Inter-labeler agreement on the round's doubly-ranked tasks, beside InstructGPT's 72.6 ± 1.5%",
  description: 'Pairwise agreement (share of sample pairs both labelers order the same way; a tie is its own answer) with a task-clustered 95% CI, and Krippendorff’s α (interval metric on within-task mid-ranks) with a seeded bootstrap CI.',
  tags: ['rounds'],
  access: 'authenticated',
  params: s.roundParams,
  responses: { 200: { description: 'agreement', schema: s.agreementSchema } },
  errors: [400, 404],
  async handle({ deps, principal, params }) {
    assertExperimentAccess(principal, params.experimentId);
    return jsonResponse(200, await labelingAgreement(deps.db, params));
  },
});

const metrics = defineRoute({
  method: 'get',
  path: '/api/v1/experiments/{experimentId}/metrics',
  operationId: 'listMetrics',
  summary: "An experiment's metrics (reward, KL, reward-model accuracy, win rate, …) by name, round and step",
  tags: ['experiments'],
  access: 'authenticated',
  params: s.experimentParams,
  query: s.metricsQuery,
  responses: { 200: { description: 'metric points', schema: s.metricsResponse } },
  errors: [400, 404],
  async handle({ deps, principal, params, query }) {
    assertExperimentAccess(principal, params.experimentId);
    return jsonResponse(200, { items: await listMetrics(deps.db, { experimentId: params.experimentId, ...query }) });
  },
});

const audit = defineRoute({
  method: 'get',
  path: '/api/v1/experiments/{experimentId}/audit',
  operationId: 'auditTrail',
  summary: 'The audit trail: who did what when, with artifacts and their lineage',
  tags: ['experiments'],
  access: 'admin',
  params: s.experimentParams,
  query: s.auditQuery,
  responses: { 200: { description: 'events oldest first, paged by afterId', schema: s.auditTrailSchema } },
  errors: [400, 404],
  async handle({ deps, params, query }) {
    return jsonResponse(200, await getAuditTrail(deps.db, params.experimentId, { afterId: query.afterId === undefined ? undefined : BigInt(query.afterId), limit: query.limit }));
  },
});

export const experimentDataRoutes: RouteSpec[] = [rounds, progress, agreement, metrics, audit] as RouteSpec[];
