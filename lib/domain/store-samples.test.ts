import { createDb, type Db } from '../db';
import { createTestDatabase, type TestDatabase } from '../../test/test-database';
import { createExperiment } from './create-experiment';
import { registerArtifact } from './register-artifact';
import { storeSamples, type StoreSamplesInput } from './store-samples';
import { labelingSnapshot, sha } from './test-support';

let tdb: TestDatabase;
let db: Db;
let experimentId: string;
let policy: string;
beforeAll(async () => {
  tdb = await createTestDatabase('samples');
  db = createDb(tdb.url, { poolSize: 6 });
  experimentId = (await createExperiment(db, { specYaml: 'name: samples\n', createdBy: 'test' })).experiment.id;
  policy = (await registerArtifact(db, { key: 'p0', uri: 'file:///p0', sha256: sha('p0'), bytes: 1, kind: 'policy', createdBy: 'test' })).artifact.id;
});
afterAll(async () => {
  await db.$disconnect();
  await tdb.drop();
});

const items = (n: number, k = 3, tag = '') =>
  Array.from({ length: n }, (_, i) => ({
    prompt: { key: `train/${i}`, text: `prompt ${i}` },
    completions: Array.from({ length: k }, (_, j) => ({ text: `c${j}${tag}`, tokens: [1, 2, 3].slice(0, j + 1), logprob: -j, policyArtifactId: policy })),
  }));

describe('storeSamples', () => {
  it('stores prompts and K completions each, and a retry with the same key writes nothing more', async () => {
    const input: StoreSamplesInput = { experimentId, roundIndex: 0, items: items(5), idempotencyKey: 'wf/r0/generate-samples', actor: 'workflow:wf' };
    const first = await storeSamples(db, input);
    expect(first).toMatchObject({ prompts: 5, samples: 15, completionsPerPrompt: 3, replayed: false, roundIndex: 0 });
    const before = await labelingSnapshot(db);
    expect(await storeSamples(db, input)).toEqual({ ...first, replayed: true });
    expect(await labelingSnapshot(db)).toEqual(before);
    const round = await db.round.findUniqueOrThrow({ where: { id: first.roundId } });
    expect(round).toMatchObject({ status: 'pending', index: 1, policyArtifactId: policy });
    expect((await db.sample.findMany({ where: { roundId: round.id }, orderBy: [{ promptId: 'asc' }, { index: 'asc' }] })).map((s) => s.tokenCount).slice(0, 3)).toEqual([1, 2, 3]);
  });

  it('settles concurrent retries of one step on one write', async () => {
    const input: StoreSamplesInput = { experimentId, roundIndex: 1, items: items(4), idempotencyKey: 'wf/r1/generate-samples', actor: 'workflow:wf' };
    const results = await Promise.all(Array.from({ length: 5 }, () => storeSamples(db, input)));
    expect(results.filter((r) => !r.replayed)).toHaveLength(1);
    expect(await db.sample.count({ where: { roundId: results[0].roundId } })).toBe(12);
    // The same prompts in a second round are the same Prompt rows.
    expect(await db.prompt.count({ where: { experimentId } })).toBe(5);
  });

  it.each([
    ['the same key with other samples', () => ({ roundIndex: 0, items: items(5, 3, 'x'), idempotencyKey: 'wf/r0/generate-samples' }), 'CONFLICT', /different samples.store request/],
    ['a second sampling of a round', () => ({ roundIndex: 0, items: items(5), idempotencyKey: 'wf/r0/other' }), 'CONFLICT', /already has samples/],
    ['a prompt key with other text', () => ({ roundIndex: 2, items: [{ ...items(1)[0], prompt: { key: 'train/0', text: 'changed' } }], idempotencyKey: 'k-text' }), 'CONFLICT', /different text/],
    ['uneven K', () => ({ roundIndex: 3, items: [...items(1, 3), ...items(1, 2).map((x) => ({ ...x, prompt: { key: 'other', text: 'o' } }))], idempotencyKey: 'k-k' }), 'VALIDATION_FAILED', /same K/],
    ['K = 1', () => ({ roundIndex: 3, items: items(1, 1), idempotencyKey: 'k-1' }), 'VALIDATION_FAILED', /completions/],
    ['a repeated prompt', () => ({ roundIndex: 3, items: [...items(1), ...items(1)], idempotencyKey: 'k-rep' }), 'VALIDATION_FAILED', /appears twice/],
    ['an unknown policy', () => ({ roundIndex: 3, items: items(1).map((x) => ({ ...x, completions: x.completions.map((c) => ({ ...c, policyArtifactId: 'nope' })) })), idempotencyKey: 'k-pol' }), 'NOT_FOUND', /policy artifact nope/],
    ['an unknown experiment', () => ({ experimentId: 'nope', roundIndex: 0, items: items(1), idempotencyKey: 'k-exp' }), 'NOT_FOUND', /experiment nope/],
  ])('refuses %s, writing nothing', async (_name, patch, code, message) => {
    const before = await labelingSnapshot(db);
    await expect(storeSamples(db, { experimentId, actor: 'workflow:wf', ...patch() } as StoreSamplesInput)).rejects.toMatchObject({ code, message: expect.stringMatching(message) });
    expect(await labelingSnapshot(db)).toEqual(before);
  });
});
