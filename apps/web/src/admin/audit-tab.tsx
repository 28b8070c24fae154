/**
 * The audit trail of an experiment (who did what when, oldest first, paged) and its artifacts with lineage: what
 * each artifact was made from, and — on selecting one — everything it descends from, highlighted.
 */
import { useEffect, useMemo, useState } from 'preact/hooks';
import type { Artifact, AuditEvent, AuditTrail } from '../api/types';
import { ErrorBanner, Spinner } from '../ui/components';
import { bytes, dateTime } from '../ui/format';
import type { AdminContext } from './admin-app';

const PAGE = 200;

export function AuditTab({ ctx, experimentId }: { ctx: AdminContext; experimentId: string }) {
  const [events, setEvents] = useState<AuditEvent[]>([]);
  const [trail, setTrail] = useState<AuditTrail | null>(null);
  const [next, setNext] = useState<number | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [loading, setLoading] = useState(true);
  const [filter, setFilter] = useState('');
  const [selected, setSelected] = useState<string | null>(null);

  const load = async (afterId: number | null) => {
    setLoading(true);
    try {
      const t = await ctx.client.get<AuditTrail>(`/api/v1/experiments/${experimentId}/audit?limit=${PAGE}${afterId !== null ? `&afterId=${afterId}` : ''}`);
      setTrail(t);
      setEvents((prev) => (afterId === null ? t.events : [...prev, ...t.events]));
      setNext(t.nextAfterId);
      setError(null);
    } catch (e) {
      if (!ctx.onAuthError(e)) setError(e);
    } finally {
      setLoading(false);
    }
  };
  useEffect(() => {
    void load(null);
  }, [experimentId]);

  const shown = filter ? events.filter((e) => e.action.includes(filter) || (e.actorName ?? e.actor).includes(filter) || e.subject.type.includes(filter)) : events;
  const actions = useMemo(() => [...new Set(events.map((e) => e.action.split('.')[0]))].sort(), [events]);

  return (
    <div class="stack" style={{ gap: '16px' }}>
      <ErrorBanner error={error} />
      {trail && <Lineage artifacts={trail.artifacts} selected={selected} onSelect={setSelected} />}
      <section class="card" aria-labelledby="audit-title">
        <header>
          <h2 id="audit-title">Audit trail</h2>
          {loading && <Spinner />}
          <label class="row small muted">
            Show
            <select value={filter} onChange={(e) => setFilter((e.target as HTMLSelectElement).value)} style={{ width: 'auto' }}>
              <option value="">everything</option>
              {actions.map((a) => (
                <option key={a} value={`${a}.`}>
                  {a}.*
                </option>
              ))}
            </select>
          </label>
        </header>
        <div class="body flush">
          <table data-testid="audit">
            <thead>
              <tr>
                <th>When</th>
                <th>Who</th>
                <th>What</th>
                <th>Subject</th>
                <th>Details</th>
              </tr>
            </thead>
            <tbody>
              {shown.map((e) => (
                <tr key={e.id} class={selected && e.subject.id === selected ? 'highlight' : ''}>
                  <td class="small mono" style={{ whiteSpace: 'nowrap' }}>
                    {dateTime(e.at)}
                  </td>
                  <td class="small">{e.actorName ?? e.actor}</td>
                  <td>
                    <code>{e.action}</code>
                  </td>
                  <td class="small">
                    {e.subject.type} <span class="faint mono">{e.subject.id.slice(-8)}</span>
                  </td>
                  <td class="audit-data" title={JSON.stringify(e.data, null, 2)}>
                    {summarize(e.data)}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          {shown.length === 0 && !loading && <div class="empty">No events{filter ? ' of this kind' : ''} yet.</div>}
        </div>
        {next !== null && (
          <div class="body">
            <button type="button" class="btn" disabled={loading} onClick={() => void load(next)}>
              Load more
            </button>
          </div>
        )}
      </section>
    </div>
  );
}

function summarize(data: unknown): string {
  if (data === null || data === undefined) return '';
  if (typeof data !== 'object') return String(data);
  const parts = Object.entries(data as Record<string, unknown>)
    .filter(([, v]) => v !== null && v !== undefined && v !== '')
    .map(([k, v]) => `${k}=${typeof v === 'object' ? JSON.stringify(v) : String(v)}`);
  const s = parts.join('  ');
  return s.length > 160 ? `${s.slice(0, 157)}…` : s;
}

/** Ancestors of `id` (inclusive) through parent edges. */
function ancestors(id: string, byId: Map<string, Artifact>): Set<string> {
  const out = new Set<string>();
  const stack = [id];
  while (stack.length) {
    const a = stack.pop() as string;
    if (out.has(a)) continue;
    out.add(a);
    for (const p of byId.get(a)?.parents ?? []) stack.push(p.artifactId);
  }
  return out;
}

function Lineage({ artifacts, selected, onSelect }: { artifacts: Artifact[]; selected: string | null; onSelect(id: string | null): void }) {
  const byId = useMemo(() => new Map(artifacts.map((a) => [a.id, a])), [artifacts]);
  const lit = selected ? ancestors(selected, byId) : new Set<string>();
  return (
    <section class="card" aria-labelledby="lineage-title">
      <header>
        <h2 id="lineage-title">Artifacts and lineage</h2>
        <span class="muted small">{selected ? 'highlighted: the selected artifact and everything it was made from' : 'select an artifact to trace what it was made from'}</span>
        {selected && (
          <button type="button" class="btn small" onClick={() => onSelect(null)}>
            Clear
          </button>
        )}
      </header>
      {artifacts.length === 0 ? (
        <div class="empty">
          <p>No artifacts yet.</p>
        </div>
      ) : (
        <div class="body flush">
          <table data-testid="lineage">
            <thead>
              <tr>
                <th>Kind</th>
                <th>Key</th>
                <th>Made from</th>
                <th class="num">Size</th>
                <th>sha256</th>
                <th>Created</th>
              </tr>
            </thead>
            <tbody>
              {artifacts.map((a) => (
                <tr key={a.id} class={lit.has(a.id) ? 'highlight' : ''}>
                  <td>
                    <button type="button" class="btn link" onClick={() => onSelect(selected === a.id ? null : a.id)} aria-pressed={selected === a.id}>
                      {a.kind}
                    </button>
                  </td>
                  <td class="small mono" style={{ overflowWrap: 'anywhere', maxWidth: '340px' }}>
                    {a.key}
                  </td>
                  <td>
                    <div class="lineage-parents">
                      {a.parents.length === 0 && <span class="faint small">—</span>}
                      {a.parents.map((p) => (
                        <span key={p.artifactId + p.role}>
                          <span class="muted">{p.role}:</span> {byId.get(p.artifactId)?.kind ?? 'artifact'} <span class="faint mono">{p.artifactId.slice(-8)}</span>
                        </span>
                      ))}
                    </div>
                  </td>
                  <td class="num small">{bytes(a.bytes)}</td>
                  <td class="small mono faint" title={a.sha256}>
                    {a.sha256.slice(0, 12)}
                  </td>
                  <td class="small mono">{dateTime(a.createdAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
