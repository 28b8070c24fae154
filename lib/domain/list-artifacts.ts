import type { Db } from '../db';
import { AppError } from '../errors';
import type { LineageEdge } from './get-lineage';
import { artifactView, type ArtifactView } from './views';

/** An experiment's artifacts, oldest first, with the lineage edges from each to its parents. */
export async function listArtifacts(db: Db, input: { experimentId: string; kind?: string }): Promise<{ items: ArtifactView[]; edges: LineageEdge[] }> {
  const exists = await db.experiment.count({ where: { id: input.experimentId } });
  if (!exists) throw new AppError('NOT_FOUND', `experiment ${input.experimentId} not found`, { experimentId: input.experimentId });
  const rows = await db.artifact.findMany({ where: { experimentId: input.experimentId, ...(input.kind ? { kind: input.kind } : {}) }, include: { parents: true }, orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] });
  return {
    items: rows.map((a) => artifactView(a, a.parents.map((p) => ({ artifactId: p.parentId, role: p.role })))),
    edges: rows.flatMap((a) => a.parents.map((p) => ({ childId: a.id, parentId: p.parentId, role: p.role }))),
  };
}
