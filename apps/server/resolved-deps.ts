import type { Client } from '@temporalio/client';
import type { ArtifactStore } from '../../lib/artifacts';
import type { Db } from '../../lib/db';
import type { PrincipalCache } from './http/principal-cache';
import type { Logger } from './logger';
import type { RankingSignaler } from './ranking-signaler';
import type { ServerConfig } from './server-deps';

/** {@link ServerDeps} with defaults filled in, plus the per-app signal coalescer. */
export interface ResolvedDeps {
  db: Db;
  temporalClient: Client;
  artifacts: ArtifactStore;
  config: ServerConfig;
  logger: Logger;
  signaler: RankingSignaler;
  /** Token → principal, cached while the auth-change listener runs (see principal-cache.ts). */
  principals: PrincipalCache;
}
