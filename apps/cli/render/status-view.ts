import type { ExperimentDetail, ExperimentRow, MetricRow } from '../api-types';
import { formatDuration, num, progressBar } from './progress-bar';

/** The newest training step recorded for a round (per-iteration metrics), e.g. `{ trainer: 'ppo', step: 8 }`. */
export function latestTrainingStep(metrics: MetricRow[], roundNumber: number): { trainer: string; step: number; values: Record<string, number> } | undefined {
  let best: { trainer: string; step: number; values: Record<string, number> } | undefined;
  for (const m of metrics) {
    const match = /^(ppo|dpo)\/iter\/([a-z0-9_]+)$/.exec(m.name);
    if (!match || m.round !== roundNumber) continue;
    if (!best || m.step > best.step) best = { trainer: match[1], step: m.step, values: {} };
    if (m.step === best.step) best.values[match[2]] = m.value;
  }
  return best;
}

/** The status of one experiment as lines for a terminal. */
export function renderExperimentStatus(d: ExperimentDetail, metrics: MetricRow[], now = Date.now()): string[] {
  const e = d.experiment;
  const live = d.live;
  const lines: string[] = [];
  const phase = live ? live.phase : e.status;
  const round = live ? `round ${live.round}/${live.roundsTotal}` : `round ${e.currentRound}/${e.roundsPlanned}`;
  const flags = [live?.paused ? 'paused' : '', live?.cancelRequested ? 'cancel requested' : ''].filter(Boolean).join(', ');
  lines.push(`${e.name} (${e.id}) — ${e.status}; ${phase}, ${round}${flags ? ` [${flags}]` : ''}`);
  const since = e.startedAt ?? e.createdAt;
  const end = e.finishedAt ? Date.parse(e.finishedAt) : now;
  lines.push(`  ${e.finishedAt ? 'ran' : 'running for'} ${formatDuration(end - Date.parse(since))}${d.temporalUiUrl ? ` · ${d.temporalUiUrl}` : ''}`);
  if (e.error) lines.push(`  error: ${e.error}`);
  if (!live && d.liveError && !['completed', 'failed', 'cancelled'].includes(e.status)) lines.push(`  (${d.liveError})`);

  const labels = live?.progress.labels;
  if (labels) {
    lines.push(`  labeling  ${progressBar(labels.completedTasks, labels.quorum)} tasks of quorum ${labels.quorum} (of ${labels.taskCount}) · deadline in ${formatDuration(Date.parse(labels.deadlineAt) - now)}${labels.closeRequested ? ' · closing' : ''}`);
  } else {
    const r = e.rounds[e.rounds.length - 1];
    if (r && (r.status === 'open' || r.status === 'paused')) lines.push(`  labeling  ${progressBar(r.tasksCompleted, r.quorum)} tasks of quorum ${r.quorum}`);
  }
  const roundNumber = live ? live.roundIndex + 1 : e.currentRound;
  const latest = latestTrainingStep(metrics, roundNumber);
  const training = live?.progress.training;
  if (training) {
    // The workflow knows chunk boundaries; the per-iteration metric rows show progress inside a chunk.
    const done = Math.max(training.done, latest && latest.trainer === training.trainer ? latest.step : 0);
    lines.push(`  training  ${progressBar(Math.min(done, training.total), training.total)} ${training.unit} (${training.trainer})`);
  }
  if (latest) {
    const shown = Object.entries(latest.values)
      .slice(0, 6)
      .map(([k, v]) => `${k} ${num(v)}`)
      .join(' · ');
    lines.push(`  ${latest.trainer} ${latest.trainer === 'ppo' ? 'iteration' : 'step'} ${latest.step}: ${shown}`);
  }
  const ev = live?.lastMetrics ?? lastEvaluation(metrics);
  if (ev) lines.push(`  last eval win rate ${num(ev.winRate)} [${num(ev.winRateCi95[0])}, ${num(ev.winRateCi95[1])}] vs SFT · KL ${num(ev.klMean)} nats · RM score ${num(ev.rmScore)}`);
  return lines;
}

/** The evaluation of the newest round from the metric rows (when the workflow is gone). */
export function lastEvaluation(metrics: MetricRow[]): { winRate: number; winRateCi95: [number, number]; klMean: number; rmScore: number; round: number } | undefined {
  const evals = metrics.filter((m) => m.name.startsWith('eval/'));
  if (evals.length === 0) return undefined;
  const round = Math.max(...evals.map((m) => m.round));
  const v = (name: string) => evals.find((m) => m.round === round && m.name === name)?.value ?? NaN;
  return { round, winRate: v('eval/win_rate'), winRateCi95: [v('eval/win_rate_ci95_lo'), v('eval/win_rate_ci95_hi')], klMean: v('eval/kl_mean'), rmScore: v('eval/rm_score') };
}

/** One line per experiment for `hone status` without an id. */
export function renderExperimentList(items: ExperimentRow[]): string[] {
  if (items.length === 0) return ['no experiments yet — launch one with `hone run <spec.yaml>`'];
  return items.map((e) => `${e.id}  ${e.status.padEnd(9)} round ${String(e.currentRound).padStart(2)}/${e.roundsPlanned}  ${e.name}  (created ${e.createdAt})`);
}
