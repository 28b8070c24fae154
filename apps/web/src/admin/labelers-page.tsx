/**
 * Labeler management: create a labeler (or admin) scoped to all or some experiments — the token is shown once —,
 * rotate a token, disable a labeler; with everyone's throughput and agreement across experiments.
 */
import { useState } from 'preact/hooks';
import type { ExperimentPage, LabelerWithStats, LabelerWithToken } from '../api/types';
import { Banner, ErrorBanner, Spinner } from '../ui/components';
import type { AdminContext } from './admin-app';
import { LabelerStatsTable } from './labeling-tab';
import { useApi } from './use-api';

export function LabelersPage({ ctx }: { ctx: AdminContext }) {
  const list = useApi<{ items: LabelerWithStats[] }>(ctx, '/api/v1/labelers', 15_000);
  const [issued, setIssued] = useState<{ what: string; result: LabelerWithToken } | null>(null);
  const [actionError, setActionError] = useState<unknown>(null);
  const [confirm, setConfirm] = useState<{ id: string; action: 'disable' | 'rotate' } | null>(null);
  const [busy, setBusy] = useState(false);

  const act = async (l: LabelerWithStats, action: 'disable' | 'rotate') => {
    setBusy(true);
    setActionError(null);
    try {
      if (action === 'disable') {
        await ctx.client.post(`/api/v1/labelers/${l.id}/disable`, { json: {} });
        setIssued(null);
      } else {
        const r = await ctx.client.post<LabelerWithToken>(`/api/v1/labelers/${l.id}/rotate-token`, { json: {} });
        setIssued({ what: `New token for ${l.name} (the old one no longer works)`, result: r });
      }
      setConfirm(null);
      await list.reload();
    } catch (e) {
      if (!ctx.onAuthError(e)) setActionError(e);
    } finally {
      setBusy(false);
    }
  };

  return (
    <main class="page">
      <CreateLabeler
        ctx={ctx}
        onCreated={async (r) => {
          setIssued({ what: `Token for ${r.labeler.name}`, result: r });
          await list.reload();
        }}
      />
      {issued && <TokenReveal title={issued.what} result={issued.result} onDone={() => setIssued(null)} />}
      <section class="card" aria-labelledby="labelers-title">
        <header>
          <h1 id="labelers-title">Labelers</h1>
          {list.loading && <Spinner />}
          <span class="muted small">throughput and agreement across all experiments</span>
        </header>
        <ErrorBanner error={list.error ?? actionError} onDismiss={actionError ? () => setActionError(null) : undefined} />
        <div class="body flush">
          <LabelerStatsTable
            items={list.data?.items ?? []}
            actions={(l) =>
              l.disabled ? (
                <span class="faint small">disabled</span>
              ) : confirm?.id === l.id ? (
                <span class="row" style={{ justifyContent: 'flex-end', flexWrap: 'nowrap' }}>
                  <button type="button" class={`btn small${confirm.action === 'disable' ? ' danger' : ''}`} disabled={busy} onClick={() => void act(l, confirm.action)}>
                    {confirm.action === 'disable' ? `Disable ${l.name}` : 'Issue new token'}
                  </button>
                  <button type="button" class="btn small" onClick={() => setConfirm(null)}>
                    Back
                  </button>
                </span>
              ) : (
                <span class="row" style={{ justifyContent: 'flex-end', flexWrap: 'nowrap' }}>
                  <button type="button" class="btn small" onClick={() => setConfirm({ id: l.id, action: 'rotate' })}>
                    New token…
                  </button>
                  {l.id !== ctx.me.labelerId && (
                    <button type="button" class="btn small danger" onClick={() => setConfirm({ id: l.id, action: 'disable' })} aria-label={`Disable ${l.name}`}>
                      Disable…
                    </button>
                  )}
                </span>
              )
            }
          />
        </div>
      </section>
    </main>
  );
}

function CreateLabeler({ ctx, onCreated }: { ctx: AdminContext; onCreated(r: LabelerWithToken): Promise<void> }) {
  const experiments = useApi<ExperimentPage>(ctx, '/api/v1/experiments?limit=100');
  const [name, setName] = useState('');
  const [role, setRole] = useState<'labeler' | 'admin'>('labeler');
  const [scopeAll, setScopeAll] = useState(true);
  const [scopes, setScopes] = useState<Set<string>>(new Set());
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const body = { name: name.trim(), role, ...(role === 'labeler' ? { scopes: scopeAll ? '*' : [...scopes] } : {}) };
      const r = await ctx.client.post<LabelerWithToken>('/api/v1/labelers', { json: body });
      setName('');
      setScopes(new Set());
      await onCreated(r);
    } catch (err) {
      if (!ctx.onAuthError(err)) setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section class="card" aria-labelledby="create-title">
      <header>
        <h2 id="create-title">Add a labeler</h2>
      </header>
      <form class="body stack" onSubmit={submit}>
        <div class="row" style={{ alignItems: 'flex-end', gap: '16px' }}>
          <label class="field" style={{ flex: '1 1 240px' }}>
            Name
            <input type="text" name="labeler-name" required maxLength={100} value={name} onInput={(e) => setName((e.target as HTMLInputElement).value)} placeholder="e.g. ana.k" />
          </label>
          <label class="field" style={{ flex: '0 0 160px' }}>
            Role
            <select value={role} onChange={(e) => setRole((e.target as HTMLSelectElement).value as 'labeler' | 'admin')}>
              <option value="labeler">labeler</option>
              <option value="admin">admin</option>
            </select>
          </label>
          <button class="btn primary" type="submit" disabled={busy || name.trim() === ''}>
            {busy ? 'Creating…' : 'Create and show token'}
          </button>
        </div>
        {role === 'labeler' && (
          <fieldset class="stack" style={{ border: 'none', padding: 0, margin: 0, gap: '6px' }}>
            <legend class="small" style={{ fontWeight: 600, marginBottom: '6px' }}>
              May label
            </legend>
            <label class="row small">
              <input type="radio" name="scope" checked={scopeAll} onChange={() => setScopeAll(true)} /> every experiment
            </label>
            <label class="row small">
              <input type="radio" name="scope" checked={!scopeAll} onChange={() => setScopeAll(false)} /> only these:
            </label>
            {!scopeAll && (
              <div class="row small" style={{ paddingLeft: '24px', gap: '14px' }}>
                {(experiments.data?.items ?? []).map((x) => (
                  <label key={x.id} class="row" style={{ gap: '5px' }}>
                    <input
                      type="checkbox"
                      checked={scopes.has(x.id)}
                      onChange={() =>
                        setScopes((s) => {
                          const n = new Set(s);
                          if (n.has(x.id)) n.delete(x.id);
                          else n.add(x.id);
                          return n;
                        })
                      }
                    />
                    {x.name} <span class="faint mono">{x.id.slice(-8)}</span>
                  </label>
                ))}
                {experiments.data?.items.length === 0 && <span class="muted">no experiments yet</span>}
              </div>
            )}
          </fieldset>
        )}
        <ErrorBanner error={error} />
      </form>
    </section>
  );
}

function TokenReveal({ title, result, onDone }: { title: string; result: LabelerWithToken; onDone(): void }) {
  const [copied, setCopied] = useState(false);
  return (
    <section class="card" aria-labelledby="token-title" data-testid="token-reveal">
      <div class="body token-reveal">
        <h2 id="token-title">{title}</h2>
        <Banner kind="warn">This is the only time the token is shown. Give it to {result.labeler.name} now; hone stores only its hash.</Banner>
        <code data-testid="new-token">{result.token}</code>
        <div class="row">
          <button
            type="button"
            class="btn"
            onClick={() => {
              void navigator.clipboard?.writeText(result.token).then(() => setCopied(true));
            }}
          >
            {copied ? 'Copied' : 'Copy token'}
          </button>
          <button type="button" class="btn primary" onClick={onDone}>
            Done, hide it
          </button>
          <span class="muted small">They sign in at {location.origin}/</span>
        </div>
      </div>
    </section>
  );
}
