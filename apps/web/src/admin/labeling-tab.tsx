/**
 * An experiment's labeling: agreement per round (pairwise agreement with its CI and Krippendorff's α with its CI,
 * beside InstructGPT's 72.6 ± 1.5%), and each labeler's throughput and agreement on this experiment.
 */
import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import type { Agreement, LabelerWithStats, Round } from '../api/types';
import { ErrorBanner, Pill, Spinner } from '../ui/components';
import { num, percent, percentRange, relativeTime } from '../ui/format';
import type { AdminContext } from './admin-app';
import { LineChart } from './line-chart';
import { useApi } from './use-api';

const INSTRUCTGPT = { agreement: 0.726, plusMinus: 0.015 };

export function LabelingTab({ ctx, experimentId, rounds }: { ctx: AdminContext; experimentId: string; rounds: Round[] }) {
  return (
    <div class="stack" style={{ gap: '16px' }}>
      <AgreementCard ctx={ctx} experimentId={experimentId} rounds={rounds} />
      <ExperimentLabelers ctx={ctx} experimentId={experimentId} />
    </div>
  );
}

function AgreementCard({ ctx, experimentId, rounds }: { ctx: AdminContext; experimentId: string; rounds: Round[] }) {
  const [rows, setRows] = useState<Agreement[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const key = rounds.map((r) => `${r.roundIndex}:${r.rankingsReceived}`).join(',');
  useEffect(() => {
    let live = true;
    Promise.all(rounds.filter((r) => r.status !== 'pending').map((r) => ctx.client.get<Agreement>(`/api/v1/experiments/${experimentId}/rounds/${r.roundIndex}/agreement`)))
      .then((a) => live && (setRows(a), setError(null)))
      .catch((e: unknown) => live && !ctx.onAuthError(e) && setError(e));
    return () => {
      live = false;
    };
  }, [experimentId, key]);

  const ref = rows?.[0]?.reference ?? { ...INSTRUCTGPT, source: 'Ouyang et al. 2022' };
  const withValues = (rows ?? []).filter((r) => r.pairwise.agreement !== null);
  return (
    <section class="card" aria-labelledby="agreement-title">
      <header>
        <h2 id="agreement-title">Agreement between labelers</h2>
        <span class="ref-band" title={ref.source}>
          InstructGPT: {percent(ref.agreement)} ± {percent(ref.plusMinus)}
        </span>
      </header>
      <ErrorBanner error={error} />
      {!rows && !error && (
        <div class="body">
          <Spinner />
        </div>
      )}
      {rows && rows.length === 0 && (
        <div class="empty">
          <p>No labeling round has opened yet.</p>
        </div>
      )}
      {rows && rows.length > 0 && (
        <div class="body stack">
          <p class="muted small">
            Measured on the overlap share of tasks, which two labelers rank independently. Pairwise agreement: the share of completion pairs both order the same way (a tie is its own answer), with a
            task-clustered 95% CI. Krippendorff’s α: interval metric on within-task ranks, 95% bootstrap CI.
          </p>
          <table data-testid="agreement">
            <thead>
              <tr>
                <th>Round</th>
                <th class="num">Tasks ranked twice</th>
                <th class="num">Pairwise agreement</th>
                <th class="num">95% CI</th>
                <th class="num">Pairs</th>
                <th class="num nocaps">Krippendorff’s α</th>
                <th class="num">95% CI</th>
                <th>vs InstructGPT</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((a) => (
                <tr key={a.roundIndex}>
                  <td>{a.roundIndex + 1}</td>
                  <td class="num">{a.tasks}</td>
                  <td class="num">
                    <strong>{percent(a.pairwise.agreement)}</strong>
                  </td>
                  <td class="num">{percentRange(a.pairwise.ci95)}</td>
                  <td class="num">{a.pairwise.pairs}</td>
                  <td class="num">{fixed3(a.krippendorffAlpha.value)}</td>
                  <td class="num">{a.krippendorffAlpha.ci95 ? `${fixed3(a.krippendorffAlpha.ci95[0])} – ${fixed3(a.krippendorffAlpha.ci95[1])}` : '—'}</td>
                  <td>{compare(a, ref)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {withValues.length > 0 && (
            <LineChart
              testId="chart-agreement"
              labels={rows.map((a) => `round ${a.roundIndex + 1}`)}
              yMin={0.3}
              yMax={1}
              format={(v) => percent(v, 0)}
              ariaLabel={`Pairwise agreement per round against InstructGPT's ${percent(ref.agreement)}: ${rows.map((a) => `round ${a.roundIndex + 1} ${percent(a.pairwise.agreement)}`).join(', ')}`}
              series={[
                { label: 'InstructGPT low', values: rows.map(() => ref.agreement - ref.plusMinus), color: '#8a939e', quiet: true },
                { label: 'InstructGPT high', values: rows.map(() => ref.agreement + ref.plusMinus), color: '#8a939e', quiet: true, fillTo: 0 },
                { label: 'CI low', values: rows.map((a) => a.pairwise.ci95?.[0] ?? null), color: '#1f4e79', quiet: true },
                { label: 'CI high', values: rows.map((a) => a.pairwise.ci95?.[1] ?? null), color: '#1f4e79', quiet: true, fillTo: 2 },
                { label: 'pairwise agreement (shaded: 95% CI; grey band: InstructGPT 72.6 ± 1.5%)', values: rows.map((a) => a.pairwise.agreement), color: '#1f4e79' },
              ]}
            />
          )}
        </div>
      )}
    </section>
  );
}

const fixed3 = (v: number | null) => (v === null ? '—' : v.toFixed(3));

function compare(a: Agreement, ref: { agreement: number; plusMinus: number }): string {
  const v = a.pairwise.agreement;
  if (v === null) return 'no overlapping rankings yet';
  const ci = a.pairwise.ci95;
  if (!ci) return 'too few tasks for an interval';
  const lo = ref.agreement - ref.plusMinus;
  const hi = ref.agreement + ref.plusMinus;
  if (ci[0] > hi) return 'higher';
  if (ci[1] < lo) return 'lower';
  return 'comparable (intervals overlap)';
}

function ExperimentLabelers({ ctx, experimentId }: { ctx: AdminContext; experimentId: string }) {
  const list = useApi<{ items: LabelerWithStats[] }>(ctx, `/api/v1/labelers?experimentId=${experimentId}`, 15_000);
  const items = (list.data?.items ?? []).filter((l) => l.stats.rankings > 0 || l.stats.activeAssignments > 0 || l.stats.expiredAssignments > 0);
  return (
    <section class="card" aria-labelledby="exp-labelers-title">
      <header>
        <h2 id="exp-labelers-title">Labelers on this experiment</h2>
        {list.loading && <Spinner />}
      </header>
      <ErrorBanner error={list.error} />
      {list.data && items.length === 0 ? (
        <div class="empty">
          <p>Nobody has claimed a task of this experiment yet.</p>
        </div>
      ) : (
        <div class="body flush">
          <LabelerStatsTable items={items} />
        </div>
      )}
    </section>
  );
}

/** Throughput and agreement per labeler (shared with the labelers page). */
export function LabelerStatsTable({ items, actions }: { items: LabelerWithStats[]; actions?: (l: LabelerWithStats) => ComponentChildren }) {
  return (
    <table data-testid="labeler-stats">
      <thead>
        <tr>
          <th>Labeler</th>
          <th class="num">Rankings</th>
          <th class="num">Per hour</th>
          <th class="num">Median time / task</th>
          <th class="num">Holding</th>
          <th class="num">Expired</th>
          <th class="num">Agreement</th>
          <th>Last ranking</th>
          {actions && <th />}
        </tr>
      </thead>
      <tbody>
        {items.map((l) => (
          <tr key={l.id}>
            <td>
              <strong>{l.name}</strong> {l.role === 'admin' && <span class="pill pending">admin</span>} {l.disabled && <Pill status="disabled" />}
              <div class="faint small">
                <span class="mono">{l.tokenPrefix ? `${l.tokenPrefix}…` : 'no active token'}</span>
                {!l.disabled && ` · ${l.role === 'admin' || l.scope === '*' ? 'all experiments' : `${l.scope.length} experiment${l.scope.length === 1 ? '' : 's'}`}`}
              </div>
            </td>
            <td class="num">{l.stats.rankings}</td>
            <td class="num">{l.stats.rankingsPerHour === null ? '—' : num(l.stats.rankingsPerHour, 1)}</td>
            <td class="num">{l.stats.medianSecondsPerTask === null ? '—' : `${num(l.stats.medianSecondsPerTask, 1)} s`}</td>
            <td class="num">{l.stats.activeAssignments}</td>
            <td class="num">{l.stats.expiredAssignments}</td>
            <td class="num" title={`${l.stats.agreementPairs} pairs shared with other labelers`}>
              {percent(l.stats.agreement)} {l.stats.agreementPairs > 0 && <span class="faint small">({l.stats.agreementPairs})</span>}
            </td>
            <td class="small">{relativeTime(l.stats.lastRankingAt)}</td>
            {actions && <td class="num">{actions(l)}</td>}
          </tr>
        ))}
      </tbody>
    </table>
  );
}
