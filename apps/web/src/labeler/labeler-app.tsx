/**
 * The labeler view at `/`: sign in with a token, then rank one task after another.
 */
import { useCallback, useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { ApiClient } from '../api/client';
import type { LabelingTask, Me, RoundProgress, RoundCounts } from '../api/types';
import { Banner, ErrorBanner, ProgressBar, Spinner } from '../ui/components';
import { countdown, plural } from '../ui/format';
import { clearToken, loadToken, saveToken } from '../ui/session';
import { SignIn } from '../ui/sign-in';
import { useNow } from '../ui/use-now';
import { FLAG_KEYS, RatingPanel, type Flags } from './rating-panel';
import { RankingList } from './ranking-list';
import { initialRanking, toOrdering, type RankingState } from './ranking-state';
import { useLabeling, type LabelingSession } from './use-labeling';

export function LabelerApp() {
  const [token, setToken] = useState<string | null>(() => loadToken('labeler'));
  const [me, setMe] = useState<Me | null>(null);
  const [notice, setNotice] = useState<string | undefined>();
  const client = useMemo(() => (token ? new ApiClient(token) : null), [token]);

  useEffect(() => {
    document.title = 'hone · labeling';
  }, []);

  // A token from an earlier page load: check it is still good before showing work.
  useEffect(() => {
    if (!client || me) return;
    client
      .get<Me>('/api/v1/me')
      .then(setMe)
      .catch((e: Error) => {
        clearToken('labeler');
        setToken(null);
        setNotice(`Please sign in again: ${e.message}`);
      });
  }, [client]);

  const signOut = useCallback((why?: string) => {
    clearToken('labeler');
    setToken(null);
    setMe(null);
    setNotice(why);
  }, []);

  if (!client || !me) {
    if (client && !me) return <Loading />;
    return (
      <SignIn
        title="Sign in to label"
        intro="Rank completions from best to worst. Your admin gave you an access token."
        notice={notice}
        onSignedIn={(t, who) => {
          saveToken('labeler', t);
          setNotice(undefined);
          setToken(t);
          setMe(who);
        }}
      />
    );
  }
  return <LabelingScreen client={client} me={me} onSignOut={signOut} />;
}

function Loading() {
  return (
    <main class="empty" style={{ minHeight: '60vh', alignContent: 'center' }}>
      <Spinner />
    </main>
  );
}

const NO_FLAGS: Flags = { followsInstruction: false, hallucination: false, harmful: false };

function LabelingScreen({ client, me, onSignOut }: { client: ApiClient; me: Me; onSignOut(why?: string): void }) {
  const session = useLabeling(client, (message) => onSignOut(`Your session ended: ${message}`));
  const { task } = session;
  return (
    <>
      <header class="topbar">
        <a class="brand" href="/">
          hone <small>labeling</small>
        </a>
        <RoundBar session={session} labelerId={me.labelerId} />
        <span class="spacer" />
        <span class="who">
          Signed in as <strong>{me.name}</strong>
          <button type="button" class="btn small" onClick={() => onSignOut()}>
            Sign out
          </button>
        </span>
      </header>
      {session.phase === 'loading' && <Loading />}
      {session.phase === 'idle' && <Idle session={session} />}
      {session.phase === 'task' && task && <TaskForm key={session.taskSerial} task={task} session={session} />}
    </>
  );
}

function RoundBar({ session, labelerId }: { session: LabelingSession; labelerId: string }) {
  const now = useNow(1000);
  const { task, progress, counts } = session;
  if (!task) {
    return session.submittedThisSession > 0 ? <div class="roundbar">{plural(session.submittedThisSession, 'ranking')} submitted this session</div> : null;
  }
  const p: Partial<RoundProgress> & { done?: number } = progress && progress.round.roundIndex === task.roundIndex && progress.round.experimentId === task.experimentId ? progress : {};
  const c: Partial<RoundCounts> = counts ?? {};
  const done = c.completedTasks ?? p.done;
  const quorum = c.quorum ?? p.quorum;
  const total = c.taskCount ?? p.taskCount;
  const deadline = p.deadline ? new Date(p.deadline).getTime() : null;
  const left = deadline === null ? null : deadline - now;
  const mine = p.perLabeler?.find((l) => l.labelerId === labelerId);
  return (
    <div class="roundbar" data-testid="round-bar">
      <span>
        {session.experimentName(task.experimentId)} · round <strong>{task.round}</strong>
      </span>
      {done !== undefined && quorum !== undefined && (
        <span class="row" style={{ gap: '8px' }}>
          <ProgressBar value={done} max={quorum} label="tasks done towards the quorum" ok={done >= quorum} />
          <span>
            <strong data-testid="round-done">{done}</strong> / {quorum} needed{total !== undefined && total !== quorum ? <span class="faint"> ({total} tasks)</span> : null}
          </span>
        </span>
      )}
      {left !== null && (
        <span class={`deadline${left < 10 * 60_000 ? ' soon' : ''}`} title={p.deadline ?? ''}>
          closes in <strong>{countdown(left)}</strong>
        </span>
      )}
      <span>
        you: <strong>{mine ? Math.max(mine.rankings, 0) : 0}</strong> this round
        {session.submittedThisSession > 0 ? <span class="faint"> · {session.submittedThisSession} this session</span> : null}
      </span>
    </div>
  );
}

function Idle({ session }: { session: LabelingSession }) {
  const now = useNow(1000);
  const wait = session.nextCheckAt ? Math.max(0, Math.ceil((session.nextCheckAt - now) / 1000)) : null;
  return (
    <main class="page" style={{ maxWidth: '760px' }}>
      {session.notice && <Banner kind="warn">{session.notice}</Banner>}
      <ErrorBanner error={session.error} onDismiss={session.dismiss} />
      <section class="card empty" data-testid="idle">
        <h2>No task right now</h2>
        <p>The round is closed or all of its tasks are taken. We'll check again{wait !== null ? ` in ${wait} s` : ' shortly'} — you can leave this page open.</p>
        <button type="button" class="btn" onClick={session.checkNow}>
          Check now
        </button>
      </section>
    </main>
  );
}

function TaskForm({ task, session }: { task: LabelingTask; session: LabelingSession }) {
  const samples = useMemo(() => new Map(task.samples.map((s, i) => [s.id, { text: s.text, letter: String.fromCharCode(65 + i) }])), [task]);
  const [ranking, setRanking] = useState<RankingState>(() => initialRanking(task.samples.map((s) => s.id)));
  const [focusIndex, setFocusIndex] = useState(0);
  const [focusToken, setFocusToken] = useState(1);
  const [quality, setQuality] = useState<number | null>(null);
  const [flags, setFlags] = useState<Flags>(NO_FLAGS);
  const [note, setNote] = useState('');
  const [announcement, setAnnouncement] = useState('');
  const shownAt = useRef(performance.now());
  // One id and one measured duration per task, reused on every retry so that a resent request is identical.
  const sent = useRef<{ clientRequestId: string; durationMs: number } | null>(null);

  const blockedReason = quality === null ? 'Rate the overall quality (1–7) to submit.' : undefined;
  const submit = useCallback(() => {
    if (quality === null) {
      setAnnouncement('Rate the overall quality from 1 to 7 first.');
      (document.querySelector('.quality input') as HTMLInputElement | null)?.focus();
      return;
    }
    sent.current ??= { clientRequestId: crypto.randomUUID(), durationMs: Math.round(performance.now() - shownAt.current) };
    void session.submit({ ordering: toOrdering(ranking), quality, flags, ...(note.trim() ? { note: note.trim() } : {}), ...sent.current });
  }, [quality, ranking, flags, note, session]);

  // Page-wide shortcuts (the list handles its own keys first and stops them). Registered once and reading the
  // latest state through a ref: a listener re-registered by an effect would lag a fast typist by a frame, and an
  // Enter right after a digit would submit without the quality just given.
  const latestSubmit = useRef(submit);
  latestSubmit.current = submit;
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.defaultPrevented || e.altKey || e.metaKey || (e.ctrlKey && e.key !== 'Enter')) return;
      const target = e.target as HTMLElement;
      const typing = target.tagName === 'TEXTAREA' || (target.tagName === 'INPUT' && (target as HTMLInputElement).type === 'text');
      if (e.key === 'Escape') {
        if (typing) target.blur();
        setFocusToken((n) => n + 1);
        e.preventDefault();
        return;
      }
      if (typing) {
        if (e.key === 'Enter' && e.ctrlKey) {
          e.preventDefault();
          latestSubmit.current();
        }
        return;
      }
      if (e.key === 'Enter' && target.tagName !== 'BUTTON' && target.tagName !== 'A') {
        e.preventDefault();
        latestSubmit.current();
        return;
      }
      const flag = (Object.keys(FLAG_KEYS) as (keyof Flags)[]).find((f) => FLAG_KEYS[f] === e.key.toLowerCase());
      if (flag && !e.ctrlKey) {
        e.preventDefault();
        setFlags((f) => ({ ...f, [flag]: !f[flag] }));
        return;
      }
      if (e.key.toLowerCase() === 'q' && !e.ctrlKey) {
        e.preventDefault();
        const checked = document.querySelector('.quality input:checked') ?? document.querySelector('.quality input');
        (checked as HTMLInputElement | null)?.focus();
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);

  return (
    <main class="label-layout" data-task-id={task.taskId}>
      <div>
        <div class="stack" style={{ marginBottom: '12px' }}>
          {session.notice && <Banner kind="warn">{session.notice}</Banner>}
          {session.retrying && <Banner kind="info">{session.retrying}</Banner>}
          <ErrorBanner error={session.error} onDismiss={session.dismiss} />
          {task.resumed && <Banner kind="info">You were working on this task before; it is still yours until {new Date(task.assignment.expiresAt).toLocaleTimeString()}.</Banner>}
        </div>
        <section class="card prompt" aria-labelledby="prompt-label">
          <div class="label" id="prompt-label">
            Prompt <span class="key">{task.prompt.key}</span>
          </div>
          <div class="text" data-testid="prompt">
            {task.prompt.text}
          </div>
        </section>
        <div class="ranking-head">
          <h2>Rank the {task.k} completions, best first</h2>
          <span class="muted" id="rank-help">
            Drag, or use the keyboard. The starting order is random.
          </span>
        </div>
        <RankingList
          samples={samples}
          state={ranking}
          onChange={(next, say) => {
            setRanking(next);
            setAnnouncement(say);
          }}
          focusIndex={focusIndex}
          onFocusIndex={setFocusIndex}
          focusToken={focusToken}
          disabled={session.submitting}
        />
        <div class="visually-hidden" aria-live="assertive" data-testid="announcement">
          {announcement}
        </div>
      </div>
      <RatingPanel
        quality={quality}
        onQuality={setQuality}
        flags={flags}
        onFlag={(name) => setFlags((f) => ({ ...f, [name]: !f[name] }))}
        note={note}
        onNote={setNote}
        canSubmit={quality !== null}
        blockedReason={blockedReason}
        submitting={session.submitting}
        onSubmit={submit}
        k={task.k}
      />
    </main>
  );
}
