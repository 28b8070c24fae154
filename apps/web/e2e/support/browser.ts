/**
 * Debian's Chromium driven by playwright-core (never a browser download): headless, sandbox off (CI runs as root),
 * no background traffic, a fresh profile per launch. Screenshots go to .hone/screenshots/ (git-ignored).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { projectRoot } from '../../../../lib/services/project-root';

export const CHROMIUM_FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

/** Where the tests save screenshots: `$HONE_SCREENSHOTS_DIR`, else `<repo>/.hone/screenshots`. */
export const SCREENSHOT_DIR = path.resolve(process.env.HONE_SCREENSHOTS_DIR || path.join(projectRoot(), '.hone', 'screenshots'));

export function chromiumPath(): string {
  const p = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
  if (!fs.existsSync(p)) {
    throw new Error(`Chromium not found at ${p}: install Debian's package (apt-get install -y chromium, as root) or set CHROMIUM_PATH. Browsers are never downloaded.`);
  }
  return p;
}

export interface BrowserSession {
  context: BrowserContext;
  page: Page;
  /** Saves a screenshot of the window (1280×800), or of the whole page, as `<name>.png`; returns its path. */
  screenshot(name: string, opts?: { fullPage?: boolean; page?: Page }): Promise<string>;
  close(): Promise<void>;
}

/** A fresh browser profile at a laptop-sized window (1280×800), console errors collected into `errors`. */
export async function openBrowser(errors: string[] = []): Promise<BrowserSession> {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'hone-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath(),
    headless: true,
    args: CHROMIUM_FLAGS,
    viewport: { width: 1280, height: 800 },
    deviceScaleFactor: 1,
    locale: 'en-US',
    timezoneId: 'UTC',
  });
  context.setDefaultTimeout(20_000);
  const page = context.pages()[0] ?? (await context.newPage());
  const watch = (p: Page) => {
    // Failed requests are logged by the browser itself; the tests provoke some (401s, a cut connection) on purpose.
    p.on('console', (m) => m.type() === 'error' && !m.text().startsWith('Failed to load resource') && errors.push(`console: ${m.text()}`));
    p.on('pageerror', (e) => errors.push(`page error: ${e.message}`));
  };
  watch(page);
  context.on('page', watch);
  fs.mkdirSync(SCREENSHOT_DIR, { recursive: true });
  return {
    context,
    page,
    async screenshot(name, opts = {}) {
      const file = path.join(SCREENSHOT_DIR, `${name}.png`);
      await (opts.page ?? page).screenshot({ path: file, fullPage: opts.fullPage ?? false });
      return file;
    },
    async close() {
      await context.close().catch(() => undefined);
      fs.rmSync(profile, { recursive: true, force: true });
    },
  };
}
