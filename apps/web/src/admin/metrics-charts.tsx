/** The four per-round plots of an experiment: reward, KL, reward-model accuracy, win rate (from the metrics API). */
import type { MetricPoint } from '../api/types';
import { ErrorBanner } from '../ui/components';
import { num, percent } from '../ui/format';
import type { AdminContext } from './admin-app';
import { LineChart, type Series } from './line-chart';
import { hasValues, perRoundSeries, roundLabel, type RoundSeries } from './metric-series';
import { useApi } from './use-api';

const BLUE = '#1f4e79';
const ORANGE = '#c2570c';
const GREEN = '#17693a';
const GREY = '#8a939e';

interface Plot {
  id: string;
  title: string;
  explain: string;
  names: string[];
  series(s: RoundSeries): Series[];
  yMin?: number;
  yMax?: number;
  format?: (v: number) => string;
}

const pct = (v: number) => percent(v, 0);

const PLOTS: Plot[] = [
  {
    id: 'reward',
    title: 'Reward',
    explain: 'mean reward during PPO, and the reward model’s score of the policy on held-out prompts (reference = 0)',
    names: ['ppo/mean_reward', 'eval/rm_score'],
    series: (s) => [
      { label: 'PPO mean reward', values: s.values['ppo/mean_reward'], color: BLUE },
      { label: 'held-out RM score', values: s.values['eval/rm_score'], color: ORANGE },
    ],
  },
  {
    id: 'kl',
    title: 'KL to the reference policy (nats)',
    explain: 'the leash: how far the policy moved from the SFT reference',
    names: ['ppo/kl_mean', 'eval/kl_mean', 'dpo/kl_mean'],
    yMin: 0,
    series: (s) => [
      { label: 'PPO (training)', values: s.values['ppo/kl_mean'], color: BLUE },
      { label: 'held-out', values: s.values['eval/kl_mean'], color: ORANGE },
      { label: 'DPO', values: s.values['dpo/kl_mean'], color: GREEN },
    ],
  },
  {
    id: 'rm-accuracy',
    title: 'Reward-model accuracy',
    explain: 'share of held-out comparison pairs the reward model orders like the labelers',
    names: ['rm/heldout_acc', 'dpo/reward_accuracy'],
    yMin: 0.4,
    yMax: 1,
    format: pct,
    series: (s) => [
      { label: 'reward model, held-out', values: s.values['rm/heldout_acc'], color: BLUE },
      { label: 'DPO implicit reward', values: s.values['dpo/reward_accuracy'], color: GREEN },
      { label: 'chance', values: s.rounds.map(() => 0.5), color: GREY, dashed: true, quiet: true },
    ],
  },
  {
    id: 'win-rate',
    title: 'Win rate vs the reference policy',
    explain: 'held-out judge prefers the policy over the reference (ties count half); shaded: 95% CI',
    names: ['eval/win_rate', 'eval/win_rate_ci95_lo', 'eval/win_rate_ci95_hi'],
    yMin: 0,
    yMax: 1,
    format: pct,
    series: (s) => [
      { label: 'CI low', values: s.values['eval/win_rate_ci95_lo'], color: BLUE, quiet: true },
      { label: 'win rate', values: s.values['eval/win_rate'], color: BLUE },
      { label: 'CI high', values: s.values['eval/win_rate_ci95_hi'], color: BLUE, quiet: true, fillTo: 0 },
      { label: 'even (50%)', values: s.rounds.map(() => 0.5), color: GREY, dashed: true, quiet: true },
    ],
  },
];

export function MetricsCharts({ ctx, experimentId, pollMs }: { ctx: AdminContext; experimentId: string; pollMs: number }) {
  const metrics = useApi<{ items: MetricPoint[] }>(ctx, `/api/v1/experiments/${experimentId}/metrics`, pollMs);
  const points = metrics.data?.items ?? [];
  return (
    <>
      <ErrorBanner error={metrics.error} />
      <div class="grid-2">
        {PLOTS.map((p) => {
          const s = perRoundSeries(points, p.names);
          const labels = s.rounds.map(roundLabel);
          const main = p.names[0];
          const latest = s.values[main]?.filter((v): v is number => v !== null).at(-1);
          return (
            <section class="card chart-card" key={p.id} aria-labelledby={`plot-${p.id}`}>
              <header>
                <h2 id={`plot-${p.id}`}>{p.title}</h2>
                {latest !== undefined && <span class="muted">latest {p.format ? p.format(latest) : num(latest)}</span>}
              </header>
              <div class="body">
                <p class="muted small" style={{ marginBottom: '6px' }}>
                  {p.explain}
                </p>
                {hasValues(s, p.names) ? (
                  <LineChart
                    labels={labels}
                    series={p.series(s)}
                    yMin={p.yMin}
                    yMax={p.yMax}
                    format={p.format}
                    testId={`chart-${p.id}`}
                    ariaLabel={`${p.title} per round: ${labels.map((l, i) => `${l} ${s.values[main][i] === null ? 'no value' : p.format ? p.format(s.values[main][i] as number) : num(s.values[main][i])}`).join(', ')}`}
                  />
                ) : (
                  <div class="chart-box empty" data-testid={`chart-${p.id}-empty`}>
                    <p>No values yet — they appear when the first round finishes training and evaluation.</p>
                  </div>
                )}
              </div>
            </section>
          );
        })}
      </div>
    </>
  );
}
