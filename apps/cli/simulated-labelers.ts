import { createBuiltinTask, type BuiltinTask } from '../../engine/task';
import { ApiError, ApiUnreachableError, type ApiClient } from './api-client';
import type { LabelerRow, LabelingTask } from './api-types';

export interface SimulatedLabelersOptions {
  /** An admin client (it creates the labeler accounts). */
  api: ApiClient;
  /** Label only this experiment (the accounts are scoped to it); absent = any experiment. */
  experimentId?: string;
  labelers: number;
  /** Share of pairs a labeler orders against the oracle (0 ≤ noise < 0.5). */
  noise: number;
  seed: number;
  /** Stops every labeler (Ctrl-C). */
  signal: AbortSignal;
  /** Asked whenever a labeler finds no task; true ends the run (e.g. the experiment finished). */
  isDone?: () => Promise<boolean>;
  /** Wait between polls when there is no task (default 500 ms). */
  pollMs?: number;
  onEvent?: (event: LabelerEvent) => void;
}

export type LabelerEvent =
  | { type: 'ready'; labeler: string }
  | { type: 'submitted'; labeler: string; taskId: string; roundIndex: number; completedTasks: number; taskCount: number; replayed: boolean }
  | { type: 'skipped'; labeler: string; taskId: string; reason: string }
  | { type: 'api-unreachable'; labeler: string; error: string; retryInMs: number }
  | { type: 'api-back'; labeler: string; afterMs: number };

export interface SimulatedLabelersResult {
  submitted: number;
  replayed: number;
  skipped: number;
  /** Requests repeated after the API did not answer or answered 5xx/429. */
  retries: number;
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });

/** A (re)issued token for the simulated labeler `name`: created on first use, rotated on later runs. */
async function labelerToken(api: ApiClient, name: string, experimentId: string | undefined): Promise<string> {
  const scopes = experimentId ? { scopes: [experimentId] } : {};
  const existing = (await api.get<{ items: LabelerRow[] }>('/api/v1/labelers')).items.find((l) => l.name === name);
  if (existing && !existing.disabled) return (await api.post<{ token: string }>(`/api/v1/labelers/${encodeURIComponent(existing.id)}/rotate-token`, scopes)).token;
  const unique = existing ? `${name}-${Date.now().toString(36)}` : name; // a disabled account keeps its name
  return (await api.post<{ token: string }>('/api/v1/labelers', { name: unique, role: 'labeler', ...scopes })).token;
}

/**
 * Simulated labelers that use the HTTP API exactly as people do: claim the next task, rank its completions with the
 * built-in task's simulated labeler (the oracle plus calibrated noise), submit.
 *
 * The noise of a ranking is drawn from the seed, the round, the prompt and the slot (the first or the second label
 * of an overlap task), not from which account claims the task or when. Which labeler gets which task depends on
 * timing, so noise seeded per labeler made two runs of the same experiment train on different rankings; keyed this
 * way, the same spec and seed give the same rankings, and so the same models and figures. The two labels of an
 * overlap task still draw different noise, so agreement stays what independent labelers would show. Every
 * request is retried with back-off while the API is unreachable or answers 5xx/429, so they ride out an API restart;
 * a claim that comes back after a retry is the same held task, and a repeated submission is answered as a replay.
 */
export async function runSimulatedLabelers(opts: SimulatedLabelersOptions): Promise<SimulatedLabelersResult> {
  const task: BuiltinTask = createBuiltinTask();
  const result: SimulatedLabelersResult = { submitted: 0, replayed: 0, skipped: 0, retries: 0 };
  const scopeTag = opts.experimentId ? opts.experimentId.slice(-8) : 'any';
  const names = Array.from({ length: opts.labelers }, (_, i) => `sim-${scopeTag}-${i + 1}`);
  // Completions the oracle scores equal (duplicates, say) are submitted as ties, as a careful person would.
  const sim = task.simulatedLabeler({ noise: opts.noise, seed: `${opts.seed}`, markTies: true });
  // task id → the simulated labelers that claimed it, in claim order: a labeler's index there is its slot. Counted in
  // this process, which is the one pool per experiment: a second pool would take over the same accounts anyway.
  const claimants = new Map<string, string[]>();
  const slotOf = (taskId: string, labeler: string): number => {
    const list = claimants.get(taskId) ?? [];
    claimants.set(taskId, list);
    if (!list.includes(labeler)) list.push(labeler);
    return list.indexOf(labeler);
  };

  const withRetry = async <T>(labeler: string, fn: () => Promise<T>): Promise<T | undefined> => {
    let delay = 250;
    let downSince: number | undefined;
    for (;;) {
      if (opts.signal.aborted) return undefined;
      try {
        const r = await fn();
        if (downSince !== undefined) opts.onEvent?.({ type: 'api-back', labeler, afterMs: Date.now() - downSince });
        return r;
      } catch (e) {
        const transient = e instanceof ApiUnreachableError || (e instanceof ApiError && (e.status >= 500 || e.status === 429));
        if (!transient) throw e;
        if (downSince === undefined) {
          downSince = Date.now();
          opts.onEvent?.({ type: 'api-unreachable', labeler, error: e.message, retryInMs: delay });
        }
        result.retries += 1;
        await sleep(delay, opts.signal);
        delay = Math.min(5_000, delay * 2);
      }
    }
  };

  const runOne = async (name: string) => {
    const token = await withRetry(name, () => labelerToken(opts.api, name, opts.experimentId));
    if (token === undefined) return;
    const api = opts.api.as(token);
    opts.onEvent?.({ type: 'ready', labeler: name });
    while (!opts.signal.aborted) {
      const next = await withRetry(name, () => api.get<{ task: LabelingTask | null }>('/api/v1/labeling/next', { query: { experimentId: opts.experimentId } }));
      if (next === undefined) return;
      const t = next.task;
      if (!t) {
        if (opts.isDone && (await withRetry(name, opts.isDone))) return;
        await sleep(opts.pollMs ?? 500, opts.signal);
        continue;
      }
      const started = Date.now();
      const texts = t.samples.map((s) => s.text);
      const ranking = sim.rank(t.prompt.text, texts, `${t.roundIndex}/${t.prompt.key}/${slotOf(t.taskId, name)}`);
      const best = task.oracle.score(t.prompt.text, texts[ranking.order[0]]);
      const body = {
        // All K tied (identical completions, say) is no ranking: the API wants two groups at least, so then the
        // labeler just puts them in some order, as a person asked to rank them would.
        ordering: ranking.groups.length >= 2 ? ranking.groups.map((g) => (g.length === 1 ? t.samples[g[0]].id : g.map((i) => t.samples[i].id))) : ranking.order.map((i) => t.samples[i].id),
        // InstructGPT's 1–7 Likert from the oracle's 0–10 total of the preferred completion.
        quality: Math.max(1, Math.min(7, 1 + Math.round((best.total / 10) * 6))),
        flags: { followsInstruction: best.constraint >= 1, hallucination: false, harmful: false },
        clientRequestId: `${name}:${t.taskId}`,
        durationMs: Date.now() - started,
      };
      try {
        const r = await withRetry(name, () =>
          api.post<{ replayed: boolean; roundIndex: number; counts: { completedTasks: number; taskCount: number } }>(`/api/v1/labeling/tasks/${encodeURIComponent(t.taskId)}/ranking`, body),
        );
        if (r === undefined) return;
        if (r.replayed) result.replayed += 1;
        else result.submitted += 1;
        opts.onEvent?.({ type: 'submitted', labeler: name, taskId: t.taskId, roundIndex: r.roundIndex, completedTasks: r.counts.completedTasks, taskCount: r.counts.taskCount, replayed: r.replayed });
      } catch (e) {
        // The round closed meanwhile, the task expired and went to someone else, …: move on to the next task.
        if (!(e instanceof ApiError) || e.status < 400 || e.status >= 500) throw e;
        result.skipped += 1;
        opts.onEvent?.({ type: 'skipped', labeler: name, taskId: t.taskId, reason: e.message });
        // The task may still be ours (a claim holds it until it expires): do not spin on it.
        await sleep(Math.max(1_000, opts.pollMs ?? 500), opts.signal);
      }
    }
  };

  await Promise.all(names.map((n) => runOne(n)));
  return result;
}
