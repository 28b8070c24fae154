/**
 * Builds the web UI (apps/web/src) into apps/web/dist with esbuild: one ES-module entry with code splitting (the
 * admin view and chart.js load only on /admin), a stylesheet, an index.html that names the hashed files, and
 * manifest.json recording the hash of the sources it was built from.
 *
 * `ensureWebBundle()` rebuilds only when the bundle is missing or its recorded source hash differs from the sources
 * on disk (≈ 1 ms to check, ≈ 0.3 s to build); the server calls it at start and the e2e setup before the browser
 * tests. Writes are file-by-file renames with the manifest last, so concurrent builders (parallel jest workers,
 * two servers) never leave a half-written bundle behind: every builder writes identical, content-hashed files.
 *
 * `tsx apps/web/build.ts` (= `npm run build:web`) builds unconditionally and prints one JSON line.
 */
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

const WEB_DIR = __dirname;
/** The UI sources. */
export const WEB_SRC_DIR = path.join(WEB_DIR, 'src');
/** Where the bundle goes (git-ignored). */
export const WEB_DIST_DIR = path.join(WEB_DIR, 'dist');
const MANIFEST = 'manifest.json';
/** Bump when the output layout changes, so an old bundle counts as stale. */
const LAYOUT_VERSION = 1;

/** What a build produced, as recorded in dist/manifest.json. */
export interface WebBundleManifest {
  layout: number;
  /** sha256 of the sources and the bundler settings it was built from. */
  sourceHash: string;
  builtAt: string;
  /** Paths relative to the dist folder. */
  entry: string;
  css: string;
  files: string[];
}

export type WebBundleState = 'fresh' | 'stale' | 'missing' | 'prebuilt';

function listFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...listFiles(p));
    else if (e.isFile() && !/\.test\.tsx?$/.test(e.name)) out.push(p);
  }
  return out.sort();
}

/** Hash of everything that determines the bundle: sources, this build script, and the UI libraries' versions. */
export function webSourceHash(): string {
  const h = createHash('sha256');
  h.update(`layout ${LAYOUT_VERSION}\n`);
  for (const file of [...listFiles(WEB_SRC_DIR), __filename.replace(/\.js$/, '.ts')]) {
    if (!fs.existsSync(file)) continue;
    h.update(`${path.relative(WEB_DIR, file)}\n`);
    h.update(fs.readFileSync(file));
  }
  // The versions the project pins (package.json), not what happens to be installed: an image that pruned its dev
  // dependencies after building still counts its bundle as fresh.
  const pkg = JSON.parse(fs.readFileSync(path.join(WEB_DIR, '..', '..', 'package.json'), 'utf8')) as { dependencies?: Record<string, string>; devDependencies?: Record<string, string> };
  for (const lib of ['preact', 'chart.js', 'esbuild']) h.update(`${lib}@${pkg.dependencies?.[lib] ?? pkg.devDependencies?.[lib] ?? 'unpinned'}\n`);
  return h.digest('hex');
}

/** The manifest of the bundle in `distDir`, or undefined when there is no complete bundle. */
export function readWebManifest(distDir = WEB_DIST_DIR): WebBundleManifest | undefined {
  try {
    const m = JSON.parse(fs.readFileSync(path.join(distDir, MANIFEST), 'utf8')) as WebBundleManifest;
    if (m.layout !== LAYOUT_VERSION || !m.files.every((f) => fs.existsSync(path.join(distDir, f)))) return undefined;
    return m;
  } catch {
    return undefined;
  }
}

/** Whether the bundle in `distDir` matches the sources (`prebuilt`: a bundle without sources, e.g. in an image). */
export function webBundleState(distDir = WEB_DIST_DIR): WebBundleState {
  const m = readWebManifest(distDir);
  if (!fs.existsSync(WEB_SRC_DIR)) return m ? 'prebuilt' : 'missing';
  if (!m) return 'missing';
  return m.sourceHash === webSourceHash() ? 'fresh' : 'stale';
}

function writeAtomic(file: string, contents: string | Uint8Array): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  fs.writeFileSync(tmp, contents);
  fs.renameSync(tmp, file);
}

const FAVICON =
  "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 32 32'%3E%3Crect width='32' height='32' rx='7' fill='%231f4e79'/%3E%3Cpath d='M9 24V8h3v6.2c.9-1.3 2.3-2 4-2 3 0 4.9 2 4.9 5.3V24h-3v-6.1c0-2-1-3.1-2.7-3.1-1.9 0-3.2 1.3-3.2 3.6V24z' fill='%23fff'/%3E%3C/svg%3E";

function indexHtml(entry: string, css: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light">
<title>hone</title>
<link rel="icon" href="${FAVICON}">
<link rel="stylesheet" href="/${css}">
<script type="module" src="/${entry}"></script>
</head>
<body>
<div id="app"></div>
<noscript>hone's web UI needs JavaScript.</noscript>
</body>
</html>
`;
}

/** Builds the bundle into `outDir` (default apps/web/dist) and returns its manifest. */
export async function buildWebBundle(opts: { outDir?: string; minify?: boolean } = {}): Promise<WebBundleManifest> {
  const outDir = opts.outDir ?? WEB_DIST_DIR;
  // Loaded lazily: esbuild is a build-time dependency; a prebuilt bundle is served without it. (require, not import():
  // jest runs this file in a VM without native dynamic import.)
  const esbuild = require('esbuild') as typeof import('esbuild');
  const sourceHash = webSourceHash();
  const result = await esbuild.build({
    entryPoints: { main: path.join(WEB_SRC_DIR, 'main.tsx') },
    outdir: path.join(outDir, 'assets'),
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'browser',
    target: ['chrome111', 'firefox115', 'safari16.4'],
    jsx: 'automatic',
    jsxImportSource: 'preact',
    minify: opts.minify ?? true,
    sourcemap: 'linked',
    entryNames: '[name]-[hash]',
    chunkNames: '[name]-[hash]',
    assetNames: '[name]-[hash]',
    metafile: true,
    write: false,
    legalComments: 'linked',
    define: { 'process.env.NODE_ENV': '"production"' },
    logLevel: 'silent',
    tsconfig: path.join(WEB_DIR, 'tsconfig.json'),
    absWorkingDir: WEB_DIR,
  });
  if (result.errors.length > 0) throw new Error(`web bundle failed: ${result.errors.map((e) => e.text).join('; ')}`);
  const files: string[] = [];
  let entry = '';
  let css = '';
  for (const f of result.outputFiles) {
    const rel = path.relative(outDir, f.path).split(path.sep).join('/');
    writeAtomic(f.path, f.contents);
    files.push(rel);
    // The static entry (dynamic imports are entry points too, under their own names).
    const meta = result.metafile.outputs[path.relative(WEB_DIR, f.path).split(path.sep).join('/')];
    if (meta?.entryPoint === 'src/main.tsx' && rel.endsWith('.js')) entry = rel;
    if (/^assets\/main-[^/]+\.css$/.test(rel)) css = rel;
  }
  if (!entry || !css) throw new Error(`web bundle: entry or stylesheet missing in the output (${files.join(', ')})`);
  writeAtomic(path.join(outDir, 'index.html'), indexHtml(entry, css));
  files.push('index.html');
  const manifest: WebBundleManifest = { layout: LAYOUT_VERSION, sourceHash, builtAt: new Date().toISOString(), entry, css, files: files.sort() };
  writeAtomic(path.join(outDir, MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`);
  pruneAssets(outDir, new Set(files));
  return manifest;
}

/** Removes hashed files of earlier builds (an hour old or more, so a page loaded just before a rebuild still works). */
function pruneAssets(outDir: string, keep: Set<string>): void {
  const assets = path.join(outDir, 'assets');
  const cutoff = Date.now() - 3_600_000;
  for (const name of fs.existsSync(assets) ? fs.readdirSync(assets) : []) {
    const rel = `assets/${name}`;
    const p = path.join(assets, name);
    try {
      if (!keep.has(rel) && fs.statSync(p).mtimeMs < cutoff) fs.rmSync(p, { force: true });
    } catch {
      // another builder removed it
    }
  }
}

/** Builds the bundle when it is missing or stale; returns whether it built and the manifest now in place. */
export async function ensureWebBundle(opts: { outDir?: string } = {}): Promise<{ built: boolean; state: WebBundleState; manifest: WebBundleManifest }> {
  const outDir = opts.outDir ?? WEB_DIST_DIR;
  const state = webBundleState(outDir);
  if (state === 'fresh' || state === 'prebuilt') return { built: false, state, manifest: readWebManifest(outDir) as WebBundleManifest };
  if (!fs.existsSync(WEB_SRC_DIR)) throw new Error(`the web UI is not built (${outDir} has no bundle) and its sources (${WEB_SRC_DIR}) are absent`);
  return { built: true, state, manifest: await buildWebBundle({ outDir }) };
}

if (require.main === module) {
  const started = performance.now();
  buildWebBundle()
    .then((m) => {
      const bytes = Object.fromEntries(m.files.filter((f) => /\.(js|css)$/.test(f)).map((f) => [f, fs.statSync(path.join(WEB_DIST_DIR, f)).size]));
      console.log(JSON.stringify({ built: true, ms: Math.round(performance.now() - started), entry: m.entry, css: m.css, bytes }));
    })
    .catch((e: unknown) => {
      console.error(e instanceof Error ? e.message : e);
      process.exit(1);
    });
}
