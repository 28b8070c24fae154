import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { listOpenRoundCounts, releaseExpiredAssignments } from '../../lib/domain';
import { ensureWebBundle, WEB_DIST_DIR } from '../web/build';
import { startAuthChangeListener } from './auth-change-listener';
import { createApp, type HoneApp } from './create-app';
import type { ServerDeps } from './server-deps';

export interface StartServerOptions {
  deps: ServerDeps;
  /** 0 = any free port (default 8787). */
  port?: number;
  /** Default 127.0.0.1: reachable from this machine only. */
  host?: string;
  /** How often expired task claims are swept back to the pool (default 30 s; claims also sweep). */
  sweepIntervalMs?: number;
  /** How long close() waits for requests in flight before cutting connections (default 10 s). */
  shutdownGraceMs?: number;
  /**
   * Build the web UI first when its bundle is missing or older than its sources (default true; ≈ 0.3 s when it
   * builds, ≈ 1 ms when it is fresh). Only for the repository's own bundle folder; a failed build is logged and the
   * UI answers 503 while the API works.
   */
  buildWebUi?: boolean;
  /** Send each open labeling round's count to its workflow once at start (default true; see start-server.ts). */
  resignalOpenRounds?: boolean;
}

export interface RunningServer {
  app: HoneApp;
  url: string;
  host: string;
  port: number;
  /** Stops accepting connections, lets requests in flight finish, flushes workflow signals, stops the sweeper. */
  close(): Promise<void>;
}

/** Serves the API with @hono/node-server until `close()`. */
export async function startServer(opts: StartServerOptions): Promise<RunningServer> {
  const app = createApp(opts.deps);
  const host = opts.host ?? '127.0.0.1';
  const { logger, db, config } = app.hone.deps;
  if ((opts.buildWebUi ?? true) && (config.webDistDir === undefined || config.webDistDir === WEB_DIST_DIR)) {
    try {
      const web = await ensureWebBundle();
      if (web.built) logger.info('web UI built', { state: web.state, entry: web.manifest.entry });
    } catch (e) {
      logger.warn('the web UI could not be built; serving the API only', { error: e });
    }
  }
  const server = await new Promise<ReturnType<typeof serve>>((resolve, reject) => {
    const s = serve({ fetch: app.fetch, port: opts.port ?? 8787, hostname: host }, () => resolve(s));
    s.once('error', reject);
  });
  // Token lookups are cached only with a LISTEN connection that hears every grant change (principal-cache.ts).
  const listener = opts.deps.databaseUrl && config.principalCacheMs > 0 ? await startAuthChangeListener(opts.deps.databaseUrl, app.hone.deps.principals, logger) : undefined;
  const port = (server.address() as AddressInfo).port;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  logger.info('hone API listening', { url });
  // A predecessor that crashed (kill -9, out of memory) took its queued ranking signals with it, and a retried
  // submission is a replay, which signals nothing: tell every waiting workflow its round's count once now, or it
  // would learn it only at its next periodic resync (an hour by default). Counts are absolute: a repeat is harmless.
  if (opts.resignalOpenRounds ?? true) {
    try {
      const open = await listOpenRoundCounts(db);
      for (const r of open) app.hone.deps.signaler.notify(r.workflowId, r.roundIndex, r.completedTasks);
      if (open.length > 0) logger.info('open labeling rounds re-signalled', { rounds: open.length });
    } catch (e) {
      logger.warn('could not re-signal open labeling rounds; their workflows resync on their own', { error: e });
    }
  }

  let sweeping = false;
  const sweeper = setInterval(() => {
    if (sweeping) return;
    sweeping = true;
    releaseExpiredAssignments(db)
      .then((r) => r.released > 0 && logger.info('expired task claims returned to the pool', { released: r.released }))
      .catch((e: unknown) => logger.warn('sweeping expired claims failed', { error: e }))
      .finally(() => (sweeping = false));
  }, opts.sweepIntervalMs ?? 30_000);
  sweeper.unref();

  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      clearInterval(sweeper);
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      const s = server as unknown as { closeIdleConnections?: () => void; closeAllConnections?: () => void };
      s.closeIdleConnections?.();
      const deadline = Date.now() + (opts.shutdownGraceMs ?? 10_000);
      while (app.hone.inFlight() > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      s.closeAllConnections?.();
      await closed;
      await app.hone.drain();
      await listener?.close();
      logger.info('hone API stopped', { url });
    })());
  return { app, url, host, port, close };
}
