import type { AuditEventRow, AuditTrailAnswer } from '../api-types';
import { JSON_FLAG, parseCommand } from '../cli-args';
import { adminApi, type CliContext } from '../cli-context';
import { renderLineageTree } from '../render/lineage-tree';
import { renderTimeline } from '../render/timeline';

const USAGE = 'hone audit <experiment-id> [--all] [--json]';

/** Every page of an experiment's audit trail. */
export async function fetchAuditTrail(ctx: CliContext, id: string): Promise<AuditTrailAnswer> {
  const api = adminApi(ctx);
  let first: AuditTrailAnswer | undefined;
  const events: AuditEventRow[] = [];
  let afterId: string | number | null | undefined;
  do {
    const page: AuditTrailAnswer = await api.get<AuditTrailAnswer>(`/api/v1/experiments/${encodeURIComponent(id)}/audit`, { query: { afterId: afterId ?? undefined, limit: 5000 } });
    first ??= page;
    events.push(...page.events);
    afterId = page.nextAfterId;
  } while (afterId !== null && afterId !== undefined);
  return { ...first, events, nextAfterId: null };
}

/** `hone audit <id>`: the timeline (who did what when) and the artifacts with their lineage as a tree. */
export async function auditCommand(ctx: CliContext, argv: string[]): Promise<number> {
  const { values, positionals } = parseCommand(argv, { ...JSON_FLAG, all: { type: 'boolean' } }, { min: 1, max: 1 }, USAGE);
  const trail = await fetchAuditTrail(ctx, positionals[0]);
  if (values.json) {
    ctx.stdout(`${JSON.stringify(trail)}\n`);
    return 0;
  }
  const e = trail.experiment;
  ctx.stdout(`${e.name} (${e.id}) — ${e.status}, ${trail.events.length} events, ${trail.artifacts.length} artifacts\n\n`);
  ctx.stdout(`Timeline\n${renderTimeline(trail.events, values.all).map((l) => `  ${l}`).join('\n')}\n\n`);
  ctx.stdout(`Artifacts and lineage (each artifact ← what it was made from)\n${renderLineageTree(trail.artifacts, trail.edges).map((l) => `  ${l}`).join('\n')}\n`);
  return 0;
}
