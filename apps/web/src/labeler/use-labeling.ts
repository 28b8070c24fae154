/**
 * The labeling session's data flow: claim a task, submit it (asking for the next one in the same request), keep
 * the round's progress fresh, and poll calmly while there is nothing to do.
 *
 * Submissions are retried on transient failures with the same body: the API stores one ranking per task and labeler
 * and answers an identical replay with 200, so a retry after a lost response can never store twice.
 */
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { ApiClient, ApiError } from '../api/client';
import type { Experiment, ExperimentPage, LabelingTask, RoundCounts, RoundProgress, SubmitResult } from '../api/types';

/** How often to look for work while there is none. */
export const IDLE_POLL_MS = 15_000;
/** How often to refresh the round's progress while working. */
const PROGRESS_POLL_MS = 20_000;

export interface SubmitBody {
  ordering: (string | string[])[];
  quality: number;
  flags: { followsInstruction: boolean; hallucination: boolean; harmful: boolean };
  note?: string;
  durationMs: number;
  clientRequestId: string;
}

export type LabelingPhase = 'loading' | 'task' | 'idle';

export interface LabelingSession {
  phase: LabelingPhase;
  task: LabelingTask | null;
  /** Bumped whenever a new task is shown (resets the form). */
  taskSerial: number;
  progress: RoundProgress | null;
  /** Counts from the latest submission (fresher than `progress` right after a submit). */
  counts: RoundCounts | null;
  experimentName(id: string): string;
  submitting: boolean;
  /** "Connection lost, retrying (2)…" while a submission retries. */
  retrying: string | null;
  error: unknown;
  /** Something the labeler should know that is not an error of theirs, e.g. a ranking refused because the round closed. */
  notice: string | null;
  submittedThisSession: number;
  /** When the next automatic check for work happens (idle only). */
  nextCheckAt: number | null;
  checkNow(): void;
  submit(body: SubmitBody): Promise<boolean>;
  dismiss(): void;
}

export function useLabeling(client: ApiClient, onUnauthenticated: (message: string) => void): LabelingSession {
  const [phase, setPhase] = useState<LabelingPhase>('loading');
  const [task, setTask] = useState<LabelingTask | null>(null);
  const [taskSerial, setTaskSerial] = useState(0);
  const [progress, setProgress] = useState<RoundProgress | null>(null);
  const [counts, setCounts] = useState<RoundCounts | null>(null);
  const [experiments, setExperiments] = useState<Map<string, Experiment>>(new Map());
  const [submitting, setSubmitting] = useState(false);
  const [retrying, setRetrying] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [submitted, setSubmitted] = useState(0);
  const [nextCheckAt, setNextCheckAt] = useState<number | null>(null);
  const taskRef = useRef<LabelingTask | null>(null);
  const busy = useRef(false);

  const handleError = useCallback(
    (e: unknown) => {
      if (e instanceof ApiError && e.status === 401) onUnauthenticated(e.message);
      else setError(e);
    },
    [onUnauthenticated],
  );

  const show = useCallback((t: LabelingTask | null) => {
    taskRef.current = t;
    setTask(t);
    setTaskSerial((n) => n + 1);
    if (t) {
      setPhase('task');
      setNextCheckAt(null);
    } else {
      setPhase('idle');
      setNextCheckAt(Date.now() + IDLE_POLL_MS);
    }
  }, []);

  const loadProgress = useCallback(
    async (t: LabelingTask | null) => {
      if (!t) return;
      try {
        setProgress(await client.get<RoundProgress>(`/api/v1/experiments/${t.experimentId}/rounds/${t.roundIndex}/progress`));
      } catch (e) {
        if (e instanceof ApiError && e.status === 401) handleError(e);
        // progress is a nicety: a failed refresh keeps the last numbers
      }
    },
    [client, handleError],
  );

  const loadNext = useCallback(async () => {
    if (busy.current) return;
    busy.current = true;
    try {
      const r = await client.get<{ task: LabelingTask | null }>('/api/v1/labeling/next');
      setError(null);
      show(r.task);
      if (r.task && r.task.roundIndex !== taskRef.current?.roundIndex) setCounts(null);
      void loadProgress(r.task);
    } catch (e) {
      handleError(e);
      if (!taskRef.current) {
        setPhase('idle');
        setNextCheckAt(Date.now() + IDLE_POLL_MS);
      }
    } finally {
      busy.current = false;
    }
  }, [client, show, loadProgress, handleError]);

  // First task, and the names of the experiments this token may label.
  useEffect(() => {
    void loadNext();
    client
      .get<ExperimentPage>('/api/v1/experiments?limit=100')
      .then((p) => setExperiments(new Map(p.items.map((e) => [e.id, e]))))
      .catch(() => undefined);
  }, [client]);

  // Idle: look for work every IDLE_POLL_MS while the tab is visible.
  useEffect(() => {
    if (phase !== 'idle') return;
    const t = setInterval(() => {
      if (document.visibilityState === 'visible') void loadNext();
    }, IDLE_POLL_MS);
    return () => clearInterval(t);
  }, [phase, loadNext]);

  // Working: refresh the round's progress now and then (others label too; the deadline may move on pause).
  useEffect(() => {
    if (phase !== 'task') return;
    const t = setInterval(() => document.visibilityState === 'visible' && void loadProgress(taskRef.current), PROGRESS_POLL_MS);
    return () => clearInterval(t);
  }, [phase, loadProgress]);

  const submit = useCallback(
    async (body: SubmitBody): Promise<boolean> => {
      const t = taskRef.current;
      if (!t || submitting) return false;
      setSubmitting(true);
      setError(null);
      setNotice(null);
      try {
        const r = await client.post<SubmitResult>(`/api/v1/labeling/tasks/${t.taskId}/ranking?next=true`, {
          json: body,
          attempts: 5,
          onRetry: (n) => setRetrying(`Connection problem — sending your ranking again (attempt ${n + 1})…`),
        });
        setRetrying(null);
        setSubmitted((n) => n + 1);
        setCounts(r.counts);
        setProgress((p) => (p && p.round.roundIndex === r.roundIndex && p.round.experimentId === t.experimentId ? { ...p, done: r.counts.completedTasks, rankings: r.counts.rankings, taskCount: r.counts.taskCount } : p));
        if (r.next?.error) setError(new ApiError(200, r.next.error.code, `Your ranking was saved, but getting the next task failed: ${r.next.error.message}`));
        // A replayed submission (its first response was lost) finds the next task already claimed: it is new to
        // this person all the same.
        const next = r.next?.task ? { ...r.next.task, resumed: false } : null;
        show(next);
        if (next && (next.roundIndex !== t.roundIndex || next.experimentId !== t.experimentId)) setCounts(null);
        // Per-labeler numbers and the deadline come from the progress endpoint; refresh them without waiting.
        void loadProgress(next ?? t);
        return true;
      } catch (e) {
        setRetrying(null);
        if (e instanceof ApiError && (e.code === 'CONFLICT' || e.code === 'INVALID_STATE' || (e.code === 'FORBIDDEN' && e.status === 403 && /not assigned/.test(e.message)))) {
          // The task is gone for this labeler (round closed, claim expired, ranked before): say why and move on.
          setNotice(`That ranking was not accepted: ${e.message}`);
          busy.current = false;
          await loadNext();
          return false;
        }
        handleError(e);
        return false;
      } finally {
        setSubmitting(false);
      }
    },
    [client, submitting, show, loadNext, loadProgress, handleError],
  );

  const experimentName = useCallback((id: string) => experiments.get(id)?.name ?? id.slice(-8), [experiments]);

  return {
    phase,
    task,
    taskSerial,
    progress,
    counts,
    experimentName,
    submitting,
    retrying,
    error,
    notice,
    submittedThisSession: submitted,
    nextCheckAt,
    checkNow: () => void loadNext(),
    submit,
    dismiss: () => {
      setError(null);
      setNotice(null);
    },
  };
}
