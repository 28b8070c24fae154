import { z } from 'zod';
import type { RouteSpec } from './http/route';
import { errorSchema } from './schemas';

const ERROR_TEXT: Record<number, string> = {
  400: 'invalid request (malformed JSON, unknown field, wrong type or value); `details.issues` lists each problem',
  401: 'missing, malformed, unknown or revoked token',
  403: 'the token may not do this (role or experiment scope)',
  404: 'no such record',
  409: 'conflicts with the current state (already ranked differently, round closed, workflow rejected the request)',
  413: 'request body too large',
  503: 'a required service (database, Temporal) did not answer',
};

function jsonSchema(schema: z.ZodType): Record<string, unknown> {
  const { $schema: _drop, ...rest } = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any', target: 'draft-2020-12' }) as Record<string, unknown>;
  return rest;
}

function outputSchema(schema: z.ZodType): Record<string, unknown> {
  const { $schema: _drop, ...rest } = z.toJSONSchema(schema, { io: 'output', unrepresentable: 'any', target: 'draft-2020-12' }) as Record<string, unknown>;
  return rest;
}

function parameters(schema: z.ZodType | undefined, where: 'path' | 'query'): Record<string, unknown>[] {
  if (!schema || !(schema instanceof z.ZodObject)) return [];
  return Object.entries(schema.shape as Record<string, z.ZodType>).map(([name, prop]) => ({
    name,
    in: where,
    required: where === 'path' || !prop.safeParse(undefined).success,
    schema: jsonSchema(prop),
  }));
}

/**
 * The OpenAPI 3.1 document of the API, generated from the routes' own zod schemas (the ones that validate
 * requests), so the document cannot drift from what the server accepts.
 */
export function openApiDocument(routes: readonly RouteSpec[], info: { version: string }): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of routes) {
    const responses: Record<string, unknown> = {};
    for (const [status, doc] of Object.entries(r.responses)) {
      const ct = doc.contentType ?? 'application/json';
      responses[status] = { description: doc.description, ...(doc.schema ? { content: { [ct]: { schema: outputSchema(doc.schema) } } } : ct !== 'application/json' ? { content: { [ct]: { schema: { type: 'string', format: 'binary' } } } } : {}) };
    }
    const errors = new Set(r.errors ?? []);
    if (r.access !== 'public') {
      errors.add(401);
      errors.add(403);
    }
    if (r.params || r.query || r.body || r.rawBody) errors.add(400);
    if (r.body || r.rawBody) errors.add(413);
    for (const status of [...errors].sort()) responses[String(status)] = { description: ERROR_TEXT[status] ?? 'error', content: { 'application/json': { schema: { $ref: '#/components/schemas/ErrorResponse' } } } };

    let requestBody: Record<string, unknown> | undefined;
    if (r.body) requestBody = { required: !r.bodyOptional, content: { 'application/json': { schema: jsonSchema(r.body) } } };
    else if (r.rawBody) {
      requestBody = {
        required: true,
        content: Object.fromEntries(r.rawBody.contentTypes.map((ct) => [ct, { schema: ct === 'application/json' && r.rawBody!.schema ? jsonSchema(r.rawBody!.schema) : { type: 'string' } }])),
      };
    }
    paths[r.path] ??= {};
    paths[r.path][r.method] = {
      operationId: r.operationId,
      summary: r.summary,
      ...(r.description ? { description: r.description } : {}),
      tags: r.tags,
      security: r.access === 'public' ? [] : [{ bearerAuth: [] }],
      ...(r.access === 'admin' ? { 'x-hone-access': 'admin' } : {}),
      parameters: [...parameters(r.params, 'path'), ...parameters(r.query, 'query')],
      ...(requestBody ? { requestBody } : {}),
      responses,
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'hone API',
      version: info.version,
      description:
        'RLHF experiments as durable workflows: launch and steer experiments, rank completions, read metrics, artifacts and the audit trail. ' +
        'Authenticate with `Authorization: Bearer hone_…`. Errors are `{ "error": { "code", "message", "details"? } }`. Round indexes are 0-based (`round` is the 1-based number).',
    },
    servers: [{ url: '/' }],
    components: {
      securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', description: 'an API token hone_<43 base64url characters>' } },
      schemas: { ErrorResponse: outputSchema(errorSchema) },
    },
    paths,
  };
}
