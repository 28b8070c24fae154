/**
 * The admin view under `/admin`: experiments (launch, steer, rounds, plots, agreement, audit) and labelers.
 */
import { useCallback, useEffect, useMemo, useState } from 'preact/hooks';
import { ApiClient, ApiError } from '../api/client';
import type { Me } from '../api/types';
import { Spinner } from '../ui/components';
import { clearToken, loadToken, saveToken } from '../ui/session';
import { SignIn } from '../ui/sign-in';
import { ExperimentPage } from './experiment-page';
import { ExperimentsPage } from './experiments-page';
import { LabelersPage } from './labelers-page';
import { LaunchPage } from './launch-page';
import { Link, usePath } from './router';

/** What every admin page gets. */
export interface AdminContext {
  client: ApiClient;
  me: Me;
  /** Call with any error from the API: a 401 ends the session, anything else is the page's to show. */
  onAuthError(e: unknown): boolean;
}

export function AdminApp() {
  const [token, setToken] = useState<string | null>(() => loadToken('admin'));
  const [me, setMe] = useState<Me | null>(null);
  const [notice, setNotice] = useState<string | undefined>();
  const client = useMemo(() => (token ? new ApiClient(token) : null), [token]);

  const signOut = useCallback((why?: string) => {
    clearToken('admin');
    setToken(null);
    setMe(null);
    setNotice(why);
  }, []);

  useEffect(() => {
    if (!client || me) return;
    client
      .get<Me>('/api/v1/me')
      .then((who) => (who.role === 'admin' ? setMe(who) : signOut('That token is not an admin token.')))
      .catch((e: Error) => signOut(`Please sign in again: ${e.message}`));
  }, [client]);

  const onAuthError = useCallback(
    (e: unknown) => {
      if (e instanceof ApiError && e.status === 401) {
        signOut(`Your session ended: ${e.message}`);
        return true;
      }
      return false;
    },
    [signOut],
  );

  if (!client || !me) {
    if (client) {
      return (
        <main class="empty" style={{ minHeight: '60vh', alignContent: 'center' }}>
          <Spinner />
        </main>
      );
    }
    return (
      <SignIn
        title="hone admin"
        intro="Launch and steer experiments, follow labeling rounds, manage labelers. Sign in with an admin token (hone up writes one to .hone/admin-token)."
        requireRole="admin"
        notice={notice}
        onSignedIn={(t, who) => {
          saveToken('admin', t);
          setNotice(undefined);
          setToken(t);
          setMe(who);
        }}
      />
    );
  }
  return <Shell ctx={{ client, me, onAuthError }} onSignOut={() => signOut()} />;
}

function Shell({ ctx, onSignOut }: { ctx: AdminContext; onSignOut(): void }) {
  const path = usePath();
  const exp = /^\/admin\/experiments\/([^/]+)(?:\/([a-z-]+))?\/?$/.exec(path);
  let page;
  if (exp) page = <ExperimentPage key={exp[1]} ctx={ctx} experimentId={decodeURIComponent(exp[1])} tab={exp[2] ?? 'overview'} />;
  else if (path === '/admin/labelers') page = <LabelersPage ctx={ctx} />;
  else if (path === '/admin/launch') page = <LaunchPage ctx={ctx} />;
  else page = <ExperimentsPage ctx={ctx} />;
  const section = path.startsWith('/admin/labelers') ? 'labelers' : path.startsWith('/admin/launch') ? 'launch' : 'experiments';

  useEffect(() => {
    document.title = `hone admin · ${section}`;
  }, [section]);

  return (
    <>
      <header class="topbar">
        <Link class="brand" href="/admin">
          hone <small>admin</small>
        </Link>
        <nav aria-label="Sections">
          <Link href="/admin" current={section === 'experiments'}>
            Experiments
          </Link>
          <Link href="/admin/launch" current={section === 'launch'}>
            Launch
          </Link>
          <Link href="/admin/labelers" current={section === 'labelers'}>
            Labelers
          </Link>
        </nav>
        <span class="spacer" />
        <span class="who">
          <a href="/" target="_blank" rel="noopener">
            Labeling view ↗
          </a>
          Signed in as <strong>{ctx.me.name}</strong>
          <button type="button" class="btn small" onClick={onSignOut}>
            Sign out
          </button>
        </span>
      </header>
      {page}
    </>
  );
}
