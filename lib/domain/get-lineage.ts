import type { Db } from '../db';
import { AppError } from '../errors';
import { artifactView, type ArtifactView } from './views';

export interface LineageEdge {
  childId: string;
  parentId: string;
  role: string;
}

export interface Lineage {
  /** The artifact asked about. */
  rootId: string;
  /** It and every ancestor, nearest first (by depth, then id). */
  nodes: (ArtifactView & { depth: number })[];
  /** child → parent edges among `nodes`. */
  edges: LineageEdge[];
  /** true when ancestors beyond `maxDepth` were left out. */
  truncated: boolean;
}

/**
 * The ancestor graph of an artifact: everything it was (transitively) made from, e.g. policy₂ ← PPO ← reward
 * model ← rankings' samples ← policy₁ ← SFT. One recursive query; a DAG, so shared ancestors appear once.
 */
export async function getLineage(db: Db, artifactId: string, opts: { maxDepth?: number } = {}): Promise<Lineage> {
  const maxDepth = opts.maxDepth ?? 64;
  const root = await db.artifact.findUnique({ where: { id: artifactId } });
  if (!root) throw new AppError('NOT_FOUND', `artifact ${artifactId} not found`, { artifactId });
  const rows = await db.$queryRaw<{ id: string; depth: number }[]>`
    WITH RECURSIVE up(id, depth) AS (
      SELECT ${artifactId}::text, 0
      UNION
      SELECT e."parentId", up.depth + 1 FROM up JOIN "ArtifactEdge" e ON e."childId" = up.id WHERE up.depth < ${maxDepth + 1}
    )
    SELECT id, min(depth)::int AS depth FROM up GROUP BY id`;
  const truncated = rows.some((r) => r.depth > maxDepth);
  const kept = rows.filter((r) => r.depth <= maxDepth);
  const depthOf = new Map(kept.map((r) => [r.id, r.depth]));
  const ids = [...depthOf.keys()];
  const [artifacts, edges] = await Promise.all([
    db.artifact.findMany({ where: { id: { in: ids } }, include: { parents: true } }),
    db.artifactEdge.findMany({ where: { childId: { in: ids } } }),
  ]);
  const nodes = artifacts
    .map((a) => ({ ...artifactView(a, a.parents.map((p) => ({ artifactId: p.parentId, role: p.role }))), depth: depthOf.get(a.id) ?? 0 }))
    .sort((x, y) => x.depth - y.depth || (x.id < y.id ? -1 : 1));
  return {
    rootId: artifactId,
    nodes,
    edges: edges
      .filter((e) => depthOf.has(e.parentId))
      .map((e) => ({ childId: e.childId, parentId: e.parentId, role: e.role }))
      .sort((x, y) => (x.childId + x.parentId + x.role < y.childId + y.parentId + y.role ? -1 : 1)),
    truncated,
  };
}
