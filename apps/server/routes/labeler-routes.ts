import { actorOf } from '../../../lib/auth';
import { createLabeler, disableLabeler, listLabelers, rotateToken } from '../../../lib/domain';
import { jsonResponse } from '../http/json';
import { defineRoute, type RouteSpec } from '../http/route';
import * as s from '../schemas';

const me = defineRoute({
  method: 'get',
  path: '/api/v1/me',
  operationId: 'me',
  summary: 'Who the token belongs to (for signing in)',
  tags: ['labelers'],
  access: 'authenticated',
  responses: { 200: { description: 'the caller', schema: s.meResponse } },
  async handle({ principal }) {
    return jsonResponse(200, { labelerId: principal.labelerId, name: principal.name, role: principal.role, scope: principal.scope, tokenPrefix: principal.tokenPrefix });
  },
});

const list = defineRoute({
  method: 'get',
  path: '/api/v1/labelers',
  operationId: 'listLabelers',
  summary: 'Labelers with throughput and agreement statistics',
  tags: ['labelers'],
  access: 'admin',
  query: s.labelersQuery,
  responses: { 200: { description: 'labelers by name', schema: s.labelerListResponse } },
  async handle({ deps, query }) {
    return jsonResponse(200, { items: await listLabelers(deps.db, query) });
  },
});

const create = defineRoute({
  method: 'post',
  path: '/api/v1/labelers',
  operationId: 'createLabeler',
  summary: 'Create a labeler or admin; the token is in this response only',
  tags: ['labelers'],
  access: 'admin',
  body: s.createLabelerBody,
  responses: { 201: { description: 'created', schema: s.labelerWithTokenSchema } },
  errors: [400, 404, 409],
  async handle({ deps, principal, body }) {
    const r = await createLabeler(deps.db, { ...body, actor: actorOf(principal) });
    return jsonResponse(201, r, { 'cache-control': 'no-store' });
  },
});

const disable = defineRoute({
  method: 'post',
  path: '/api/v1/labelers/{labelerId}/disable',
  operationId: 'disableLabeler',
  summary: 'Disable a labeler: tokens revoked, held tasks back to the pool, rankings kept',
  tags: ['labelers'],
  access: 'admin',
  params: s.labelerParams,
  body: s.steerBody,
  bodyOptional: true,
  responses: { 200: { description: 'disabled', schema: s.labelerResponse } },
  errors: [404, 409],
  async handle({ deps, principal, params, body }) {
    const labeler = await disableLabeler(deps.db, { labelerId: params.labelerId, actor: actorOf(principal), reason: body.reason });
    deps.principals.invalidateLabeler(params.labelerId); // at once here; other processes hear it through NOTIFY
    return jsonResponse(200, { labeler });
  },
});

const rotate = defineRoute({
  method: 'post',
  path: '/api/v1/labelers/{labelerId}/rotate-token',
  operationId: 'rotateToken',
  summary: 'Revoke a labeler’s tokens and issue a new one (shown once)',
  tags: ['labelers'],
  access: 'admin',
  params: s.labelerParams,
  body: s.rotateTokenBody,
  bodyOptional: true,
  responses: { 200: { description: 'the new token', schema: s.labelerWithTokenSchema } },
  errors: [400, 404, 409],
  async handle({ deps, principal, params, body }) {
    const rotated = await rotateToken(deps.db, { labelerId: params.labelerId, actor: actorOf(principal), scopes: body.scopes });
    deps.principals.invalidateLabeler(params.labelerId);
    return jsonResponse(200, rotated, { 'cache-control': 'no-store' });
  },
});

export const labelerRoutes: RouteSpec[] = [me, list, create, disable, rotate] as RouteSpec[];
