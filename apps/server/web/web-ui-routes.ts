import fs from 'node:fs';
import path from 'node:path';
import type { Hono } from 'hono';
import type { AppEnv } from '../http/app-env';

/** Pages of the single-page UI: the labeler view at `/`, the admin view under `/admin`. */
export const WEB_UI_PAGES = ['/', '/admin', '/admin/*'] as const;

/**
 * The UI's content security policy: everything from this origin only, no inline scripts or styles, no framing.
 * (Scripts set element styles through the CSSOM, which `style-src` does not restrict.)
 */
export const WEB_UI_CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

const SECURITY_HEADERS = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
};

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.woff2': 'font/woff2',
  '.png': 'image/png',
};

/** Bundle file names are content-hashed by the build: `main-3F2A9XQ1.js`, `chunk-admin-app-…js`, `….map`. */
const ASSET_NAME = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*\.(js|css|map|txt|svg|woff2|png)$/;

function notBuilt(distDir: string): Response {
  const body = `<!doctype html><html lang="en"><meta charset="utf-8"><title>hone: UI not built</title><body style="font-family:system-ui;margin:3rem;max-width:40rem"><h1>The web UI is not built</h1><p>No bundle in <code>${escapeHtml(distDir)}</code>. Run <code>npm run build:web</code> (the server also builds it at start when the sources are present). The API is available under <a href="/api/v1/openapi.json">/api/v1</a>.</p></body></html>`;
  return new Response(body, { status: 503, headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', ...SECURITY_HEADERS } });
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * Serves the built web UI (apps/web/dist) from the API's own origin: `index.html` for the UI's pages (never cached,
 * with a strict CSP) and the content-hashed files under `/assets/` (cached for a year, immutable). A missing bundle
 * answers 503 with how to build it. Tokens never reach these routes: the UI sends them only to the API.
 */
export function mountWebUi(app: Hono<AppEnv>, distDir: string): void {
  const page = async () => {
    let html: string;
    try {
      html = await fs.promises.readFile(path.join(distDir, 'index.html'), 'utf8');
    } catch {
      return notBuilt(distDir);
    }
    return new Response(html, {
      status: 200,
      headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-cache', 'content-security-policy': WEB_UI_CSP, ...SECURITY_HEADERS },
    });
  };
  for (const p of WEB_UI_PAGES) app.get(p, page);

  app.get('/assets/:name', async (c) => {
    const name = c.req.param('name');
    const notFound = () => new Response('not found', { status: 404, headers: { 'content-type': 'text/plain; charset=utf-8', ...SECURITY_HEADERS } });
    if (!ASSET_NAME.test(name)) return notFound();
    let data: Buffer;
    try {
      data = await fs.promises.readFile(path.join(distDir, 'assets', name));
    } catch {
      return notFound();
    }
    return new Response(new Uint8Array(data), {
      status: 200,
      headers: { 'content-type': TYPES[path.extname(name)] ?? 'application/octet-stream', 'cache-control': 'public, max-age=31536000, immutable', 'content-length': String(data.length), ...SECURITY_HEADERS },
    });
  });
}
