import { createDb, type Db } from '../db';
import { createTestDatabase, type TestDatabase } from '../../test/test-database';
import { getArtifact } from './get-artifact';
import { getLineage } from './get-lineage';
import { registerArtifact, type RegisterArtifactInput } from './register-artifact';
import { labelingSnapshot, sha } from './test-support';

let tdb: TestDatabase;
let db: Db;
beforeAll(async () => {
  tdb = await createTestDatabase('artifacts');
  db = createDb(tdb.url, { poolSize: 6 });
});
afterAll(async () => {
  await db.$disconnect();
  await tdb.drop();
});

const art = (key: string, extra: Partial<RegisterArtifactInput> = {}): RegisterArtifactInput => ({
  key,
  uri: `file:///data/${key}`,
  sha256: sha(key),
  bytes: 100,
  kind: 'policy',
  createdBy: 'test',
  ...extra,
});

describe('registerArtifact', () => {
  it('is idempotent by key: same content returns the row, different content is a CONFLICT', async () => {
    const a = await registerArtifact(db, art('wf/r0/sft', { metadata: { steps: 300 } }));
    expect(a.created).toBe(true);
    expect(a.artifact).toMatchObject({ key: 'wf/r0/sft', bytes: 100n, metadata: { steps: 300 }, parents: [] });
    const before = await labelingSnapshot(db);
    expect(await registerArtifact(db, art('wf/r0/sft'))).toMatchObject({ created: false, artifact: { id: a.artifact.id } });
    await expect(registerArtifact(db, art('wf/r0/sft', { sha256: sha('other') }))).rejects.toMatchObject({ code: 'CONFLICT', message: expect.stringContaining('different content') });
    await expect(registerArtifact(db, art('wf/r0/sft', { bytes: 101 }))).rejects.toMatchObject({ code: 'CONFLICT' });
    expect(await labelingSnapshot(db)).toEqual(before);
  });

  it('settles concurrent registrations of one key on one row', async () => {
    const results = await Promise.all(Array.from({ length: 8 }, () => registerArtifact(db, art('wf/r0/race'))));
    expect(new Set(results.map((r) => r.artifact.id)).size).toBe(1);
    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect(await db.artifact.count({ where: { key: 'wf/r0/race' } })).toBe(1);
  });

  it.each([
    ['a bad key', art('../etc/passwd'), 'VALIDATION_FAILED', /invalid artifact key/],
    ['a bad sha256', art('k1', { sha256: 'abc' }), 'VALIDATION_FAILED', /sha256: must be 64 lowercase hex/],
    ['negative bytes', art('k2', { bytes: -1 }), 'VALIDATION_FAILED', /bytes/],
    ['a bad kind', art('k3', { kind: 'Policy Model' }), 'VALIDATION_FAILED', /kind/],
    ['an http uri', art('k4', { uri: 'http://x/y' }), 'VALIDATION_FAILED', /uri/],
    ['a missing parent', art('k5', { parents: [{ artifactId: 'nope', role: 'init' }] }), 'NOT_FOUND', /parent artifact nope not found/],
    ['an unknown experiment', art('k6', { experimentId: 'nope' }), 'NOT_FOUND', /experiment nope not found/],
  ])('refuses %s', async (_name, input, code, message) => {
    const before = await labelingSnapshot(db);
    await expect(registerArtifact(db, input)).rejects.toMatchObject({ code, message: expect.stringMatching(message) });
    expect(await labelingSnapshot(db)).toEqual(before);
  });
});

describe('getLineage and getArtifact', () => {
  it('returns every ancestor once, nearest first, with the edges between them', async () => {
    // sft ← base;  rm ← sft;  samples ← sft;  policy1 ← sft (init), rm (reward_model), samples (data)
    const base = (await registerArtifact(db, art('lin/base'))).artifact;
    const sft = (await registerArtifact(db, art('lin/sft', { parents: [{ artifactId: base.id, role: 'init' }] }))).artifact;
    const rm = (await registerArtifact(db, art('lin/rm', { kind: 'reward_model', parents: [{ artifactId: sft.id, role: 'init' }] }))).artifact;
    const samples = (await registerArtifact(db, art('lin/samples', { kind: 'samples', parents: [{ artifactId: sft.id, role: 'policy' }] }))).artifact;
    const p1 = (
      await registerArtifact(db, art('lin/p1', { parents: [{ artifactId: sft.id, role: 'init' }, { artifactId: rm.id, role: 'reward_model' }, { artifactId: samples.id, role: 'data' }] }))
    ).artifact;
    const lin = await getLineage(db, p1.id);
    expect(lin.rootId).toBe(p1.id);
    expect(lin.nodes.map((n) => [n.key, n.depth])).toEqual(
      expect.arrayContaining([
        ['lin/p1', 0],
        ['lin/sft', 1],
        ['lin/rm', 1],
        ['lin/samples', 1],
        ['lin/base', 2],
      ]),
    );
    expect(lin.nodes).toHaveLength(5);
    expect(lin.nodes[0].id).toBe(p1.id);
    expect(lin.edges).toHaveLength(6);
    expect(lin.truncated).toBe(false);
    expect((await getLineage(db, p1.id, { maxDepth: 1 })).truncated).toBe(true);
    const detail = await getArtifact(db, sft.id);
    expect(detail.parents).toEqual([{ artifactId: base.id, role: 'init' }]);
    expect(detail.children.map((c) => c.role).sort()).toEqual(['init', 'init', 'policy']);
    await expect(getArtifact(db, 'missing')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(getLineage(db, 'missing')).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});
