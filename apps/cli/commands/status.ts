import type { ApiClient } from '../api-client';
import type { ExperimentDetail, ExperimentRow, MetricRow } from '../api-types';
import { JSON_FLAG, numberFlag, parseCommand } from '../cli-args';
import { adminApi, type CliContext } from '../cli-context';
import { renderExperimentList, renderExperimentStatus } from '../render/status-view';

const USAGE = 'hone status [experiment-id] [--watch] [--interval seconds] [--json]';
const FINISHED = new Set(['completed', 'failed', 'cancelled']);

/** An experiment's detail and metrics in one call pair. */
export async function fetchStatus(api: ApiClient, id: string): Promise<{ detail: ExperimentDetail; metrics: MetricRow[] }> {
  const [detail, metrics] = await Promise.all([
    api.get<ExperimentDetail>(`/api/v1/experiments/${encodeURIComponent(id)}`),
    api.get<{ items: MetricRow[] }>(`/api/v1/experiments/${encodeURIComponent(id)}/metrics`).then((m) => m.items),
  ]);
  return { detail, metrics };
}

/** `hone status [id] [--watch]`: phase, round, progress bars for labeling and training, last metrics. */
export async function statusCommand(ctx: CliContext, argv: string[]): Promise<number> {
  const { values, positionals } = parseCommand(argv, { ...JSON_FLAG, watch: { type: 'boolean', short: 'w' }, interval: { type: 'string' } }, { min: 0, max: 1 }, USAGE);
  const api = adminApi(ctx);
  const intervalMs = numberFlag(values.interval, '--interval', 2, 0.2, 3600) * 1000;
  const id = positionals[0];
  for (let first = true; ; first = false) {
    let finished: boolean;
    if (id) {
      const { detail, metrics } = await fetchStatus(api, id);
      finished = FINISHED.has(detail.experiment.status);
      if (values.json) {
        const { specYaml: _y, spec: _s, ...experiment } = detail.experiment;
        ctx.stdout(`${JSON.stringify({ experiment, live: detail.live, temporalUiUrl: detail.temporalUiUrl, metrics })}\n`);
      } else {
        if (values.watch && ctx.interactive && !first) ctx.stdout('\x1b[H\x1b[2J');
        ctx.stdout(`${renderExperimentStatus(detail, metrics).join('\n')}\n`);
      }
    } else {
      const page = await api.get<{ items: ExperimentRow[] }>('/api/v1/experiments', { query: { limit: 50 } });
      finished = false;
      if (values.json) ctx.stdout(`${JSON.stringify(page)}\n`);
      else {
        if (values.watch && ctx.interactive && !first) ctx.stdout('\x1b[H\x1b[2J');
        ctx.stdout(`${renderExperimentList(page.items).join('\n')}\n`);
      }
    }
    if (!values.watch || finished) return 0;
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
