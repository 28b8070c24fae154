/**
 * A chart.js line chart as a Preact component: created once, updated in place when its data changes (no
 * animation on updates, so polling does not make it twitch). Only the chart.js parts used here are registered,
 * which keeps the admin bundle small.
 */
import { CategoryScale, Chart, Filler, Legend, LineController, LineElement, LinearScale, PointElement, Tooltip, type ChartDataset } from 'chart.js';
import { useEffect, useRef } from 'preact/hooks';

Chart.register(LineController, LineElement, PointElement, LinearScale, CategoryScale, Legend, Tooltip, Filler);
Chart.defaults.font.family = getComputedStyle(document.documentElement).getPropertyValue('--font') || 'system-ui, sans-serif';
Chart.defaults.color = '#56606c';

export interface Series {
  label: string;
  values: (number | null)[];
  color: string;
  dashed?: boolean;
  /** Fill to another series (by index) to draw a band, e.g. a confidence interval. */
  fillTo?: number;
  /** Drawn without points or legend entry (band edges, reference lines). */
  quiet?: boolean;
}

export interface LineChartProps {
  labels: string[];
  series: Series[];
  /** Accessible summary of what the chart shows. */
  ariaLabel: string;
  yMin?: number;
  yMax?: number;
  /** Format of y values in ticks and tooltips. */
  format?: (v: number) => string;
  testId?: string;
}

function datasets(series: Series[]): ChartDataset<'line', (number | null)[]>[] {
  return series.map((s) => ({
    // A series without any value (say DPO metrics in a PPO run) stays out of the legend.
    hidden: !s.quiet && s.values.every((v) => v === null),
    label: s.label,
    data: s.values,
    borderColor: s.color,
    backgroundColor: s.fillTo !== undefined ? `${s.color}22` : s.color,
    borderDash: s.dashed ? [6, 4] : undefined,
    borderWidth: s.quiet ? 1 : 2,
    pointRadius: s.quiet ? 0 : 3.5,
    pointHoverRadius: s.quiet ? 0 : 5,
    tension: 0,
    spanGaps: true,
    fill: s.fillTo !== undefined ? s.fillTo : false,
  }));
}

export function LineChart({ labels, series, ariaLabel, yMin, yMax, format, testId }: LineChartProps) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const chart = useRef<Chart<'line', (number | null)[], string> | null>(null);
  // The chart's callbacks outlive renders: they read the current series through this ref.
  const latest = useRef(series);
  latest.current = series;

  useEffect(() => {
    const fmt = format ?? ((v: number) => String(Number(v.toFixed(3))));
    chart.current = new Chart<'line', (number | null)[], string>(canvas.current as HTMLCanvasElement, {
      type: 'line',
      data: { labels, datasets: datasets(series) },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        interaction: { mode: 'index', intersect: false },
        scales: {
          // offset: a round is a band, so one round's point sits in the middle instead of on the axis
          x: { offset: true, grid: { display: false } },
          y: { min: yMin, max: yMax, ticks: { callback: (v) => fmt(Number(v)), maxTicksLimit: 6 }, grid: { color: '#eceff3' } },
        },
        plugins: {
          legend: { position: 'bottom', onClick: () => undefined, labels: { boxWidth: 14, boxHeight: 2, filter: (item) => !item.hidden && !latest.current[item.datasetIndex ?? 0]?.quiet } },
          tooltip: { filter: (c) => !latest.current[c.datasetIndex]?.quiet, callbacks: { label: (c) => `${c.dataset.label}: ${c.parsed.y === null ? '—' : fmt(c.parsed.y)}` } },
        },
      },
    });
    return () => chart.current?.destroy();
  }, []);

  useEffect(() => {
    const c = chart.current;
    if (!c) return;
    c.data.labels = labels;
    c.data.datasets = datasets(series);
    c.update('none');
  }, [JSON.stringify(labels), JSON.stringify(series)]);

  return (
    <div class="chart-box" data-testid={testId}>
      <canvas ref={canvas} role="img" aria-label={ariaLabel} />
    </div>
  );
}
