import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { resolveTool, type ToolSpec } from './resolve-tool';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hone-resolve-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** A real executable that prints a version line, standing in for a tool. */
function fakeTool(dir: string, name: string, version: string, exitCode = 0): string {
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, name);
  fs.writeFileSync(file, `#!/bin/sh\necho "faketool version ${version}"\nexit ${exitCode}\n`, { mode: 0o755 });
  return file;
}

function spec(cacheDir: string, fetchers: ToolSpec['fetchers'] = []): ToolSpec {
  return {
    name: 'Fake tool',
    id: 'faketool',
    envVar: 'FAKETOOL',
    pathCommand: 'faketool',
    versionArgs: ['--version'],
    parseVersion: (out) => /faketool version (\S+)/.exec(out)?.[1],
    rejectPathVersion: (v) => (v === '2.0' ? undefined : `reports version ${v}, need 2.0`),
    cacheDir,
    cached: [{ path: path.join(cacheDir, 'faketool-2.0', 'faketool'), version: '2.0' }],
    fetchers,
    fixHint: 'Fix: install faketool.',
  };
}

const quiet = { log: () => undefined };

describe('resolveTool', () => {
  it('prefers the explicit variable, then PATH, then the cache', async () => {
    const root = path.join(tmp, 'order');
    const explicit = fakeTool(path.join(root, 'explicit'), 'faketool', '9.9');
    const onPath = fakeTool(path.join(root, 'bin'), 'faketool', '2.0');
    const s = spec(path.join(root, 'cache'));
    fakeTool(path.dirname(s.cached[0].path), 'faketool', '2.0');
    expect(await resolveTool(s, { ...quiet, env: { FAKETOOL: explicit, PATH: path.join(root, 'bin') } })).toEqual({ path: explicit, source: 'env', version: '9.9' });
    expect(await resolveTool(s, { ...quiet, env: { PATH: path.join(root, 'bin') } })).toEqual({ path: onPath, source: 'path', version: '2.0' });
    expect(await resolveTool(s, { ...quiet, env: { PATH: '/nonexistent' } })).toEqual({ path: s.cached[0].path, source: 'cache', version: '2.0' });
  });

  it('skips a PATH tool of the wrong version', async () => {
    const root = path.join(tmp, 'version');
    fakeTool(path.join(root, 'bin'), 'faketool', '1.0');
    const s = spec(path.join(root, 'cache'));
    fakeTool(path.dirname(s.cached[0].path), 'faketool', '2.0');
    expect((await resolveTool(s, { ...quiet, env: { PATH: path.join(root, 'bin') } })).source).toBe('cache');
  });

  it('fails at once when the explicit variable points at something broken', async () => {
    const root = path.join(tmp, 'broken');
    const broken = fakeTool(path.join(root, 'x'), 'faketool', '2.0', 3);
    await expect(resolveTool(spec(path.join(root, 'cache')), { ...quiet, env: { FAKETOOL: broken } })).rejects.toThrow(/\$FAKETOOL=.* does not point at a working Fake tool/);
    await expect(resolveTool(spec(path.join(root, 'cache')), { ...quiet, env: { FAKETOOL: path.join(root, 'missing') } })).rejects.toThrow(/not an executable file/);
  });

  it('fetches into the cache atomically and reuses it', async () => {
    const root = path.join(tmp, 'fetch');
    const s = spec(path.join(root, 'cache'));
    let calls = 0;
    s.fetchers = [
      {
        source: 'go',
        describe: 'fake build',
        target: s.cached[0].path,
        fetch: async (tmpDir) => {
          calls++;
          await new Promise((r) => setTimeout(r, 200)); // long enough for the other resolvers to queue on the lock
          return fakeTool(tmpDir, 'faketool', '2.0');
        },
      },
    ];
    const env = { PATH: '/nonexistent' };
    const all = await Promise.all([resolveTool(s, { ...quiet, env }), resolveTool(s, { ...quiet, env }), resolveTool(s, { ...quiet, env })]);
    expect(calls).toBe(1);
    expect(new Set(all.map((r) => r.path))).toEqual(new Set([s.cached[0].path]));
    expect(all.filter((r) => r.source === 'go')).toHaveLength(1);
    // no temp folders or lock left behind
    expect(fs.readdirSync(s.cacheDir).sort()).toEqual(['faketool-2.0']);
    expect((await resolveTool(s, { ...quiet, env })).source).toBe('cache');
    expect(calls).toBe(1);
  });

  it('falls through failing fetchers and names every source tried', async () => {
    const root = path.join(tmp, 'fail');
    const s = spec(path.join(root, 'cache'), [
      { source: 'pypi', describe: 'PyPI wheel faketool==2.0', target: path.join(root, 'cache', 'a', 'faketool'), fetch: () => Promise.reject(new Error('index unreachable')) },
      { source: 'go', describe: 'go install faketool@v2', target: path.join(root, 'cache', 'b', 'faketool'), fetch: () => Promise.reject(new Error('no go toolchain')) },
    ]);
    const err = await resolveTool(s, { ...quiet, env: { PATH: '/nonexistent' } }).catch((e: Error & { code?: string }) => e);
    expect(err).toMatchObject({ code: 'DEPENDENCY_UNAVAILABLE' });
    const msg = (err as Error).message;
    for (const part of ['$FAKETOOL: not set', 'PATH: no `faketool`', 'cache: nothing usable', 'PyPI wheel faketool==2.0: index unreachable', 'go install faketool@v2: no go toolchain', 'Fix: install faketool.']) {
      expect(msg).toContain(part);
    }
  });

  it('does not fetch when told not to', async () => {
    const root = path.join(tmp, 'nofetch');
    const s = spec(path.join(root, 'cache'), [{ source: 'go', describe: 'x', target: path.join(root, 'cache', 'x'), fetch: () => Promise.reject(new Error('must not run')) }]);
    await expect(resolveTool(s, { ...quiet, fetch: false, env: { PATH: '' } })).rejects.toThrow(/fetching: disabled by the caller/);
  });
});
