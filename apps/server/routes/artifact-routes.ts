import path from 'node:path';
import { z } from 'zod';
import { getArtifact, getLineage, listArtifacts } from '../../../lib/domain';
import { AppError } from '../../../lib/errors';
import { jsonResponse } from '../http/json';
import { defineRoute, type RouteSpec } from '../http/route';
import { assertExperimentAccess } from '../http/scope';
import type { Principal } from '../../../lib/auth';
import * as s from '../schemas';

/** Artifacts belong to an experiment; one without (shared inputs) is for admins only. */
function assertArtifactAccess(p: Principal, experimentId: string | null): void {
  if (p.role === 'admin') return;
  if (experimentId === null) throw new AppError('FORBIDDEN', 'this artifact belongs to no experiment; only admins may read it');
  assertExperimentAccess(p, experimentId);
}

const list = defineRoute({
  method: 'get',
  path: '/api/v1/experiments/{experimentId}/artifacts',
  operationId: 'listArtifacts',
  summary: "An experiment's artifacts with their lineage edges",
  tags: ['artifacts'],
  access: 'authenticated',
  params: s.experimentParams,
  query: z.strictObject({ kind: z.string().regex(/^[a-z][a-z0-9_]{0,63}$/, { error: 'must be an artifact kind such as policy' }).optional() }),
  responses: { 200: { description: 'artifacts oldest first', schema: s.artifactListResponse } },
  errors: [400, 404],
  async handle({ deps, principal, params, query }) {
    assertExperimentAccess(principal, params.experimentId);
    return jsonResponse(200, await listArtifacts(deps.db, { experimentId: params.experimentId, kind: query.kind }));
  },
});

const get = defineRoute({
  method: 'get',
  path: '/api/v1/artifacts/{artifactId}',
  operationId: 'getArtifact',
  summary: 'An artifact’s metadata, parents and children',
  tags: ['artifacts'],
  access: 'authenticated',
  params: s.artifactParams,
  responses: { 200: { description: 'the artifact', schema: s.artifactDetailSchema } },
  errors: [404],
  async handle({ deps, principal, params }) {
    const a = await getArtifact(deps.db, params.artifactId);
    assertArtifactAccess(principal, a.experimentId);
    return jsonResponse(200, a);
  },
});

const lineage = defineRoute({
  method: 'get',
  path: '/api/v1/artifacts/{artifactId}/lineage',
  operationId: 'artifactLineage',
  summary: 'Everything an artifact was (transitively) made from',
  tags: ['artifacts'],
  access: 'authenticated',
  params: s.artifactParams,
  responses: { 200: { description: 'the ancestor graph', schema: s.lineageSchema } },
  errors: [404],
  async handle({ deps, principal, params }) {
    const a = await getArtifact(deps.db, params.artifactId);
    assertArtifactAccess(principal, a.experimentId);
    return jsonResponse(200, await getLineage(deps.db, params.artifactId));
  },
});

const content = defineRoute({
  method: 'get',
  path: '/api/v1/artifacts/{artifactId}/content',
  operationId: 'downloadArtifact',
  summary: 'The artifact’s bytes, verified against its recorded sha256',
  tags: ['artifacts'],
  access: 'admin',
  params: s.artifactParams,
  responses: { 200: { description: 'the bytes', contentType: 'application/octet-stream' } },
  errors: [404],
  async handle({ deps, params }) {
    const a = await getArtifact(deps.db, params.artifactId);
    const bytes = await deps.artifacts.get(a.uri);
    const head = await deps.artifacts.head(a.uri).catch(() => undefined);
    const filename = path.posix.basename(a.key).replace(/[^A-Za-z0-9._-]/g, '_') || 'artifact';
    return new Response(new Uint8Array(bytes), {
      status: 200,
      headers: {
        'content-type': head?.contentType ?? 'application/octet-stream',
        'content-length': String(bytes.length),
        'content-disposition': `attachment; filename="${filename}"`,
        'x-sha256': a.sha256,
      },
    });
  },
});

export const artifactRoutes: RouteSpec[] = [list, get, lineage, content] as RouteSpec[];
