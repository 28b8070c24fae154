import fs from 'node:fs';
import path from 'node:path';

let cached: string | undefined;

/**
 * The repository root: the nearest ancestor of this file whose package.json is named "hone".
 * Found by walking up (not process.cwd()) so that tools resolve the same cache from any working directory.
 */
export function projectRoot(): string {
  if (cached) return cached;
  let dir = __dirname;
  for (;;) {
    const pkg = path.join(dir, 'package.json');
    if (fs.existsSync(pkg)) {
      try {
        if ((JSON.parse(fs.readFileSync(pkg, 'utf8')) as { name?: string }).name === 'hone') return (cached = dir);
      } catch {
        // an unreadable package.json further down (e.g. a fixture) is not the root: keep walking
      }
    }
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`projectRoot: no package.json named "hone" above ${__dirname}`);
    dir = parent;
  }
}

/**
 * Folder for fetched tools (Temporal CLI, S3 server): `$HONE_TOOLS_DIR`, else `<repo>/.cache/tools` (git-ignored).
 */
export function toolsCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return path.resolve(env.HONE_TOOLS_DIR || path.join(projectRoot(), '.cache', 'tools'));
}
