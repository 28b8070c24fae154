import { Client } from 'pg';
import type { Logger } from './logger';
import type { PrincipalCache } from './http/principal-cache';

export interface AuthChangeListener {
  close(): Promise<void>;
}

/**
 * LISTENs on Postgres channel `hone_auth` (triggers on Labeler and ApiToken NOTIFY the labeler id when a grant
 * changes; migration auth_change_notifications) and invalidates that labeler in the principal cache. The cache is
 * armed only while the connection is up: if it drops, the cache disarms at once and every request looks its token
 * up again until the listener has reconnected (backoff 0.5 s → 10 s).
 */
export async function startAuthChangeListener(databaseUrl: string, cache: PrincipalCache, logger: Logger): Promise<AuthChangeListener> {
  let client: Client | undefined;
  let closed = false;
  let retry: ReturnType<typeof setTimeout> | undefined;
  let delay = 500;

  const connect = async (): Promise<void> => {
    const c = new Client({ connectionString: databaseUrl, application_name: 'hone-api-auth-listener' });
    c.on('notification', (n) => {
      if (n.channel === 'hone_auth' && n.payload) cache.invalidateLabeler(n.payload);
    });
    c.on('error', (e) => drop(c, e));
    c.on('end', () => drop(c));
    await c.connect();
    await c.query('LISTEN hone_auth');
    if (closed) {
      await c.end().catch(() => undefined);
      return;
    }
    client = c;
    delay = 500;
    cache.arm();
  };

  const drop = (c: Client, e?: unknown) => {
    if (client !== c) return;
    client = undefined;
    cache.disarm();
    if (closed) return;
    logger.warn('auth-change listener lost its connection; token lookups are not cached until it reconnects', { error: e });
    schedule();
  };

  const schedule = () => {
    retry = setTimeout(() => {
      connect().catch((e: unknown) => {
        logger.warn('auth-change listener could not reconnect', { error: e, retryInMs: delay });
        delay = Math.min(10_000, delay * 2);
        if (!closed) schedule();
      });
    }, delay);
    retry.unref();
  };

  try {
    await connect();
  } catch (e) {
    logger.warn('auth-change listener could not connect; token lookups are not cached until it does', { error: e });
    schedule();
  }
  return {
    async close() {
      closed = true;
      clearTimeout(retry);
      cache.disarm();
      const c = client;
      client = undefined;
      await c?.end().catch(() => undefined);
    },
  };
}
