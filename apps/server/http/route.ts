import type { Context, Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { z } from 'zod';
import type { Principal } from '../../../lib/auth';
import { AppError } from '../../../lib/errors';
import type { ResolvedDeps } from '../resolved-deps';
import type { AppEnv } from './app-env';
import { authenticateRequest } from './authenticate-request';
import { readJsonBody, readQuery } from './read-body';
import { parseInput } from '../../../lib/domain';

const emptyStrict = z.strictObject({});

/** Who may call a route. */
export type Access = 'public' | 'authenticated' | 'admin';

type Out<S> = S extends z.ZodType ? z.output<S> : undefined;

export interface RouteContext<P, Q, B> {
  c: Context<AppEnv>;
  deps: ResolvedDeps;
  /** Set for every route but public ones. */
  principal: Principal;
  params: P;
  query: Q;
  body: B;
  requestId: string;
}

export interface ResponseDoc {
  description: string;
  schema?: z.ZodType;
  /** Default application/json. */
  contentType?: string;
}

/** One endpoint: how it is validated, documented and answered. The OpenAPI document is generated from these. */
export interface RouteSpec<PS extends z.ZodType | undefined = z.ZodType | undefined, QS extends z.ZodType | undefined = z.ZodType | undefined, BS extends z.ZodType | undefined = z.ZodType | undefined> {
  method: 'get' | 'post';
  /** OpenAPI form: `/api/v1/experiments/{experimentId}`. */
  path: string;
  operationId: string;
  summary: string;
  description?: string;
  tags: string[];
  access: Access;
  params?: PS;
  query?: QS;
  body?: BS;
  /** An absent body counts as `{}`. */
  bodyOptional?: boolean;
  /** The handler reads the body itself (e.g. YAML); `body` is then undefined. */
  rawBody?: { contentTypes: string[]; schema?: z.ZodType };
  /** Override of the server's body limit, bytes. */
  bodyLimit?: (deps: ResolvedDeps) => number;
  responses: Record<number, ResponseDoc>;
  /** Error statuses this route documents (401/403 are added for non-public routes, 413 for routes with a body). */
  errors?: number[];
  handle(ctx: RouteContext<Out<PS>, Out<QS>, Out<BS>>): Promise<Response>;
}

/** Identity, for type inference of a route's handler arguments. */
export function defineRoute<PS extends z.ZodType | undefined = undefined, QS extends z.ZodType | undefined = undefined, BS extends z.ZodType | undefined = undefined>(
  spec: RouteSpec<PS, QS, BS>,
): RouteSpec<PS, QS, BS> {
  return spec;
}

/** `/a/{b}/c` → `/a/:b/c`. */
export function honoPath(openApiPath: string): string {
  return openApiPath.replace(/\{([A-Za-z0-9_]+)\}/g, ':$1');
}

/**
 * Registers routes on the app. Per request, in this order: body size limit (from Content-Length, or counted while
 * streaming, before anything parses it) → authentication → role → path parameters → query → body.
 */
export function mountRoutes(app: Hono<AppEnv>, routes: readonly RouteSpec[], deps: ResolvedDeps): void {
  for (const route of routes) {
    const limit = route.bodyLimit?.(deps) ?? deps.config.bodyLimitBytes;
    const limiter = bodyLimit({
      maxSize: limit,
      onError: () => {
        throw new AppError('PAYLOAD_TOO_LARGE', `request body is larger than ${limit} bytes`, { limitBytes: limit });
      },
    });
    app.on(route.method.toUpperCase(), honoPath(route.path), limiter, async (c) => {
      let principal: Principal | undefined;
      if (route.access !== 'public') {
        principal = await authenticateRequest(c, deps.principals);
        c.set('principal', principal);
        if (route.access === 'admin' && principal.role !== 'admin') throw new AppError('FORBIDDEN', `${route.method.toUpperCase()} ${route.path} needs an admin token`);
      }
      const params = route.params ? parseInput(route.params, c.req.param(), 'path') : undefined;
      const query = readQuery(c, route.query ?? emptyStrict);
      let body: unknown;
      if (route.body) body = await readJsonBody(c, route.body, { optional: route.bodyOptional });
      else if (!route.rawBody && route.method === 'post' && (await c.req.text()).trim() !== '') throw new AppError('VALIDATION_FAILED', `${route.method.toUpperCase()} ${route.path} takes no request body`);
      return route.handle({ c, deps, principal: principal as Principal, params, query, body, requestId: c.get('requestId') } as never);
    });
  }
}
