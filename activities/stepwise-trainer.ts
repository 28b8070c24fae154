import type { TrainerState } from '../engine';
import type { PolicyTrainer, StepValues } from './experiment-engine';

/** The hooks a run-based engine trainer (runPpo, runDpo) is called with by {@link stepwiseTrainer}. */
export interface RunHooks<P> {
  resumeFrom?: TrainerState;
  signal: AbortSignal;
  /** Per unit, before the unit's checkpoint. */
  onProgress(progress: P): void;
  /** After every unit but the run's last (checkpointEvery: 1). */
  onCheckpoint(state: TrainerState): Promise<void>;
}

export interface StepwiseTrainerOptions<P, M> {
  /** The state to start from (absent = fresh). */
  resumeFrom?: TrainerState;
  /** Starts the engine's run with these hooks; resolves with the final state and policy bytes. */
  run(hooks: RunHooks<P>): Promise<{ state: TrainerState; policy: Uint8Array }>;
  /** The unit a progress report belongs to (reports of other phases return undefined). */
  unitOf(progress: P): number | undefined;
  /** The port's metrics and per-unit scalars from a unit's progress report. */
  metricsOf(progress: P): { metrics: M; values: StepValues };
  /** Bytes of a state and the policy it holds. */
  serializeState(state: TrainerState): Uint8Array;
  policyOf(state: TrainerState): Uint8Array;
}

interface Waiter<M> {
  resolve(v: { metrics: M; values: StepValues }): void;
  reject(e: unknown): void;
}

/**
 * Turns a run-based engine trainer (a call that trains N units, calling back after each) into the activities'
 * step-at-a-time {@link PolicyTrainer}: the run is started on the first `step()` and held inside its per-unit
 * checkpoint callback until the next `step()`, so the caller decides after every unit whether to save, stop or go
 * on. The last state handed over is kept; a unit that fails or is aborted leaves it as it was, which is what the
 * port promises. `close()` aborts a held run.
 */
export function stepwiseTrainer<P, M>(o: StepwiseTrainerOptions<P, M>): PolicyTrainer<M> {
  let state = o.resumeFrom;
  let done = state?.step ?? 0;
  let finalPolicy: Uint8Array | undefined;
  let finished = false;
  let running: Promise<void> | undefined;
  let release: (() => void) | undefined;
  let waiter: Waiter<M> | undefined;
  let lastUnit: { unit: number; metrics: M; values: StepValues } | undefined;
  const stop = new AbortController();

  const settle = (fn: (w: Waiter<M>) => void) => {
    const w = waiter;
    waiter = undefined;
    if (w) fn(w);
  };
  const metricsOfUnit = (unit: number) => {
    if (!lastUnit || lastUnit.unit !== unit) throw new Error(`stepwise trainer: no progress report for unit ${unit}`);
    return { metrics: lastUnit.metrics, values: lastUnit.values };
  };

  const start = () => {
    running = o
      .run({
        resumeFrom: state,
        signal: stop.signal,
        onProgress: (p) => {
          const unit = o.unitOf(p);
          if (unit !== undefined) lastUnit = { unit, ...o.metricsOf(p) };
        },
        onCheckpoint: (s) => {
          state = s;
          done = s.step;
          const gate = new Promise<void>((resolve) => (release = resolve));
          settle((w) => {
            try {
              w.resolve(metricsOfUnit(s.step));
            } catch (e) {
              w.reject(e);
            }
          });
          return gate;
        },
      })
      .then(
        (r) => {
          state = r.state;
          done = r.state.step;
          finalPolicy = r.policy;
          finished = true;
          settle((w) => {
            try {
              w.resolve(metricsOfUnit(r.state.step));
            } catch (e) {
              w.reject(e);
            }
          });
        },
        (e: unknown) => {
          finished = true;
          settle((w) => w.reject(e));
        },
      );
  };

  return {
    get done() {
      return done;
    },
    step(signal) {
      if (finished) return Promise.reject(new Error(`stepwise trainer: the run has ended at unit ${done}`));
      if (waiter) return Promise.reject(new Error('stepwise trainer: a step is already running'));
      const result = new Promise<{ metrics: M; values: StepValues }>((resolve, reject) => (waiter = { resolve, reject }));
      const onAbort = () => stop.abort(signal.reason);
      if (signal.aborted) onAbort();
      else signal.addEventListener('abort', onAbort, { once: true });
      if (!running) start();
      else {
        const r = release;
        release = undefined;
        r?.();
      }
      return result.finally(() => signal.removeEventListener('abort', onAbort));
    },
    async saveState() {
      if (!state) throw new Error('stepwise trainer: no state yet (no unit has run)');
      return o.serializeState(state);
    },
    async exportPolicy() {
      if (finalPolicy && finished) return finalPolicy;
      if (!state) throw new Error('stepwise trainer: no policy yet (no unit has run)');
      return o.policyOf(state);
    },
    async close() {
      if (running && !finished) {
        stop.abort(new Error('stepwise trainer closed'));
        const r = release;
        release = undefined;
        r?.();
        await running;
      }
    },
  };
}
