import { randomUUID } from 'node:crypto';
import { Hono } from 'hono';
import { AppError } from '../../lib/errors';
import type { AppEnv } from './http/app-env';
import { errorResponse } from './http/error-response';
import { jsonResponse } from './http/json';
import { defineRoute, mountRoutes, type RouteSpec } from './http/route';
import { silentLogger } from './logger';
import { openApiDocument } from './openapi';
import { PrincipalCache } from './http/principal-cache';
import { RankingSignaler } from './ranking-signaler';
import type { ResolvedDeps } from './resolved-deps';
import { artifactRoutes } from './routes/artifact-routes';
import { experimentDataRoutes } from './routes/experiment-data-routes';
import { experimentRoutes } from './routes/experiment-routes';
import { labelerRoutes } from './routes/labeler-routes';
import { labelingRoutes } from './routes/labeling-routes';
import { healthRoute } from './routes/system-routes';
import { DEFAULT_SERVER_CONFIG, type ServerDeps } from './server-deps';
import { WEB_DIST_DIR } from '../web/build';
import { mountWebUi } from './web/web-ui-routes';

const VERSION: string = (require('../../package.json') as { version: string }).version;

/** What createApp adds to the Hono app: the resolved dependencies, the signal coalescer and request accounting. */
export interface AppInternals {
  deps: ResolvedDeps;
  routes: readonly RouteSpec[];
  /** Requests being handled right now. */
  inFlight(): number;
  /** Waits for queued workflow signals to be sent (or given up). */
  drain(): Promise<void>;
}

export type HoneApp = Hono<AppEnv> & { readonly hone: AppInternals };

/** Every route of the API, in documentation order. */
export function apiRoutes(): RouteSpec[] {
  const openapi = defineRoute({
    method: 'get',
    path: '/api/v1/openapi.json',
    operationId: 'openapi',
    summary: 'This document (OpenAPI 3.1, generated from the schemas that validate requests)',
    tags: ['system'],
    access: 'public',
    responses: { 200: { description: 'the OpenAPI document' } },
    async handle() {
      return jsonResponse(200, document);
    },
  }) as RouteSpec;
  const routes = [healthRoute, openapi, ...experimentRoutes, ...experimentDataRoutes, ...labelingRoutes, ...labelerRoutes, ...artifactRoutes];
  const document = openApiDocument(routes, { version: VERSION });
  return routes;
}

/**
 * The hone HTTP API as a Hono app (`app.fetch` for a server, `app.request()` in tests). Routes are under /api/v1;
 * errors are JSON `{ error: { code, message, details? } }` with the status of their code; every request gets an
 * `x-request-id` and one log line without secrets. The built web UI is served at `/` (labelers) and `/admin`.
 */
export function createApp(input: ServerDeps): HoneApp {
  const config = { ...DEFAULT_SERVER_CONFIG, ...input.config };
  const logger = input.logger ?? silentLogger;
  const deps: ResolvedDeps = { db: input.db, temporalClient: input.temporalClient, artifacts: input.artifacts, config, logger, signaler: new RankingSignaler(input.temporalClient, logger, config.signalTimeoutMs, config.signalFollowUpMinIntervalMs), principals: new PrincipalCache(input.db, config.principalCacheMs) };
  const routes = apiRoutes();
  const app = new Hono<AppEnv>();
  let inFlight = 0;

  app.use('*', async (c, next) => {
    const given = c.req.header('x-request-id');
    const requestId = given && /^[A-Za-z0-9._-]{1,64}$/.test(given) ? given : randomUUID();
    c.set('requestId', requestId);
    const started = performance.now();
    inFlight++;
    try {
      await next();
    } finally {
      inFlight--;
      c.header('x-request-id', requestId);
      logger.info('request', { requestId, method: c.req.method, path: c.req.path, status: c.res.status, ms: Math.round((performance.now() - started) * 10) / 10, labelerId: c.get('principal')?.labelerId });
    }
  });
  mountRoutes(app, routes, deps);
  if (config.webDistDir !== null) mountWebUi(app, config.webDistDir ?? WEB_DIST_DIR);
  app.notFound((c) => errorResponse(new AppError('NOT_FOUND', `no route ${c.req.method} ${c.req.path}; see /api/v1/openapi.json`), logger, c.get('requestId') ?? ''));
  app.onError((e, c) => errorResponse(e, logger, c.get('requestId') ?? ''));

  const internals: AppInternals = { deps, routes, inFlight: () => inFlight, drain: () => deps.signaler.drain() };
  return Object.assign(app, { hone: internals });
}
