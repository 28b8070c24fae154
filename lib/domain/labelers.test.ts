import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { hashToken } from '../auth';
import { createDb, type Db } from '../db';
import { createTestDatabase, type TestDatabase } from '../../test/test-database';
import { authenticate } from './authenticate';
import { claimNextTask } from './claim-next-task';
import { createLabeler } from './create-labeler';
import { disableLabeler } from './disable-labeler';
import { ensureAdminToken } from './ensure-admin-token';
import { listLabelers } from './list-labelers';
import { rotateToken } from './rotate-token';
import { submitRanking } from './submit-ranking';
import { labelingSnapshot, orderingBySampleIndex, seedLabelingRound } from './test-support';

let tdb: TestDatabase;
let db: Db;
beforeAll(async () => {
  tdb = await createTestDatabase('labelers');
  db = createDb(tdb.url, { poolSize: 4 });
});
afterAll(async () => {
  await db.$disconnect();
  await tdb.drop();
});

describe('createLabeler and authenticate', () => {
  it('returns a hone_ token once and stores only its sha256', async () => {
    const { labeler, token } = await createLabeler(db, { name: 'ada', role: 'labeler', scopes: '*', actor: 'cli' });
    expect(token).toMatch(/^hone_[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(token.slice(5), 'base64url')).toHaveLength(32);
    expect(labeler).toMatchObject({ name: 'ada', role: 'labeler', disabled: false, scope: '*', tokenPrefix: token.slice(0, 12) });
    const rows = await db.apiToken.findMany({ where: { labelerId: labeler.id } });
    expect(rows).toHaveLength(1);
    expect(rows[0].tokenHash).toBe(hashToken(token));
    // The token appears nowhere in the database.
    const dump = JSON.stringify(await db.$queryRawUnsafe(`SELECT (SELECT json_agg(t) FROM "ApiToken" t) a, (SELECT json_agg(e) FROM "AuditEvent" e) b, (SELECT json_agg(l) FROM "Labeler" l) c`));
    expect(dump).not.toContain(token);
    expect(dump).not.toContain(token.slice(5));
    expect(await authenticate(db, token)).toMatchObject({ labelerId: labeler.id, name: 'ada', role: 'labeler', scope: '*' });
  });

  it('updates lastUsedAt at most once a minute', async () => {
    const { token, labeler } = await createLabeler(db, { name: 'lastused', role: 'labeler', actor: 'cli' });
    const t0 = new Date('2030-01-01T00:00:00Z');
    await authenticate(db, token, { now: t0 });
    await authenticate(db, token, { now: new Date(t0.getTime() + 30_000) });
    expect((await db.apiToken.findFirstOrThrow({ where: { labelerId: labeler.id } })).lastUsedAt).toEqual(t0);
    await authenticate(db, token, { now: new Date(t0.getTime() + 61_000) });
    expect((await db.apiToken.findFirstOrThrow({ where: { labelerId: labeler.id } })).lastUsedAt).toEqual(new Date(t0.getTime() + 61_000));
  });

  it.each([
    ['an empty token', '', /malformed/],
    ['a wrong prefix', `tok_${'a'.repeat(43)}`, /malformed/],
    ['a short token', 'hone_abc', /malformed/],
    ['an unknown token', `hone_${'a'.repeat(43)}`, /unknown API token/],
    ["SQL in a token", "hone_' OR 1=1 --aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", /malformed/],
  ])('refuses %s as UNAUTHENTICATED', async (_name, token, message) => {
    await expect(authenticate(db, token)).rejects.toMatchObject({ code: 'UNAUTHENTICATED', message: expect.stringMatching(message) });
  });

  it('refuses duplicate names, bad names and unknown scoped experiments', async () => {
    await createLabeler(db, { name: 'dup', role: 'labeler', actor: 'cli' });
    const before = await labelingSnapshot(db);
    await expect(createLabeler(db, { name: 'dup', role: 'labeler', actor: 'cli' })).rejects.toMatchObject({ code: 'CONFLICT', message: 'a labeler named "dup" exists already' });
    await expect(createLabeler(db, { name: '  ', role: 'labeler', actor: 'cli' })).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    await expect(createLabeler(db, { name: 'a\u0000b', role: 'labeler', actor: 'cli' })).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    await expect(createLabeler(db, { name: 'x', role: 'boss' as never, actor: 'cli' })).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    await expect(createLabeler(db, { name: 'scoped', role: 'labeler', scopes: ['nope'], actor: 'cli' })).rejects.toMatchObject({ code: 'NOT_FOUND', message: 'scoped experiment nope not found' });
    expect(await labelingSnapshot(db)).toEqual(before);
  });
});

describe('rotateToken and disableLabeler', () => {
  it('rotating revokes the old token and keeps the scope', async () => {
    const r = await seedLabelingRound(db, { prompts: 1 });
    const first = await createLabeler(db, { name: 'rot', role: 'labeler', scopes: [r.experimentId], actor: 'cli' });
    const second = await rotateToken(db, { labelerId: first.labeler.id, actor: 'cli' });
    expect(second.token).not.toBe(first.token);
    await expect(authenticate(db, first.token)).rejects.toMatchObject({ code: 'UNAUTHENTICATED', message: expect.stringContaining('was revoked') });
    expect(await authenticate(db, second.token)).toMatchObject({ scope: [r.experimentId] });
  });

  it('disabling revokes tokens, returns held tasks to the pool, keeps rankings, and spares the last admin', async () => {
    const r = await seedLabelingRound(db, { prompts: 2 });
    const l = await createLabeler(db, { name: 'leaver', role: 'labeler', actor: 'cli' });
    const t1 = (await claimNextTask(db, { labelerId: l.labeler.id, experimentId: r.experimentId }))!;
    await submitRanking(db, { taskId: t1.taskId, labelerId: l.labeler.id, ordering: orderingBySampleIndex(t1.samples), quality: 5, flags: { followsInstruction: true, hallucination: false, harmful: false } });
    const t2 = (await claimNextTask(db, { labelerId: l.labeler.id, experimentId: r.experimentId }))!;
    const v = await disableLabeler(db, { labelerId: l.labeler.id, actor: 'cli', reason: 'left the project' });
    expect(v.disabled).toBe(true);
    await expect(authenticate(db, l.token)).rejects.toMatchObject({ code: 'UNAUTHENTICATED', message: expect.stringMatching(/revoked|disabled/) });
    expect(await db.taskAssignment.findFirstOrThrow({ where: { taskId: t2.taskId } })).toMatchObject({ status: 'released' });
    expect(await db.rankingTask.findUniqueOrThrow({ where: { id: t2.taskId } })).toMatchObject({ assignedLabels: 0, status: 'open' });
    expect(await db.ranking.count({ where: { labelerId: l.labeler.id } })).toBe(1);
    await expect(claimNextTask(db, { labelerId: l.labeler.id })).rejects.toMatchObject({ code: 'FORBIDDEN' });
    const before = await labelingSnapshot(db);
    expect((await disableLabeler(db, { labelerId: l.labeler.id, actor: 'cli' })).disabled).toBe(true);
    expect(await labelingSnapshot(db)).toEqual(before);
    await expect(rotateToken(db, { labelerId: l.labeler.id, actor: 'cli' })).rejects.toMatchObject({ code: 'INVALID_STATE' });

    const admin = await createLabeler(db, { name: 'root-admin', role: 'admin', actor: 'cli' });
    const admins = await db.labeler.findMany({ where: { role: 'admin', disabled: false } });
    for (const a of admins.filter((x) => x.id !== admin.labeler.id)) await disableLabeler(db, { labelerId: a.id, actor: 'cli' });
    await expect(disableLabeler(db, { labelerId: admin.labeler.id, actor: 'cli' })).rejects.toMatchObject({ code: 'INVALID_STATE', message: expect.stringContaining('last enabled admin') });
  });

  it('lists labelers with throughput and agreement statistics', async () => {
    const r = await seedLabelingRound(db, { prompts: 3, overlap: 1 });
    const a = await createLabeler(db, { name: 'stat-a', role: 'labeler', actor: 'cli' });
    const b = await createLabeler(db, { name: 'stat-b', role: 'labeler', actor: 'cli' });
    for (const l of [a, b]) {
      for (;;) {
        const t = await claimNextTask(db, { labelerId: l.labeler.id, experimentId: r.experimentId });
        if (!t) break;
        await submitRanking(db, { taskId: t.taskId, labelerId: l.labeler.id, ordering: orderingBySampleIndex(t.samples), quality: 5, flags: { followsInstruction: true, hallucination: false, harmful: false } });
      }
    }
    const list = await listLabelers(db, { experimentId: r.experimentId });
    const sa = list.find((x) => x.name === 'stat-a')!;
    expect(sa.stats).toMatchObject({ rankings: 3, activeAssignments: 0, agreement: 1, agreementPairs: 18 });
    expect(list.find((x) => x.name === 'ada')?.stats.rankings).toBe(0);
  });
});

describe('ensureAdminToken', () => {
  it('creates an admin and a 0600 token file once, keeps it, and replaces it when it stops working', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hone-admin-'));
    try {
      const first = await ensureAdminToken(db, path.join(dir, 'data'));
      expect(first.created).toBe(true);
      const file = path.join(dir, 'data', 'admin-token');
      expect(fs.statSync(file).mode & 0o777).toBe(0o600);
      const token = fs.readFileSync(file, 'utf8').trim();
      expect(await authenticate(db, token)).toMatchObject({ role: 'admin', labelerId: first.labelerId });
      expect(await ensureAdminToken(db, path.join(dir, 'data'))).toEqual({ ...first, created: false });
      await rotateToken(db, { labelerId: first.labelerId, actor: 'test' }); // the file's token is now revoked
      const third = await ensureAdminToken(db, path.join(dir, 'data'));
      expect(third).toMatchObject({ created: true, labelerId: first.labelerId });
      expect(fs.readFileSync(file, 'utf8').trim()).not.toBe(token);
      expect(fs.readdirSync(path.join(dir, 'data'))).toEqual(['admin-token']);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
