import type { ExperimentDetail } from '../api-types';
import { JSON_FLAG, numberFlag, parseCommand, positiveInt } from '../cli-args';
import { adminApi, apiUrl, type CliContext } from '../cli-context';
import { UsageError } from '../cli-error';
import { progressBar } from '../render/progress-bar';
import { runSimulatedLabelers, type LabelerEvent } from '../simulated-labelers';

const USAGE = 'hone label --simulate [--experiment id] [--labelers N] [--noise 0.1] [--seed n] [--json]';
const FINISHED = new Set(['completed', 'failed', 'cancelled']);

/**
 * A stderr reporter for labeler events: problems as they happen and, with `progress`, a line whenever a round's
 * completed tasks pass another tenth (or the round completes).
 */
export function labelerEventPrinter(say: (line: string) => void, progress = true): (e: LabelerEvent) => void {
  const shown = new Map<number, number>();
  return (e) => {
    if (e.type === 'submitted') {
      if (!progress) return;
      const tenth = Math.floor((10 * e.completedTasks) / Math.max(1, e.taskCount));
      if (tenth > (shown.get(e.roundIndex) ?? -1)) {
        shown.set(e.roundIndex, tenth);
        say(`labeling round ${e.roundIndex + 1}: ${progressBar(e.completedTasks, e.taskCount)} tasks complete`);
      }
    } else if (e.type === 'api-unreachable') say(`${e.labeler}: API not answering (${e.error}); retrying with back-off`);
    else if (e.type === 'api-back') say(`${e.labeler}: API back after ${(e.afterMs / 1000).toFixed(1)} s`);
    else if (e.type === 'skipped') say(`${e.labeler}: skipped task ${e.taskId}: ${e.reason}`);
  };
}

/** `hone label --simulate`: simulated labelers through the HTTP API, until the experiment ends (or Ctrl-C). */
export async function labelCommand(ctx: CliContext, argv: string[]): Promise<number> {
  const { values } = parseCommand(
    argv,
    { ...JSON_FLAG, simulate: { type: 'boolean' }, experiment: { type: 'string' }, labelers: { type: 'string' }, noise: { type: 'string' }, seed: { type: 'string' } },
    { min: 0, max: 0 },
    USAGE,
  );
  if (!values.simulate) throw new UsageError(`people label in the web UI at ${apiUrl(ctx)}/ with a labeler token (\`hone labelers create <name>\`); \`hone label --simulate\` runs simulated labelers\nusage: ${USAGE}`);
  const api = adminApi(ctx);
  let simulated: { labelers?: number; noise?: number } = {};
  let seed = 1;
  if (values.experiment) {
    const d = await api.get<ExperimentDetail>(`/api/v1/experiments/${encodeURIComponent(values.experiment)}`);
    simulated = ((d.experiment.spec.labeling as { simulated?: { labelers: number; noise: number } } | undefined)?.simulated ?? {}) as typeof simulated;
    seed = d.experiment.seed;
  }
  const labelers = positiveInt(values.labelers, '--labelers', simulated.labelers ?? 3);
  const noise = numberFlag(values.noise, '--noise', simulated.noise ?? 0.1, 0, 0.49);
  if (values.seed !== undefined) seed = positiveInt(values.seed, '--seed');

  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const say = (l: string) => ctx.stderr(`${l}\n`);
  say(`${labelers} simulated labeler(s), noise ${noise}, against ${api.baseUrl}${values.experiment ? ` for experiment ${values.experiment}` : ' for every experiment'}; Ctrl-C stops`);
  try {
    const experimentId = values.experiment;
    const result = await runSimulatedLabelers({
      api,
      experimentId,
      labelers,
      noise,
      seed,
      signal: stop.signal,
      isDone: experimentId ? async () => FINISHED.has((await api.get<ExperimentDetail>(`/api/v1/experiments/${encodeURIComponent(experimentId)}`)).experiment.status) : undefined,
      onEvent: labelerEventPrinter(say),
    });
    if (values.json) ctx.stdout(`${JSON.stringify(result)}\n`);
    else ctx.stdout(`submitted ${result.submitted} rankings (${result.replayed} replayed, ${result.skipped} skipped, ${result.retries} retried requests)\n`);
    return 0;
  } finally {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  }
}
