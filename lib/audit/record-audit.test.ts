import { createDb, type Db } from '../db';
import { createTestDatabase, type TestDatabase } from '../../test/test-database';
import { recordAudit } from './record-audit';

describe('recordAudit', () => {
  let tdb: TestDatabase;
  let db: Db;

  beforeAll(async () => {
    tdb = await createTestDatabase('audit');
    db = createDb(tdb.url, { poolSize: 3 });
  });
  afterAll(async () => {
    await db.$disconnect();
    await tdb.drop();
  });

  it('commits the event together with the change it records', async () => {
    const labeler = await db.$transaction(async (tx) => {
      const l = await tx.labeler.create({ data: { name: 'grace' } });
      await recordAudit(tx, { actor: 'cli', action: 'labeler.created', subject: { type: 'labeler', id: l.id }, data: { name: 'grace' } });
      return l;
    });
    const events = await db.auditEvent.findMany({ where: { subjectId: labeler.id } });
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ actor: 'cli', action: 'labeler.created', subjectType: 'labeler', data: { name: 'grace' }, experimentId: null });
    expect(typeof events[0].id).toBe('bigint');
  });

  it('rolls the event back with a failed change', async () => {
    let createdId = '';
    await expect(
      db.$transaction(async (tx) => {
        const l = await tx.labeler.create({ data: { name: 'linus' } });
        createdId = l.id;
        await recordAudit(tx, { actor: 'cli', action: 'labeler.created', subject: { type: 'labeler', id: l.id } });
        await tx.labeler.create({ data: { name: 'linus' } }); // unique violation
      }),
    ).rejects.toThrow();
    expect(await db.labeler.count({ where: { name: 'linus' } })).toBe(0);
    expect(createdId).not.toBe('');
    expect(await db.auditEvent.count({ where: { subjectId: createdId } })).toBe(0);
  });

  it('orders events by insertion', async () => {
    for (const action of ['round.opened', 'round.paused', 'round.closed']) {
      await db.$transaction((tx) => recordAudit(tx, { actor: 'system', action, subject: { type: 'round', id: 'r1' } }));
    }
    const events = await db.auditEvent.findMany({ where: { subjectId: 'r1' }, orderBy: { id: 'asc' } });
    expect(events.map((e) => e.action)).toEqual(['round.opened', 'round.paused', 'round.closed']);
  });

  it.each([
    ['no actor', { actor: ' ', action: 'a.b', subject: { type: 't', id: '1' } }, 'VALIDATION_FAILED'],
    ['an undotted action', { actor: 'cli', action: 'closed', subject: { type: 't', id: '1' } }, 'VALIDATION_FAILED'],
    ['an uppercase action', { actor: 'cli', action: 'Round.Closed', subject: { type: 't', id: '1' } }, 'VALIDATION_FAILED'],
    ['no subject id', { actor: 'cli', action: 'a.b', subject: { type: 't', id: '' } }, 'VALIDATION_FAILED'],
    ['a payload as data', { actor: 'cli', action: 'a.b', subject: { type: 't', id: '1' }, data: { blob: 'x'.repeat(20_000) } }, 'PAYLOAD_TOO_LARGE'],
  ])('rejects %s', async (_name, event, code) => {
    await expect(db.$transaction((tx) => recordAudit(tx, event))).rejects.toMatchObject({ code });
  });

  describe('append-only guard in the database', () => {
    let id: bigint;
    beforeAll(async () => {
      id = (await db.$transaction((tx) => recordAudit(tx, { actor: 'system', action: 'experiment.launched', subject: { type: 'experiment', id: 'e1' } }))).id;
    });

    it('rejects UPDATE through the client', async () => {
      await expect(db.auditEvent.update({ where: { id }, data: { actor: 'mallory' } })).rejects.toThrow(/append-only/);
    });

    it('rejects UPDATE and DELETE in raw SQL', async () => {
      await expect(db.$executeRawUnsafe(`UPDATE "AuditEvent" SET actor = 'mallory' WHERE id = ${id}`)).rejects.toThrow(/append-only: UPDATE/);
      await expect(db.$executeRawUnsafe(`DELETE FROM "AuditEvent" WHERE id = ${id}`)).rejects.toThrow(/append-only: DELETE/);
      await expect(db.auditEvent.deleteMany({})).rejects.toThrow(/append-only/);
    });

    it('rejects TRUNCATE', async () => {
      await expect(db.$executeRawUnsafe('TRUNCATE "AuditEvent"')).rejects.toThrow(/append-only: TRUNCATE/);
    });

    it('leaves the row as it was', async () => {
      expect(await db.auditEvent.findUnique({ where: { id } })).toMatchObject({ actor: 'system', action: 'experiment.launched' });
    });
  });
});
