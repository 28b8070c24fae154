import type { Db } from '../db';
import { AppError } from '../errors';
import { artifactView, type ArtifactParentRef, type ArtifactView } from './views';

export interface ArtifactDetailView extends ArtifactView {
  /** Artifacts made from this one. */
  children: { artifactId: string; role: string }[];
}

/** One artifact with its direct parents and children; NOT_FOUND if absent. */
export async function getArtifact(db: Db, artifactId: string): Promise<ArtifactDetailView> {
  const a = await db.artifact.findUnique({ where: { id: artifactId }, include: { parents: true, children: true } });
  if (!a) throw new AppError('NOT_FOUND', `artifact ${artifactId} not found`, { artifactId });
  const parents: ArtifactParentRef[] = a.parents.map((e) => ({ artifactId: e.parentId, role: e.role }));
  return { ...artifactView(a, parents), children: a.children.map((e) => ({ artifactId: e.childId, role: e.role })).sort((x, y) => (x.artifactId < y.artifactId ? -1 : 1)) };
}
