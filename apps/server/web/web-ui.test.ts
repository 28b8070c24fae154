/**
 * The web UI as the server serves it: the bundle built by apps/web/build.ts into a temporary folder, its pages and
 * hashed assets with their caching and security headers, and the answers when there is no bundle or no UI at all.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildWebBundle, ensureWebBundle, readWebManifest, webBundleState, webSourceHash, type WebBundleManifest } from '../../web/build';
import { createTestApi, type TestApi } from '../test-support';
import { WEB_UI_CSP } from './web-ui-routes';

let dist: string;
let manifest: WebBundleManifest;
let api: TestApi;
beforeAll(async () => {
  dist = fs.mkdtempSync(path.join(os.tmpdir(), 'hone-web-dist-'));
  manifest = await buildWebBundle({ outDir: dist });
  api = await createTestApi('web_ui', { config: { webDistDir: dist } });
});
afterAll(async () => {
  await api?.close();
  fs.rmSync(dist, { recursive: true, force: true });
});

describe('the bundle', () => {
  it('records what it was built from and is fresh until the sources change', async () => {
    expect(manifest.entry).toMatch(/^assets\/main-[A-Z0-9]+\.js$/);
    expect(manifest.css).toMatch(/^assets\/main-[A-Z0-9]+\.css$/);
    expect(manifest.sourceHash).toBe(webSourceHash());
    expect(readWebManifest(dist)).toEqual(manifest);
    expect(webBundleState(dist)).toBe('fresh');
    expect(await ensureWebBundle({ outDir: dist })).toMatchObject({ built: false, state: 'fresh' });
    // The admin view (and the charting library) is a separate chunk: labelers never load it.
    const entry = fs.readFileSync(path.join(dist, manifest.entry), 'utf8');
    expect(manifest.files.some((f) => /^assets\/admin-app-[A-Z0-9]+\.js$/.test(f))).toBe(true);
    expect(entry).not.toContain('Chart.js');
  });

  it('counts as stale when its sources differ and as missing when a file is gone; ensureWebBundle rebuilds', async () => {
    const copy = fs.mkdtempSync(path.join(os.tmpdir(), 'hone-web-stale-'));
    try {
      fs.cpSync(dist, copy, { recursive: true });
      const m = JSON.parse(fs.readFileSync(path.join(copy, 'manifest.json'), 'utf8')) as WebBundleManifest;
      fs.writeFileSync(path.join(copy, 'manifest.json'), JSON.stringify({ ...m, sourceHash: 'old' }));
      expect(webBundleState(copy)).toBe('stale');
      fs.rmSync(path.join(copy, m.entry));
      expect(webBundleState(copy)).toBe('missing');
      const r = await ensureWebBundle({ outDir: copy });
      expect(r).toMatchObject({ built: true, state: 'missing' });
      expect(webBundleState(copy)).toBe('fresh');
    } finally {
      fs.rmSync(copy, { recursive: true, force: true });
    }
  });
});

describe('serving', () => {
  it('serves the page at / and under /admin with a strict CSP, never cached', async () => {
    for (const p of ['/', '/admin', '/admin/experiments/abc/audit']) {
      const r = await api.req('GET', p, { token: null });
      expect(r.status).toBe(200);
      expect(r.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(r.headers.get('content-security-policy')).toBe(WEB_UI_CSP);
      expect(r.headers.get('cache-control')).toBe('no-cache');
      expect(r.headers.get('x-content-type-options')).toBe('nosniff');
      expect(r.headers.get('x-frame-options')).toBe('DENY');
      expect(r.text).toContain(`<script type="module" src="/${manifest.entry}"></script>`);
      expect(r.text).toContain(`<link rel="stylesheet" href="/${manifest.css}">`);
    }
  });

  it('serves hashed assets for a year with their content type; anything else under /assets is 404', async () => {
    const js = await api.req('GET', `/${manifest.entry}`, { token: null });
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(js.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(js.text).toBe(fs.readFileSync(path.join(dist, manifest.entry), 'utf8'));
    const css = await api.req('GET', `/${manifest.css}`, { token: null });
    expect(css.headers.get('content-type')).toBe('text/css; charset=utf-8');
    for (const bad of ['/assets/nope-ABC.js', '/assets/..%2Fmanifest.json', '/assets/%2e%2e%2fmanifest.json', '/assets/.hidden.js', '/assets/main.exe']) {
      const r = await api.req('GET', bad, { token: null });
      expect(r.status).toBe(404);
      expect(r.text).not.toContain('sourceHash');
    }
  });

  it('leaves the API as it was: JSON answers, JSON 404s outside the UI’s pages', async () => {
    expect((await api.req('GET', '/healthz', { token: null })).json).toMatchObject({ ok: true });
    const r = await api.req('GET', '/favicon.ico', { token: null });
    expect(r.status).toBe(404);
    expect(r.json.error.code).toBe('NOT_FOUND');
    expect((await api.req('GET', '/api/v1/me', { token: null })).status).toBe(401);
  });

  it('answers 503 with how to build it when there is no bundle, and serves no UI when told not to', async () => {
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'hone-web-empty-'));
    const none = await createTestApi('web_ui_none', { config: { webDistDir: empty } });
    const off = await createTestApi('web_ui_off', { config: { webDistDir: null } });
    try {
      const r = await none.req('GET', '/', { token: null });
      expect(r.status).toBe(503);
      expect(r.text).toContain('npm run build:web');
      const o = await off.req('GET', '/', { token: null });
      expect(o.status).toBe(404);
      expect(o.json.error.code).toBe('NOT_FOUND');
    } finally {
      await none.close();
      await off.close();
      fs.rmSync(empty, { recursive: true, force: true });
    }
  });
});
