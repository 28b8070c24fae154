import type { Client } from '@temporalio/client';
import { rankingSubmittedSignal } from '../../workflows/experiment-contract';
import type { Logger } from './logger';

interface Pending {
  roundIndex: number;
  completedTasks: number;
}

/**
 * Sends `rankingSubmittedSignal` to experiment workflows after rankings commit, coalescing bursts: at most one
 * signal per workflow is in flight, whatever arrives meanwhile is merged into one follow-up carrying the highest
 * count (counts are absolute, so nothing is lost by merging), and follow-ups start at least `minIntervalMs` apart
 * (a busy round then costs the workflow a few history events a second, not one per ranking). Failures are logged and dropped — the
 * ranking is already stored and the workflow re-reads counts from the database — so a signal can never fail a
 * request.
 */
export class RankingSignaler {
  private readonly inFlight = new Map<string, Promise<void>>();
  private readonly pending = new Map<string, Pending>();
  /** When the last signal to each workflow started (ms, performance clock). */
  private readonly lastStart = new Map<string, number>();
  /** Counters for tests and metrics. */
  readonly stats = { requested: 0, sent: 0, failed: 0, coalesced: 0 };

  constructor(
    private readonly client: Client,
    private readonly logger: Logger,
    private readonly timeoutMs: number,
    /** Least time between the starts of two signals to one workflow (0 = back to back). */
    private readonly minIntervalMs = 0,
  ) {}

  /** Queues a signal with the round's absolute completed-task count; returns at once. */
  notify(workflowId: string, roundIndex: number, completedTasks: number): void {
    this.stats.requested++;
    const p = this.pending.get(workflowId);
    if (p) {
      this.stats.coalesced++;
      if (roundIndex > p.roundIndex || (roundIndex === p.roundIndex && completedTasks > p.completedTasks)) this.pending.set(workflowId, { roundIndex, completedTasks });
    } else {
      this.pending.set(workflowId, { roundIndex, completedTasks });
    }
    if (!this.inFlight.has(workflowId)) this.pump(workflowId);
  }

  /** Resolves when every queued signal was sent or given up. */
  async drain(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight.values()]);
  }

  private pump(workflowId: string): void {
    const next = this.pending.get(workflowId);
    if (!next) return;
    const start = (s: Pending) => {
      this.pending.delete(workflowId);
      this.lastStart.set(workflowId, performance.now());
      return this.send(workflowId, s);
    };
    const wait = this.minIntervalMs - (performance.now() - (this.lastStart.get(workflowId) ?? -Infinity));
    // Due now: send at once. Otherwise wait out the interval; what arrives meanwhile merges into this signal.
    const run = (wait <= 0 ? start(next) : new Promise((r) => setTimeout(r, wait)).then(() => start(this.pending.get(workflowId) ?? next))).finally(() => {
      this.inFlight.delete(workflowId);
      this.pump(workflowId);
    });
    this.inFlight.set(workflowId, run);
  }

  private async send(workflowId: string, s: Pending): Promise<void> {
    try {
      await this.client.withDeadline(Date.now() + this.timeoutMs, () => this.client.workflow.getHandle(workflowId).signal(rankingSubmittedSignal, s));
      this.stats.sent++;
    } catch (e) {
      this.stats.failed++;
      this.logger.warn('ranking signal not delivered; the workflow will resync from the database', { workflowId, roundIndex: s.roundIndex, completedTasks: s.completedTasks, error: e });
    }
  }
}
