/**
 * The deployment files are not run on the development machines (no Docker engine, no cluster), so this test keeps
 * them honest against the code: they parse, they only use commands the CLI has and variables the code reads,
 * their images are pinned, published ports stay on loopback, and the Dockerfile runs scripts that exist.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseAllDocuments, parse } from 'yaml';
import { HELP } from '../apps/cli/help';
import { DEV_SERVER_DYNAMIC_CONFIG } from '../lib/services/temporal-dev-server';

const root = path.resolve(__dirname, '..');
const read = (f: string) => fs.readFileSync(path.join(root, f), 'utf8');

/** Every .ts source outside node_modules/tests, concatenated: a variable the code reads appears in it literally. */
const sources = (() => {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      if (['node_modules', 'generated', 'dist', '.hone', '.cache', '__fixtures__'].includes(e.name)) continue;
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (p.endsWith('.ts') && !p.endsWith('.test.ts')) out.push(fs.readFileSync(p, 'utf8'));
    }
  };
  for (const d of ['lib', 'apps', 'activities', 'engine']) walk(path.join(root, d));
  return out.join('\n');
})();

/** Variables that belong to third-party images (Postgres, Temporal, Temporal UI), not to hone. */
const THIRD_PARTY = new Set(['POSTGRES_USER', 'POSTGRES_PASSWORD', 'POSTGRES_DB', 'POSTGRES_PWD', 'POSTGRES_SEEDS', 'DB', 'DB_PORT', 'TEMPORAL_ADDRESS_UI']);

const compose = parse(read('deploy/compose.yaml')) as {
  services: Record<string, { image?: string; command?: string[]; environment?: Record<string, string>; ports?: string[] }>;
};
const k8sDocs = parseAllDocuments(read('deploy/k8s/hone.yaml')).map((d) => {
  expect(d.errors).toEqual([]);
  return d.toJS() as Record<string, any>;
});
const honeServices = Object.entries(compose.services).filter(([, s]) => s.image?.startsWith('hone:'));

function k8sContainers(): Array<{ name: string; image: string; args?: string[]; env?: Array<{ name: string }> }> {
  return k8sDocs.filter((d) => d.spec?.template?.spec?.containers).flatMap((d) => d.spec.template.spec.containers);
}

describe('deploy/', () => {
  it('parses every YAML file', () => {
    expect(Object.keys(compose.services)).toEqual(expect.arrayContaining(['postgres', 'temporal', 's3', 'migrate', 'api', 'worker-control', 'worker-train']));
    expect(k8sDocs.map((d) => `${d.kind}/${d.metadata.name}`)).toEqual(
      expect.arrayContaining(['ConfigMap/hone-config', 'Job/hone-migrate', 'Deployment/hone-api', 'Deployment/hone-worker-control', 'Deployment/hone-worker-train-cpu']),
    );
    const helm = parse(read('deploy/helm/temporal-values.yaml')) as any;
    expect(helm.server.config.persistence.default.sql.driver).toBe('postgres12');
    expect(helm.server.config.persistence.visibility.sql.driver).toBe('postgres12');
  });

  it('runs only commands the hone CLI has', () => {
    const commands = [...honeServices.map(([, s]) => s.command?.[0]), ...k8sContainers().filter((c) => c.image.includes('/hone:')).map((c) => c.args?.[0])];
    expect(commands.length).toBeGreaterThanOrEqual(7);
    for (const c of commands) expect(HELP).toMatch(new RegExp(`^  ${c}\\b`, 'm'));
  });

  it('sets only variables that hone reads (or that belong to third-party images)', () => {
    const names = new Set<string>();
    for (const [, s] of honeServices) Object.keys(s.environment ?? {}).forEach((n) => names.add(n));
    for (const d of k8sDocs) if (d.kind === 'ConfigMap') Object.keys(d.data).forEach((n) => names.add(n));
    for (const c of k8sContainers()) (c.env ?? []).forEach((e) => names.add(e.name));
    expect(names.size).toBeGreaterThan(10);
    const unknown = [...names].filter((n) => !THIRD_PARTY.has(n) && !sources.includes(n));
    expect(unknown).toEqual([]);
  });

  it('pins every image and publishes ports on loopback only', () => {
    for (const [name, s] of Object.entries(compose.services)) {
      expect({ name, image: s.image }).toEqual({ name, image: expect.stringMatching(/^[^:]+:[0-9][\w.-]*$/) });
      for (const p of s.ports ?? []) expect({ name, port: p }).toEqual({ name, port: expect.stringMatching(/^127\.0\.0\.1:/) });
    }
    for (const c of k8sContainers()) expect(c.image).toMatch(/:[0-9][\w.-]*$/);
  });

  it("gives the deployed Temporal servers the embedded dev server's dynamic config", () => {
    const expected = Object.fromEntries(Object.entries(DEV_SERVER_DYNAMIC_CONFIG).map(([k, v]) => [k, [{ value: v }]]));
    expect(parse(read('deploy/temporal-dynamic-config.yaml'))).toEqual(expected);
    const helm = parse(read('deploy/helm/temporal-values.yaml')) as any;
    expect(helm.server.dynamicConfig).toEqual(expected);
    // compose mounts the file where the auto-setup image reads DYNAMIC_CONFIG_FILE_PATH (relative to /etc/temporal)
    const temporal = compose.services.temporal as any;
    const mount = (temporal.volumes as string[]).find((v) => v.startsWith('./temporal-dynamic-config.yaml:'));
    expect(mount).toBeDefined();
    expect(mount!.split(':')[1]).toBe(`/etc/temporal/${temporal.environment.DYNAMIC_CONFIG_FILE_PATH}`);
  });

  it('builds the image with the offline-safe install and runs npm scripts that exist', () => {
    const dockerfile = read('deploy/Dockerfile');
    const scripts = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts;
    expect(dockerfile).toMatch(/ONNXRUNTIME_NODE_INSTALL=skip/);
    expect(dockerfile).toMatch(/npm ci/);
    const used = [...dockerfile.matchAll(/npm run ([\w:-]+)/g)].map((m) => m[1]);
    expect(used).toEqual(expect.arrayContaining(['build:workflows', 'build:web']));
    for (const s of used) expect(Object.keys(scripts)).toContain(s);
    for (const f of [...dockerfile.matchAll(/^COPY (?!--from)(?:--\S+ )*(\S+)/gm)].map((m) => m[1]).filter((f) => f !== '.')) {
      expect(fs.existsSync(path.join(root, f))).toBe(true);
    }
  });
});
