import { AppError } from '../errors';
import type { Tx } from '../db/create-db';
import type { AuditEvent, Prisma } from '../db/generated/client';

/** One audit event to record. */
export interface AuditEventInput {
  /** The experiment the change belongs to, if any (labeler changes have none). */
  experimentId?: string | null;
  /** Who did it: "labeler:<id>", "system", "workflow:<workflowId>", "cli", ... */
  actor: string;
  /** Dotted verb in lowercase, e.g. "experiment.launched", "ranking.submitted", "round.closed". */
  action: string;
  /** What it was done to. */
  subject: { type: string; id: string };
  /** Small JSON details (ids, counts, reasons) — never payloads such as completions or weights. */
  data?: Prisma.InputJsonObject;
}

const ACTION = /^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$/;
const MAX_DATA_BYTES = 16 * 1024;

/**
 * Appends an audit event. Call it with the transaction client inside the `db.$transaction(async (tx) => …)` that
 * makes the change, so the change and its record commit or roll back together. Rows can never be changed
 * afterwards: the database rejects UPDATE, DELETE and TRUNCATE on them (migration audit_append_only_and_checks).
 */
export async function recordAudit(tx: Tx, event: AuditEventInput): Promise<AuditEvent> {
  if (!event.actor?.trim()) throw new AppError('VALIDATION_FAILED', 'audit event needs an actor');
  if (!ACTION.test(event.action ?? '')) {
    throw new AppError('VALIDATION_FAILED', `audit action ${JSON.stringify(event.action)} must be a lowercase dotted verb such as "round.closed"`);
  }
  if (!event.subject?.type || !event.subject?.id) throw new AppError('VALIDATION_FAILED', 'audit event needs subject.type and subject.id');
  const data = event.data ?? {};
  const size = Buffer.byteLength(JSON.stringify(data));
  if (size > MAX_DATA_BYTES) {
    throw new AppError('PAYLOAD_TOO_LARGE', `audit data for ${event.action} is ${size} bytes; keep it under ${MAX_DATA_BYTES} (record ids, not payloads)`);
  }
  return tx.auditEvent.create({
    data: {
      experimentId: event.experimentId ?? null,
      actor: event.actor,
      action: event.action,
      subjectType: event.subject.type,
      subjectId: event.subject.id,
      data,
    },
  });
}
