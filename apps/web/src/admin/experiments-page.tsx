import type { ExperimentPage, LabelerWithStats } from '../api/types';
import { ErrorBanner, Pill, Spinner } from '../ui/components';
import { dateTime, relativeTime } from '../ui/format';
import type { AdminContext } from './admin-app';
import { Link, navigate } from './router';
import { useApi } from './use-api';

/** All experiments, newest first, refreshed every 10 s. */
export function ExperimentsPage({ ctx }: { ctx: AdminContext }) {
  const list = useApi<ExperimentPage>(ctx, '/api/v1/experiments?limit=100', 10_000);
  const items = list.data?.items ?? [];
  // Who launched: actors are "labeler:<id>"; show names where we know them.
  const labelers = useApi<{ items: LabelerWithStats[] }>(ctx, '/api/v1/labelers');
  const names = new Map((labelers.data?.items ?? []).map((l) => [`labeler:${l.id}`, l.name]));
  return (
    <main class="page">
      <section class="card">
        <header>
          <h1>Experiments</h1>
          {list.loading && <Spinner />}
          <Link class="btn primary" href="/admin/launch">
            Launch experiment
          </Link>
        </header>
        <ErrorBanner error={list.error} />
        {list.data && items.length === 0 ? (
          <div class="empty">
            <h2>No experiments yet</h2>
            <p>Launch one from a YAML spec; its workflow starts at once and opens labeling rounds as it goes.</p>
          </div>
        ) : (
          <div class="body flush">
            <table class="clickable" data-testid="experiments">
              <thead>
                <tr>
                  <th>Name</th>
                  <th>Status</th>
                  <th class="num">Round</th>
                  <th>Started</th>
                  <th>Finished</th>
                  <th>Launched by</th>
                </tr>
              </thead>
              <tbody>
                {items.map((e) => (
                  <tr key={e.id} onClick={() => navigate(`/admin/experiments/${e.id}`)}>
                    <td>
                      <Link href={`/admin/experiments/${e.id}`}>{e.name}</Link>
                      <div class="faint mono small">{e.id}</div>
                    </td>
                    <td>
                      <Pill status={e.status} />
                      {e.error && <div class="small" style={{ color: 'var(--danger)', maxWidth: '28rem' }}>{e.error}</div>}
                    </td>
                    <td class="num">
                      {e.currentRound} / {e.roundsPlanned}
                    </td>
                    <td title={dateTime(e.startedAt)}>{relativeTime(e.startedAt ?? e.createdAt)}</td>
                    <td title={dateTime(e.finishedAt)}>{e.finishedAt ? relativeTime(e.finishedAt) : '—'}</td>
                    <td class="small muted" title={e.createdBy}>
                      {names.get(e.createdBy) ?? e.createdBy}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
    </main>
  );
}
