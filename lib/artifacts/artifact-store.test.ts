import { randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { testS3 } from '../../test/test-env';
import { sha256Hex, type ArtifactStore } from './artifact-store';
import { createArtifactStore } from './create-artifact-store';
import type { S3ArtifactStore } from './s3-artifact-store';

const tmpRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'hone-artifacts-'));
afterAll(() => fs.rmSync(tmpRoot, { recursive: true, force: true }));

/**
 * Each backend under test, with a fresh namespace per call so cases never see each other's keys.
 * `arbitratesRaces`: whether concurrent writers to one key are decided atomically (head-then-put, the fallback for
 * servers without conditional writes, cannot: its documented limit).
 */
const backends: [string, { make: () => ArtifactStore; arbitratesRaces: boolean }][] = [
  ['file', { make: () => createArtifactStore({ kind: 'file', root: path.join(tmpRoot, randomUUID()) }), arbitratesRaces: true }],
  ['s3 (if-none-match)', { make: () => createArtifactStore({ kind: 's3', bucket: 'hone-test', prefix: `run-${randomUUID()}`, ...testS3() }), arbitratesRaces: true }],
  [
    's3 (head-then-put)',
    { make: () => createArtifactStore({ kind: 's3', bucket: 'hone-test', prefix: `run-${randomUUID()}`, conditionalPut: 'head-then-put', ...testS3() }), arbitratesRaces: false },
  ],
];

const bytes = (s: string): Buffer => Buffer.from(s, 'utf8');

describe.each(backends)('ArtifactStore: %s', (_name, { make, arbitratesRaces }) => {
  let store: ArtifactStore;
  beforeEach(() => {
    store = make();
  });

  it('stores bytes under a key and reads them back with hash, size and metadata', async () => {
    const body = randomBytes(4096);
    const r = await store.put('exp-1/round-1/policy.safetensors', body, { contentType: 'application/x-safetensors', metadata: { step: '120', kind: 'policy' } });
    expect(r).toEqual({ uri: store.uriFor('exp-1/round-1/policy.safetensors'), key: 'exp-1/round-1/policy.safetensors', sha256: sha256Hex(body), bytes: 4096, created: true });
    expect(r.uri).toMatch(store.kind === 'file' ? /^file:\/\/\/.+\/exp-1\/round-1\/policy\.safetensors$/ : /^s3:\/\/hone-test\/run-[0-9a-f-]+\/exp-1\/round-1\/policy\.safetensors$/);
    expect((await store.get(r.uri)).equals(body)).toBe(true);
    expect(await store.head(r.uri)).toEqual({
      uri: r.uri,
      key: 'exp-1/round-1/policy.safetensors',
      sha256: sha256Hex(body),
      bytes: 4096,
      contentType: 'application/x-safetensors',
      metadata: { step: '120', kind: 'policy' },
    });
  });

  it('returns the existing object for the same key and bytes (a retried write)', async () => {
    const first = await store.put('a/samples.json', bytes('[1,2,3]'));
    const again = await store.put('a/samples.json', bytes('[1,2,3]'));
    expect(again).toEqual({ ...first, created: false });
  });

  it('refuses different bytes under an existing key and keeps the original', async () => {
    const first = await store.put('a/report.json', bytes('{"v":1}'));
    await expect(store.put('a/report.json', bytes('{"v":2}'))).rejects.toMatchObject({
      code: 'CONFLICT',
      details: { key: 'a/report.json', existingSha256: first.sha256, newSha256: sha256Hex(bytes('{"v":2}')) },
    });
    expect((await store.get(first.uri)).toString()).toBe('{"v":1}');
  });

  it('accepts concurrent identical writes, creating the object once where the backend can arbitrate', async () => {
    const body = randomBytes(64 * 1024);
    const results = await Promise.all(Array.from({ length: 6 }, () => store.put('race/same.bin', body)));
    const created = results.filter((r) => r.created).length;
    if (arbitratesRaces) expect(created).toBe(1);
    else expect(created).toBeGreaterThanOrEqual(1);
    expect(new Set(results.map((r) => r.uri)).size).toBe(1);
    expect((await store.get(results[0].uri)).equals(body)).toBe(true);
  });

  (arbitratesRaces ? it : it.skip)('lets only one of several racing different writes win', async () => {
    const bodies = Array.from({ length: 5 }, (_, i) => bytes(`candidate-${i}`));
    const settled = await Promise.allSettled(bodies.map((b) => store.put('race/diff.bin', b)));
    const won = settled.filter((s): s is PromiseFulfilledResult<Awaited<ReturnType<ArtifactStore['put']>>> => s.status === 'fulfilled');
    expect(won).toHaveLength(1);
    for (const s of settled) if (s.status === 'rejected') expect(s.reason).toMatchObject({ code: 'CONFLICT' });
    const stored = await store.get(won[0].value.uri);
    expect(stored.toString()).toBe(bodies.find((b) => sha256Hex(b) === won[0].value.sha256)!.toString());
  });

  it('stores an empty artifact', async () => {
    const r = await store.put('empty', Buffer.alloc(0));
    expect(r.bytes).toBe(0);
    expect((await store.get(r.uri)).length).toBe(0);
  });

  it('round-trips a 5 MiB artifact', async () => {
    const body = randomBytes(5 * 1024 * 1024);
    const r = await store.put('big/weights.bin', body);
    expect((await store.get(r.uri)).equals(body)).toBe(true);
  });

  it.each([
    ['empty', ''],
    ['absolute', '/abs'],
    ['empty segment', 'a//b'],
    ['parent escape', '../escape'],
    ['inner ..', 'a/../b'],
    ['.', 'a/./b'],
    ['hidden', '.hidden'],
    ['sidecar folder', 'a/.hone-meta/x'],
    ['space', 'sp ace'],
    ['non-ASCII', 'ü'],
    ['backslash', 'a\\b'],
    ['513 characters', 'x'.repeat(513)],
  ])(
    'rejects a key: %s',
    async (_label, key) => {
      await expect(store.put(key, bytes('x'))).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    },
  );

  it.each([
    ['uppercase key', { Upper: 'x' }],
    ['reserved key', { sha256: 'x' }],
    ['non-ASCII value', { note: 'naïve' }],
    ['over 2 KiB', { big: 'x'.repeat(3000) }],
  ])('rejects metadata: %s', async (_label, metadata) => {
    await expect(store.put('m', bytes('x'), { metadata })).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
  });

  it('reports a missing artifact as NOT_FOUND on get and undefined on head', async () => {
    const uri = store.uriFor('nothing/here');
    await expect(store.get(uri)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(await store.head(uri)).toBeUndefined();
  });

  it('refuses URIs of another store', async () => {
    await expect(store.get('s3://elsewhere/x')).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    await expect(store.get('file:///etc/passwd')).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
  });
});

describe('FileArtifactStore', () => {
  it('detects bytes changed behind its back', async () => {
    const root = path.join(tmpRoot, randomUUID());
    const store = createArtifactStore({ kind: 'file', root });
    const r = await store.put('x.bin', bytes('original'));
    fs.writeFileSync(path.join(root, 'x.bin'), 'tampered');
    await expect(store.get(r.uri)).rejects.toMatchObject({ code: 'INTERNAL' });
  });

  it('completes the metadata of an artifact whose writer died before writing it', async () => {
    const root = path.join(tmpRoot, randomUUID());
    const store = createArtifactStore({ kind: 'file', root });
    const r = await store.put('k/v.bin', bytes('payload'), { metadata: { step: '7' } });
    fs.rmSync(path.join(root, '.hone-meta', 'k', 'v.bin.json'));
    expect(await store.head(r.uri)).toMatchObject({ sha256: r.sha256, metadata: {} });
    expect(await store.put('k/v.bin', bytes('payload'), { metadata: { step: '7' } })).toMatchObject({ created: false });
    expect(await store.head(r.uri)).toMatchObject({ sha256: r.sha256, metadata: { step: '7' } });
  });

  it('leaves no temporary files behind', async () => {
    const root = path.join(tmpRoot, randomUUID());
    const store = createArtifactStore({ kind: 'file', root });
    await Promise.allSettled([store.put('d/y', bytes('1')), store.put('d/y', bytes('2')), store.put('d/y', bytes('1'))]);
    expect(fs.readdirSync(path.join(root, 'd'))).toEqual(['y']);
  });
});

describe('S3ArtifactStore', () => {
  it('creates its bucket on first use', async () => {
    const bucket = `hone-new-${randomBytes(4).toString('hex')}`;
    const store = createArtifactStore({ kind: 's3', bucket, ...testS3() });
    const r = await store.put('k', bytes('v'));
    expect(r.uri).toBe(`s3://${bucket}/k`);
  });

  it('detects that the server honours If-None-Match', async () => {
    const store = createArtifactStore({ kind: 's3', bucket: 'hone-test', prefix: `probe-${randomUUID()}`, ...testS3() }) as S3ArtifactStore;
    await store.put('k', bytes('v'));
    await expect((store as unknown as { conditionalMode(): Promise<string> }).conditionalMode()).resolves.toBe('if-none-match');
  });

  it('rejects an invalid bucket name in the configuration', () => {
    expect(() => createArtifactStore({ kind: 's3', bucket: 'Bad_Bucket', ...testS3() })).toThrow(/invalid S3 bucket name/);
  });
});
