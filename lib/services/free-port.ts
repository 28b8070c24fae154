import net from 'node:net';

/**
 * Asks the kernel for a free TCP port on 127.0.0.1 (bind to port 0, read it, close). There is a short window in
 * which another process could take it; servers started with it fail loudly in that case rather than misbehave.
 */
export function findFreePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen({ host, port: 0, exclusive: true }, () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => (port ? resolve(port) : reject(new Error('findFreePort: the kernel returned no port'))));
    });
  });
}

/** `port` itself, or a free one when it is 0 or undefined. */
export async function resolvePort(port: number | undefined): Promise<number> {
  if (port === undefined || port === 0) return findFreePort();
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`invalid TCP port ${port}: use 1–65535, or 0 for a free one`);
  return port;
}

/** Whether something accepts TCP connections on host:port right now. */
export function canConnect(port: number, host = '127.0.0.1', timeoutMs = 1_000): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host, port });
    const done = (ok: boolean): void => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(timeoutMs, () => done(false));
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
  });
}
