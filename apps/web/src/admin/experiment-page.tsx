/**
 * One experiment: status and steering (pause, resume, cancel), its rounds with progress and close-early, per-round
 * plots, labeling agreement and labelers, the audit trail with lineage, and its spec.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError } from '../api/client';
import type { ExperimentDetail, LiveStatus, Round, SteerResult } from '../api/types';
import { Banner, ErrorBanner, Pill, ProgressBar, Spinner } from '../ui/components';
import { countdown, dateTime, num, percent, relativeTime } from '../ui/format';
import { useFlash } from '../ui/use-flash';
import { useNow } from '../ui/use-now';
import type { AdminContext } from './admin-app';
import { AuditTab } from './audit-tab';
import { LabelingTab } from './labeling-tab';
import { MetricsCharts } from './metrics-charts';
import { Link, navigate } from './router';
import { useApi } from './use-api';

const TABS = [
  { id: 'overview', label: 'Overview' },
  { id: 'labeling', label: 'Labeling & agreement' },
  { id: 'audit', label: 'Audit trail' },
  { id: 'spec', label: 'Spec' },
] as const;

const FINISHED = new Set(['completed', 'failed', 'cancelled']);

export function ExperimentPage({ ctx, experimentId, tab }: { ctx: AdminContext; experimentId: string; tab: string }) {
  const detail = useApi<ExperimentDetail>(ctx, `/api/v1/experiments/${experimentId}`, 4_000);
  const d = detail.data;
  if (!d) {
    return (
      <main class="page">
        <ErrorBanner error={detail.error}>
          <p style={{ marginTop: '6px' }}>
            <Link href="/admin">Back to the experiments</Link>
          </p>
        </ErrorBanner>
        {!detail.error && <Spinner />}
      </main>
    );
  }
  const e = d.experiment;
  const base = `/admin/experiments/${e.id}`;
  return (
    <main class="page">
      <Header ctx={ctx} detail={d} onChanged={detail.reload} />
      {detail.error !== null && <ErrorBanner error={detail.error} />}
      <div class="tabs" role="tablist" aria-label="Experiment sections">
        {TABS.map((t) => (
          <button key={t.id} type="button" role="tab" aria-selected={tab === t.id} onClick={() => navigate(t.id === 'overview' ? base : `${base}/${t.id}`)}>
            {t.label}
          </button>
        ))}
      </div>
      <div role="tabpanel">
        {tab === 'overview' && (
          <div class="stack" style={{ gap: '16px' }}>
            <RoundsCard ctx={ctx} detail={d} onChanged={detail.reload} />
            <MetricsCharts ctx={ctx} experimentId={e.id} pollMs={FINISHED.has(e.status) ? 0 : 15_000} />
          </div>
        )}
        {tab === 'labeling' && <LabelingTab ctx={ctx} experimentId={e.id} rounds={e.rounds} />}
        {tab === 'audit' && <AuditTab ctx={ctx} experimentId={e.id} />}
        {tab === 'spec' && (
          <section class="card">
            <header>
              <h2>Spec</h2>
              <span class="muted small">as launched; seed {e.seed}</span>
            </header>
            <pre class="spec">{e.specYaml}</pre>
          </section>
        )}
      </div>
    </main>
  );
}

function phaseText(live: LiveStatus | null, liveError: string | undefined): string {
  if (!live) return liveError ? 'workflow not answering' : '—';
  const t = live.progress.training;
  if (live.phase === 'training' && t) return `training (${t.trainer.toUpperCase()} ${t.done}/${t.total} ${t.unit})`;
  if (live.phase === 'labeling' && live.progress.labels?.closeRequested) return 'labeling (closing)';
  return live.phase.replace(/-/g, ' ');
}

/** The experiment status each steering action leads to (see the confirmation banner). */
const STEERED_STATUS = { pause: 'paused', resume: 'running', cancel: 'cancelled' } as const;

function Header({ ctx, detail, onChanged }: { ctx: AdminContext; detail: ExperimentDetail; onChanged(): Promise<void> }) {
  const e = detail.experiment;
  const live = detail.live;
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [done, setDone] = useFlash();
  const [confirmCancel, setConfirmCancel] = useState(false);
  const finished = FINISHED.has(e.status);
  const paused = live ? live.paused : e.status === 'paused';
  // A confirmation belongs to the state it confirmed: a later status makes it old news. The status the steering
  // itself leads to is not news — the workflow records it a moment after the update returns, often after the
  // refresh, so clearing on every change would hide "Paused" as soon as it shows.
  const confirms = useRef<string | null>(null);
  useEffect(() => {
    if (e.status !== confirms.current) setDone(null);
  }, [e.status]);
  const status = live?.cancelRequested ? 'cancelling' : paused && !finished ? 'paused' : e.status;

  const steer = async (action: 'pause' | 'resume' | 'cancel') => {
    setBusy(action);
    setError(null);
    setDone(null);
    confirms.current = STEERED_STATUS[action];
    try {
      await ctx.client.post<SteerResult>(`/api/v1/experiments/${e.id}/${action}`, { json: reason.trim() ? { reason: reason.trim() } : {} });
      setDone(action === 'pause' ? 'Paused: no new steps start, and the open round hands out no tasks; its deadline stops running.' : action === 'resume' ? 'Resumed.' : 'Cancelled.');
      setReason('');
      setConfirmCancel(false);
      await new Promise((r) => setTimeout(r, 1500));
      await onChanged();
    } catch (err) {
      if (!ctx.onAuthError(err)) setError(err);
    } finally {
      setBusy(null);
    }
  };

  return (
    <section class="card">
      <div class="body stack">
        <div class="exp-head">
          <div class="title">
            <div class="row" style={{ color: 'inherit' }}>
              <h1 data-testid="experiment-name">{e.name}</h1>
              <Pill status={status === 'cancelling' ? 'paused' : status} label={status} />
            </div>
            <div class="row">
              <span>
                phase <strong data-testid="phase">{phaseText(live, detail.liveError)}</strong>
              </span>
              <span>
                round <strong>{live ? live.round : e.currentRound}</strong> of {live ? live.roundsTotal : e.roundsPlanned}
              </span>
              <span title={dateTime(e.startedAt)}>started {relativeTime(e.startedAt)}</span>
              {e.finishedAt && <span title={dateTime(e.finishedAt)}>finished {relativeTime(e.finishedAt)}</span>}
              <span class="mono faint">{e.id}</span>
            </div>
          </div>
          {!finished && (
            <div class="steer">
              <input type="text" placeholder="Reason (optional, audited)" aria-label="Reason for pausing, resuming or cancelling" value={reason} maxLength={500} onInput={(ev) => setReason((ev.target as HTMLInputElement).value)} />
              {paused ? (
                <button type="button" class="btn primary" disabled={busy !== null} onClick={() => void steer('resume')}>
                  {busy === 'resume' ? 'Resuming…' : 'Resume'}
                </button>
              ) : (
                <button type="button" class="btn" disabled={busy !== null || !detail.live} onClick={() => void steer('pause')}>
                  {busy === 'pause' ? 'Pausing…' : 'Pause'}
                </button>
              )}
              {confirmCancel ? (
                <span class="row" role="group" aria-label="Confirm cancelling">
                  <button type="button" class="btn danger" disabled={busy !== null} onClick={() => void steer('cancel')}>
                    {busy === 'cancel' ? 'Cancelling…' : 'Yes, cancel the experiment'}
                  </button>
                  <button type="button" class="btn" onClick={() => setConfirmCancel(false)}>
                    Keep it
                  </button>
                </span>
              ) : (
                <button type="button" class="btn danger" disabled={busy !== null} onClick={() => setConfirmCancel(true)}>
                  Cancel…
                </button>
              )}
            </div>
          )}
          {detail.temporalUiUrl && (
            <a class="btn" href={detail.temporalUiUrl} target="_blank" rel="noopener noreferrer" data-testid="temporal-link">
              Open in Temporal ↗
            </a>
          )}
        </div>
        {e.error && <Banner kind="error">The experiment failed: {e.error}</Banner>}
        {detail.liveError && !finished && <Banner kind="warn">{detail.liveError}. Shown: the status recorded in the database. Steering needs a running worker.</Banner>}
        {done && <Banner kind="ok">{done}</Banner>}
        <ErrorBanner error={error} onDismiss={() => setError(null)} />
        {live?.lastMetrics && (
          <div class="stats">
            <div class="stat">
              <span class="v">{percent(live.lastMetrics.winRate)}</span>
              <span class="k">win rate vs reference</span>
            </div>
            <div class="stat">
              <span class="v">{num(live.lastMetrics.klMean, 2)}</span>
              <span class="k">KL (nats)</span>
            </div>
            <div class="stat">
              <span class="v">{num(live.lastMetrics.rmScore, 3)}</span>
              <span class="k">RM score</span>
            </div>
          </div>
        )}
      </div>
    </section>
  );
}

function RoundsCard({ ctx, detail, onChanged }: { ctx: AdminContext; detail: ExperimentDetail; onChanged(): Promise<void> }) {
  const now = useNow(1000);
  const e = detail.experiment;
  const live = detail.live;
  const [confirm, setConfirm] = useState<number | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [done, setDone] = useFlash();
  const labelingRound = live?.phase === 'labeling' ? live.roundIndex : null;

  const close = async (r: Round) => {
    setBusy(true);
    setError(null);
    try {
      const res = await ctx.client.post<SteerResult>(`/api/v1/experiments/${e.id}/close-round`, { json: { roundIndex: r.roundIndex, reason: 'closed early from the admin view' } });
      const c = res.result as { completedTasks?: number };
      setDone(`Round ${r.round} closed with ${c.completedTasks ?? r.tasksCompleted} completed tasks; training starts on what was collected.`);
      setConfirm(null);
      await onChanged();
    } catch (err) {
      if (!ctx.onAuthError(err)) setError(err instanceof ApiError && err.code === 'INVALID_STATE' ? new ApiError(err.status, err.code, `The workflow refused: ${err.message}`) : err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section class="card" aria-labelledby="rounds-title">
      <header>
        <h2 id="rounds-title">Labeling rounds</h2>
        <span class="muted small">tasks done against the quorum; the round closes at quorum or deadline, or when you close it</span>
      </header>
      {done && (
        <div class="body" style={{ paddingBottom: 0 }}>
          <Banner kind="ok">{done}</Banner>
        </div>
      )}
      {error !== null && (
        <div class="body" style={{ paddingBottom: 0 }}>
          <ErrorBanner error={error} onDismiss={() => setError(null)} />
        </div>
      )}
      {e.rounds.length === 0 ? (
        <div class="empty">
          <p>{FINISHED.has(e.status) ? 'This experiment opened no labeling round.' : 'No round yet: the first opens once the policy is prepared and has sampled completions.'}</p>
        </div>
      ) : (
        <div class="body flush">
          <table data-testid="rounds">
            <thead>
              <tr>
                <th>Round</th>
                <th>Status</th>
                <th style={{ width: '30%' }}>Tasks done / quorum</th>
                <th class="num">Rankings</th>
                <th class="num">Overlap</th>
                <th>Deadline</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {e.rounds.map((r) => {
                const liveLabels = labelingRound === r.roundIndex ? live?.progress.labels : undefined;
                const doneTasks = Math.max(r.tasksCompleted, liveLabels?.completedTasks ?? 0);
                const deadline = liveLabels?.deadlineAt ?? r.deadline;
                const open = r.status === 'open' || r.status === 'paused';
                const status = open && live?.paused && labelingRound === r.roundIndex ? 'paused' : r.status;
                return (
                  <tr key={r.id} data-round={r.roundIndex}>
                    <td>
                      <strong>{r.round}</strong>
                    </td>
                    <td>
                      <Pill status={status} />
                      {r.closeReason && <div class="small muted">by {r.closeReason}</div>}
                    </td>
                    <td>
                      <div class="row" style={{ gap: '10px', flexWrap: 'nowrap' }}>
                        <div style={{ flex: 1 }}>
                          <ProgressBar value={doneTasks} max={r.quorum} label={`round ${r.round}: tasks done towards the quorum`} ok={doneTasks >= r.quorum} />
                        </div>
                        <span class="small" style={{ whiteSpace: 'nowrap', fontVariantNumeric: 'tabular-nums' }} data-testid="round-progress">
                          <strong>{doneTasks}</strong> / {r.quorum} <span class="faint">of {r.tasksTotal}</span>
                        </span>
                      </div>
                    </td>
                    <td class="num">{r.rankingsReceived}</td>
                    <td class="num">{percent(r.overlap, 0)}</td>
                    <td class="small">
                      {open && deadline ? (
                        <span title={dateTime(deadline)}>{status === 'paused' ? 'on hold while paused' : `in ${countdown(new Date(deadline).getTime() - now)}`}</span>
                      ) : r.closedAt ? (
                        <span title={dateTime(r.closedAt)}>closed {relativeTime(r.closedAt, now)}</span>
                      ) : (
                        '—'
                      )}
                    </td>
                    <td class="num">
                      {open &&
                        (confirm === r.roundIndex ? (
                          <span class="row" style={{ justifyContent: 'flex-end' }}>
                            <button type="button" class="btn small danger" disabled={busy} onClick={() => void close(r)}>
                              {busy ? 'Closing…' : `Close with ${doneTasks} done`}
                            </button>
                            <button type="button" class="btn small" onClick={() => setConfirm(null)}>
                              Keep open
                            </button>
                          </span>
                        ) : (
                          <button type="button" class="btn small" onClick={() => setConfirm(r.roundIndex)}>
                            Close early…
                          </button>
                        ))}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
