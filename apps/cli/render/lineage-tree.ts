import type { ArtifactRow } from '../api-types';

/** Bytes as `812 B`, `3.4 KB`, `1.2 MB`. */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

/**
 * Artifacts and their lineage as a tree, from the newest things made (artifacts nothing else was made from: the
 * report, the final evaluation) down to what they were made from. A DAG: a node already printed is referenced as
 * `(↑)` instead of being repeated.
 */
export function renderLineageTree(artifacts: ArtifactRow[], edges: { childId: string; parentId: string; role: string }[]): string[] {
  const byId = new Map(artifacts.map((a) => [a.id, a]));
  const parentsOf = new Map<string, { parentId: string; role: string }[]>();
  const isParent = new Set<string>();
  for (const e of edges) {
    parentsOf.set(e.childId, [...(parentsOf.get(e.childId) ?? []), { parentId: e.parentId, role: e.role }]);
    isParent.add(e.parentId);
  }
  // The report first (its tree is the experiment's story), then the newest other loose ends.
  const rank = (a: ArtifactRow) => (a.kind === 'report' ? 0 : a.kind === 'evaluation' ? 1 : 2);
  const roots = artifacts.filter((a) => !isParent.has(a.id)).sort((a, b) => rank(a) - rank(b) || b.createdAt.localeCompare(a.createdAt));
  const shown = new Set<string>();
  const lines: string[] = [];
  const name = (a: ArtifactRow) => `${a.kind} ${a.key.replace(/^experiment-[0-9a-f-]+\//, '')}`;
  // uuid v7 ids start with their time, so the tail tells them apart.
  const label = (a: ArtifactRow | undefined, id: string) => (a ? `${name(a)}  [${a.id.slice(-8)} · sha256 ${a.sha256.slice(0, 12)} · ${formatBytes(Number(a.bytes))}]` : `${id} (outside this experiment)`);
  const visit = (id: string, prefix: string, role: string | undefined, last: boolean, depth: number) => {
    const a = byId.get(id);
    const branch = depth === 0 ? '' : last ? '└─ ' : '├─ ';
    const again = shown.has(id);
    lines.push(`${prefix}${branch}${role ? `${role}: ` : ''}${again && a ? `${name(a)} (↑)` : label(a, id)}`);
    if (again) return;
    shown.add(id);
    const ps = parentsOf.get(id) ?? [];
    const childPrefix = depth === 0 ? '' : prefix + (last ? '   ' : '│  ');
    ps.forEach((p, i) => visit(p.parentId, childPrefix, p.role, i === ps.length - 1, depth + 1));
  };
  for (const r of roots) visit(r.id, '', undefined, true, 0);
  return lines;
}
