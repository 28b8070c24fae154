import { useState } from 'preact/hooks';
import { ApiClient, ApiError } from '../api/client';
import type { Me } from '../api/types';
import { ErrorBanner } from './components';
import { TOKEN_SHAPE } from './session';

export interface SignInProps {
  title: string;
  intro: string;
  /** Refuse tokens of other roles (the admin view needs an admin token). */
  requireRole?: 'admin';
  /** Shown above the form, e.g. why the last session ended. */
  notice?: string;
  onSignedIn(token: string, me: Me): void;
}

/** Token sign-in: checks the token with GET /api/v1/me before keeping it. */
export function SignIn({ title, intro, requireRole, notice, onSignedIn }: SignInProps) {
  const [token, setToken] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: Event) => {
    e.preventDefault();
    const t = token.trim();
    if (!TOKEN_SHAPE.test(t)) {
      setError(new Error('That does not look like a hone token: it starts with hone_ followed by 43 letters, digits, - or _.'));
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const me = await new ApiClient(t).get<Me>('/api/v1/me');
      if (requireRole && me.role !== requireRole) throw new ApiError(403, 'FORBIDDEN', `This is a ${me.role} token for ${me.name}; the admin view needs an admin token.`);
      onSignedIn(t, me);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <main class="signin">
      <div class="card">
        <form onSubmit={submit} aria-labelledby="signin-title">
          <div class="brand" aria-hidden="true">
            hone
          </div>
          <h1 id="signin-title">{title}</h1>
          <p class="muted">{intro}</p>
          {notice && <div class="banner warn" role="status">{notice}</div>}
          <label class="field">
            Access token
            <input
              type="password"
              name="token"
              autoComplete="off"
              spellcheck={false}
              autoFocus
              placeholder="hone_…"
              value={token}
              onInput={(e) => setToken((e.target as HTMLInputElement).value)}
            />
            <span class="hint">Kept in this browser tab only, until you sign out or close it.</span>
          </label>
          <ErrorBanner error={error} />
          <button class="btn primary large" type="submit" disabled={busy || token.trim() === ''}>
            {busy ? 'Checking…' : 'Sign in'}
          </button>
        </form>
      </div>
    </main>
  );
}
