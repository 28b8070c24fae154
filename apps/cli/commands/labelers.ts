import type { LabelerRow } from '../api-types';
import { JSON_FLAG, parseCommand } from '../cli-args';
import { adminApi, type CliContext } from '../cli-context';
import { CliError, UsageError } from '../cli-error';

const USAGE = [
  'hone labelers create <name> [--admin] [--experiment id]... [--json]   (the token is shown once)',
  'hone labelers list [--experiment id] [--json]',
  'hone labelers disable <id-or-name> [--reason text] [--json]',
].join('\n       ');

type ListedLabeler = LabelerRow & { scope: '*' | string[]; tokenPrefix: string | null; stats: { rankings: number; rankingsPerHour: number | null; agreement: number | null } };

/** `hone labelers create|list|disable`. */
export async function labelersCommand(ctx: CliContext, argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  const api = adminApi(ctx);
  switch (sub) {
    case 'create': {
      const { values, positionals } = parseCommand(rest, { ...JSON_FLAG, admin: { type: 'boolean' }, experiment: { type: 'string', multiple: true } }, { min: 1, max: 1 }, USAGE);
      if (values.admin && values.experiment) throw new UsageError('an admin is not scoped: give --admin or --experiment, not both');
      const r = await api.post<{ labeler: LabelerRow; token: string }>('/api/v1/labelers', { name: positionals[0], role: values.admin ? 'admin' : 'labeler', ...(values.experiment ? { scopes: values.experiment } : {}) });
      if (values.json) ctx.stdout(`${JSON.stringify(r)}\n`);
      else {
        ctx.stdout(`${r.token}\n`);
        ctx.stderr(`created ${r.labeler.role} ${r.labeler.name} (${r.labeler.id}); the token above is shown only now — hand it to them (sign in to the labeling UI with it)\n`);
      }
      return 0;
    }
    case 'list': {
      const { values } = parseCommand(rest, { ...JSON_FLAG, experiment: { type: 'string' } }, { min: 0, max: 0 }, USAGE);
      const r = await api.get<{ items: ListedLabeler[] }>('/api/v1/labelers', { query: { experimentId: values.experiment } });
      if (values.json) ctx.stdout(`${JSON.stringify(r)}\n`);
      else if (r.items.length === 0) ctx.stdout('no labelers\n');
      else {
        for (const l of r.items) {
          const scope = l.scope === '*' ? 'all experiments' : `${l.scope.length} experiment(s)`;
          const agree = l.stats.agreement === null ? '' : ` · agreement ${(l.stats.agreement * 100).toFixed(0)}%`;
          ctx.stdout(`${l.id}  ${l.name.padEnd(20)} ${l.role.padEnd(7)} ${l.disabled ? 'DISABLED ' : ''}${scope} · ${l.stats.rankings} rankings${agree}\n`);
        }
      }
      return 0;
    }
    case 'disable': {
      const { values, positionals } = parseCommand(rest, { ...JSON_FLAG, reason: { type: 'string' } }, { min: 1, max: 1 }, USAGE);
      const who = positionals[0];
      const all = await api.get<{ items: ListedLabeler[] }>('/api/v1/labelers');
      const found = all.items.filter((l) => l.id === who || l.name === who);
      if (found.length === 0) throw new CliError(`no labeler with id or name ${JSON.stringify(who)} (see \`hone labelers list\`)`);
      const r = await api.post<{ labeler: LabelerRow }>(`/api/v1/labelers/${encodeURIComponent(found[0].id)}/disable`, values.reason ? { reason: values.reason } : {});
      if (values.json) ctx.stdout(`${JSON.stringify(r)}\n`);
      else ctx.stdout(`disabled ${r.labeler.name} (${r.labeler.id}): tokens revoked, held tasks back to the pool, rankings kept\n`);
      return 0;
    }
    default:
      throw new UsageError(sub ? `unknown labelers command ${JSON.stringify(sub)}\nusage: ${USAGE}` : `usage: ${USAGE}`);
  }
}
