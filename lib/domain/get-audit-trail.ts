import type { Db } from '../db';
import { AppError } from '../errors';
import type { LineageEdge } from './get-lineage';
import { artifactView, experimentView, type ArtifactView, type ExperimentView } from './views';

export interface AuditEntry {
  /** Insertion order (bigint in the database). */
  id: bigint;
  at: Date;
  /** `labeler:<id>`, `workflow:<id>`, `system`, `cli`, … */
  actor: string;
  /** The labeler's name when the actor is a labeler. */
  actorName: string | null;
  action: string;
  subject: { type: string; id: string };
  data: unknown;
}

export interface AuditTrail {
  experiment: ExperimentView;
  /** Oldest first. */
  events: AuditEntry[];
  /** Pass as `afterId` for the next page; null on the last page. */
  nextAfterId: bigint | null;
  /** The experiment's artifacts with their lineage edges (parents outside the experiment included). */
  artifacts: ArtifactView[];
  edges: LineageEdge[];
}

/**
 * An experiment's timeline: who did what when (status changes, rounds, samples, every ranking and assignment,
 * artifacts), oldest first and paged by event id, plus its artifacts and their lineage edges.
 */
export async function getAuditTrail(db: Db, experimentId: string, opts: { afterId?: bigint; limit?: number } = {}): Promise<AuditTrail> {
  const limit = opts.limit ?? 1000;
  if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) throw new AppError('VALIDATION_FAILED', `limit must be an integer 1–10000 (got ${limit})`);
  const exp = await db.experiment.findUnique({ where: { id: experimentId } });
  if (!exp) throw new AppError('NOT_FOUND', `experiment ${experimentId} not found`, { experimentId });
  const [rows, artifacts] = await Promise.all([
    db.auditEvent.findMany({ where: { experimentId, ...(opts.afterId !== undefined ? { id: { gt: opts.afterId } } : {}) }, orderBy: { id: 'asc' }, take: limit + 1 }),
    db.artifact.findMany({ where: { experimentId }, include: { parents: true }, orderBy: { createdAt: 'asc' } }),
  ]);
  const page = rows.slice(0, limit);
  const labelerIds = [...new Set(page.map((e) => /^labeler:(.+)$/.exec(e.actor)?.[1]).filter((x): x is string => !!x))];
  const names = new Map((await db.labeler.findMany({ where: { id: { in: labelerIds } }, select: { id: true, name: true } })).map((l) => [l.id, l.name]));
  return {
    experiment: experimentView(exp),
    events: page.map((e) => ({
      id: e.id,
      at: e.at,
      actor: e.actor,
      actorName: names.get(/^labeler:(.+)$/.exec(e.actor)?.[1] ?? '') ?? null,
      action: e.action,
      subject: { type: e.subjectType, id: e.subjectId },
      data: e.data,
    })),
    nextAfterId: rows.length > limit ? page[page.length - 1].id : null,
    artifacts: artifacts.map((a) => artifactView(a, a.parents.map((p) => ({ artifactId: p.parentId, role: p.role })))),
    edges: artifacts.flatMap((a) => a.parents.map((p) => ({ childId: a.id, parentId: p.parentId, role: p.role }))),
  };
}
