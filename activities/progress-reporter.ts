import type { Context } from '@temporalio/activity';
import { recordTrainingProgress } from '../lib/domain/record-training-progress';
import type { ResolvedActivityDeps } from './activity-deps';
import type { EngineProgress } from './experiment-engine';

/** One metric value at a step (for {@link ProgressReporter.addPoints}). */
export interface ProgressPoint {
  name: string;
  step: number;
  value: number;
}

/**
 * Turns an engine's progress callbacks into heartbeats (so Temporal sees the activity alive and can deliver a
 * cancellation) and into per-step metric rows, written in batches while the step runs. Heartbeats carry the
 * details a retry resumes from, merged with the latest progress.
 */
export class ProgressReporter {
  private points: ProgressPoint[] = [];
  private lastBeat = 0;
  private pending: Promise<void> = Promise.resolve();
  private writeError: unknown;
  private details: Record<string, unknown> = {};

  constructor(
    private readonly ctx: Context,
    private readonly deps: ResolvedActivityDeps,
    private readonly where: { experimentId: string; roundIndex: number | null; actor: string },
    /** Metric name prefix for engine progress values, e.g. `sft` → `sft/loss`. */
    private readonly prefix: string,
  ) {}

  /** Sends a heartbeat now with these details merged into the last ones (resume points are sent this way). */
  beat(details: Record<string, unknown> = {}): void {
    this.details = { ...this.details, ...details };
    this.lastBeat = Date.now();
    this.ctx.heartbeat(this.details);
  }

  /** The engine's progress callback. */
  readonly onProgress = (p: EngineProgress): void => {
    for (const [name, value] of Object.entries(p.values ?? {})) {
      if (Number.isFinite(value)) this.points.push({ name: `${this.prefix}/${name}`, step: p.done, value });
    }
    if (Date.now() - this.lastBeat >= this.deps.config.heartbeatEveryMs) this.beat({ done: p.done, total: p.total });
    if (this.points.length >= 100) this.flushInBackground();
  };

  /** Adds metric points (already named). */
  addPoints(points: ProgressPoint[]): void {
    this.points.push(...points);
  }

  private flushInBackground(): void {
    const batch = this.points;
    this.points = [];
    this.pending = this.pending.then(() =>
      recordTrainingProgress(this.deps.db, { experimentId: this.where.experimentId, roundIndex: this.where.roundIndex, points: batch, actor: this.where.actor }).then(
        () => undefined,
        (e: unknown) => {
          this.writeError ??= e;
        },
      ),
    );
  }

  /** Writes what is buffered, with an optional audit event in the same transaction; rethrows a failed write. */
  async flush(event?: { action: string; subject: { type: string; id: string }; data?: Record<string, unknown> }): Promise<void> {
    const batch = this.points;
    this.points = [];
    await this.pending;
    if (this.writeError) throw this.writeError;
    if (batch.length === 0 && !event) return;
    await recordTrainingProgress(this.deps.db, { experimentId: this.where.experimentId, roundIndex: this.where.roundIndex, points: batch, actor: this.where.actor, event });
  }
}
