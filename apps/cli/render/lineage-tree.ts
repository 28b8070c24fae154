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
 * `(↑ shown above)` instead of being repeated.
 */
export function renderLineageTree(artifacts: ArtifactRow[], edges: { childId: string; parentId: string; role: string }[]): string[] {
  const byId = new Map(artifacts.map((a) => [a.id, a]));
  const parentsOf = new Map<string, { parentId: string; role: string }[]>();
  const isParent = new Set<string>();
  for (const e of edges) {
    parentsOf.set(e.childId, [...(parentsOf.get(e.childId) ?? []), { parentId: e.parentId, role: e.role }]);
    isParent.add(e.parentId);
  }
  // Checkpoints are internal states of a training step; keep them out of the roots (they show under their policy).
  const roots = artifacts.filter((a) => !isParent.has(a.id));
  const shown = new Set<string>();
  const lines: string[] = [];
  const label = (a: ArtifactRow | undefined, id: string) =>
    a ? `${a.kind} ${a.key} · ${a.id.slice(0, 8)}… · sha256 ${a.sha256.slice(0, 12)} · ${formatBytes(Number(a.bytes))}` : `${id} (outside this experiment)`;
  const visit = (id: string, prefix: string, role: string | undefined, last: boolean, depth: number) => {
    const a = byId.get(id);
    const branch = depth === 0 ? '' : last ? '└─ ' : '├─ ';
    const again = shown.has(id);
    lines.push(`${prefix}${branch}${role ? `${role}: ` : ''}${label(a, id)}${again ? ' (↑ shown above)' : ''}`);
    if (again) return;
    shown.add(id);
    const ps = parentsOf.get(id) ?? [];
    const childPrefix = depth === 0 ? '' : prefix + (last ? '   ' : '│  ');
    ps.forEach((p, i) => visit(p.parentId, childPrefix, p.role, i === ps.length - 1, depth + 1));
  };
  for (const r of roots) visit(r.id, '', undefined, true, 0);
  return lines;
}
