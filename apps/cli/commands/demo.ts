import path from 'node:path';
import { projectRoot } from '../../../lib/services';
import { ApiClient } from '../api-client';
import type { ExperimentDetail, ExperimentRow, MetricRow } from '../api-types';
import { numberFlag, parseCommand, positiveInt } from '../cli-args';
import { adminToken, apiUrl, stackOf, type CliContext } from '../cli-context';
import { num, progressBar, formatDuration } from '../render/progress-bar';
import { lastEvaluation } from '../render/status-view';
import { runSimulatedLabelers } from '../simulated-labelers';
import { startStack, type RunningStack } from '../start-stack';
import { labelerEventPrinter } from './label';
import { readSpecFile } from './run';
import { STACK_OPTIONS, describeStack, stackFlags } from './up';

const USAGE = 'hone demo [--spec specs/demo.yaml] [--labelers N] [--noise 0.1] [--keep-running] [up flags]';
const FINISHED = new Set(['completed', 'failed', 'cancelled']);

/** The demo's closing line (stdout): what `npm run demo` promises. */
export interface DemoResult {
  experiment: string;
  status: ExperimentRow['status'];
  rounds: number;
  win_rate_vs_sft: number | null;
  win_rate_ci95: [number, number] | null;
  rm_heldout_acc: number | null;
  kl_mean_nats: number | null;
  wall_s: number;
}

/** One line of progress from an experiment's detail: phase, round, and the bar of whatever runs. */
function progressLine(d: ExperimentDetail): string {
  const l = d.live;
  if (!l) return `${d.experiment.status} (round ${d.experiment.currentRound}/${d.experiment.roundsPlanned})`;
  const p = l.progress;
  const bar = p.labels ? ` labels ${progressBar(p.labels.completedTasks, p.labels.quorum, 16)}` : p.training ? ` ${p.training.trainer} ${progressBar(p.training.done, p.training.total, 16)}` : '';
  return `round ${Math.max(l.round, 1)}/${l.roundsTotal} ${l.phase}${bar}`;
}

/**
 * `hone demo`: starts the stack (or uses the one `hone up` runs for this data folder), launches the built-in demo
 * spec, runs its simulated labelers through the HTTP API until the experiment ends, prints a summary and, last on
 * stdout, one JSON line `{"experiment", "status", "rounds", "win_rate_vs_sft", "wall_s", …}`.
 */
export async function demoCommand(ctx: CliContext, argv: string[]): Promise<number> {
  const started = Date.now();
  const { values } = parseCommand(
    argv,
    { ...STACK_OPTIONS, spec: { type: 'string' }, labelers: { type: 'string' }, noise: { type: 'string' }, 'keep-running': { type: 'boolean' }, 'poll-ms': { type: 'string' } },
    { min: 0, max: 0 },
    USAGE,
  );
  const say = (l: string) => ctx.stderr(`[hone demo] ${l}\n`);
  const specFile = values.spec ?? path.join(projectRoot(), 'specs', 'demo.yaml');
  const spec = readSpecFile(specFile);

  let stack: RunningStack | undefined;
  let apiBase: string;
  const running = stackOf(ctx);
  if (running) {
    // Its API may run in this `up` or on its own (`hone up --no-api` + `hone server`): ask the usual way.
    apiBase = apiUrl(ctx);
    say(`using the hone already running for ${ctx.config.dataDir} (API ${apiBase})`);
  } else {
    const flags = stackFlags(values);
    // A demo should not collide with anything else on the machine: any free ports unless told otherwise.
    const ports = { api: flags.ports.api ?? 0, temporal: flags.ports.temporal ?? 0, temporalUi: flags.ports.temporalUi ?? 0, postgres: flags.ports.postgres };
    stack = await startStack({ config: ctx.config, say, ...flags, api: true, ports });
    say(`stack is up:\n${describeStack(stack).join('\n')}`);
    apiBase = stack.apiUrl!;
  }

  const stop = new AbortController();
  const onSignal = () => {
    say('interrupted: stopping the labelers and the stack');
    stop.abort();
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const api = new ApiClient(apiBase, adminToken(ctx));
    const launched = await api.post<{ experiment: ExperimentRow }>('/api/v1/experiments', { spec: spec.yaml, start: true });
    const id = launched.experiment.id;
    say(`launched ${spec.name} from ${path.relative(process.cwd(), specFile) || specFile} as experiment ${id}`);
    const detail0 = await api.get<ExperimentDetail>(`/api/v1/experiments/${id}`);
    const sim = (detail0.experiment.spec.labeling as { simulated?: { labelers: number; noise: number } }).simulated;
    const labelers = positiveInt(values.labelers, '--labelers', sim?.labelers ?? 3);
    const noise = numberFlag(values.noise, '--noise', sim?.noise ?? 0.1, 0, 0.49);
    say(`${labelers} simulated labelers (noise ${noise}) label through ${apiBase}; progress below`);

    let status: ExperimentRow['status'] = launched.experiment.status;
    const isDone = async () => FINISHED.has((status = (await api.get<ExperimentDetail>(`/api/v1/experiments/${id}`)).experiment.status));
    const labeling = runSimulatedLabelers({ api, experimentId: id, labelers, noise, seed: detail0.experiment.seed, signal: stop.signal, isDone, pollMs: values['poll-ms'] ? positiveInt(values['poll-ms'], '--poll-ms') : 500, onEvent: labelerEventPrinter(say, false) });

    // Progress while it runs: one line whenever the phase or a bar changes.
    let last = '';
    let detail = detail0;
    while (!stop.signal.aborted) {
      detail = await api.get<ExperimentDetail>(`/api/v1/experiments/${id}`);
      status = detail.experiment.status;
      const line = progressLine(detail);
      if (line !== last) say(`${formatDuration(Date.now() - started).padStart(6)} ${line}`);
      last = line;
      if (FINISHED.has(status)) break;
      if (stack) await Promise.race([new Promise((r) => setTimeout(r, 2000)), stack.failure]);
      else await new Promise((r) => setTimeout(r, 2000));
    }
    const labeled = await labeling;
    const metrics = (await api.get<{ items: MetricRow[] }>(`/api/v1/experiments/${id}/metrics`)).items;
    const ev = lastEvaluation(metrics);
    const rounds = detail.experiment.rounds.filter((r) => r.status === 'closed').length;
    const value = (name: string, round: number) => metrics.find((m) => m.name === name && m.round === round)?.value ?? null;

    say(`experiment ${id} ${status} after ${formatDuration(Date.now() - started)}`);
    for (let r = 1; r <= Math.max(rounds, ev?.round ?? 0); r++) {
      say(
        `  round ${r}: ${num(value('labeling/rankings', r), 0)} rankings · RM held-out acc ${num(value('rm/heldout_acc', r))} · win rate vs SFT ${num(value('eval/win_rate', r))} ` +
          `[${num(value('eval/win_rate_ci95_lo', r))}, ${num(value('eval/win_rate_ci95_hi', r))}] · KL ${num(value('eval/kl_mean', r))} nats`,
      );
    }
    say(`  labelers: ${labeled.submitted} rankings submitted (${labeled.replayed} replays, ${labeled.skipped} skipped, ${labeled.retries} retried requests)`);
    if (detail.experiment.error) say(`  error: ${detail.experiment.error}`);
    say(`  the whole story: hone audit ${id}${stack && !values['keep-running'] ? '   (start `hone up` first: this demo stops its stack now)' : ''}`);

    const result: DemoResult = {
      experiment: id,
      status,
      rounds,
      win_rate_vs_sft: ev && Number.isFinite(ev.winRate) ? ev.winRate : null,
      win_rate_ci95: ev && Number.isFinite(ev.winRateCi95[0]) ? ev.winRateCi95 : null,
      rm_heldout_acc: ev ? value('rm/heldout_acc', ev.round) : null,
      kl_mean_nats: ev && Number.isFinite(ev.klMean) ? ev.klMean : null,
      wall_s: Math.round((Date.now() - started) / 100) / 10,
    };
    if (stack && values['keep-running'] && !stop.signal.aborted) {
      say('--keep-running: the stack stays up until Ctrl-C');
      await new Promise<void>((resolve) => stop.signal.addEventListener('abort', () => resolve(), { once: true }));
    }
    ctx.stdout(`${JSON.stringify(result)}\n`);
    return status === 'completed' ? 0 : 1;
  } finally {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
    stop.abort();
    if (stack) await stack.stop();
  }
}
