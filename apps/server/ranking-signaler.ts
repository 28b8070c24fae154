import type { Client } from '@temporalio/client';
import { rankingSubmittedSignal } from '../../workflows/experiment-contract';
import type { Logger } from './logger';

interface Pending {
  roundIndex: number;
  completedTasks: number;
}

/**
 * Sends `rankingSubmittedSignal` to experiment workflows after rankings commit. At most one signal per workflow is
 * in flight: a count for a workflow with none in flight goes out at once (an idle round hears of each ranking after
 * one round trip), and whatever arrives while one is in flight is merged into a single follow-up carrying the highest
 * count (counts are absolute, so nothing is lost by merging), sent as soon as the one in flight returns. A busy round
 * therefore costs the workflow at most one signal per round trip, never one per ranking, and a count waits at most
 * two round trips. Failures are logged and dropped — the ranking is already stored and the workflow re-reads counts
 * from the database — so a signal can never fail a request.
 */
export class RankingSignaler {
  private readonly inFlight = new Map<string, Promise<void>>();
  private readonly pending = new Map<string, Pending>();
  /**
   * Counters for tests and metrics: `sentAtOnce` signals started by `notify` itself (none was in flight),
   * `followUps` those started when the one in flight returned, `coalesced` counts merged into a waiting follow-up.
   */
  readonly stats = { requested: 0, sent: 0, failed: 0, coalesced: 0, sentAtOnce: 0, followUps: 0 };

  constructor(
    private readonly client: Client,
    private readonly logger: Logger,
    private readonly timeoutMs: number,
  ) {}

  /** Sends the round's absolute completed-task count now, or merges it into the follow-up if one is in flight; returns at once. */
  notify(workflowId: string, roundIndex: number, completedTasks: number): void {
    this.stats.requested++;
    if (!this.inFlight.has(workflowId)) {
      this.stats.sentAtOnce++;
      this.start(workflowId, { roundIndex, completedTasks });
      return;
    }
    const p = this.pending.get(workflowId);
    if (p) this.stats.coalesced++;
    if (!p || roundIndex > p.roundIndex || (roundIndex === p.roundIndex && completedTasks > p.completedTasks)) this.pending.set(workflowId, { roundIndex, completedTasks });
  }

  /** Resolves when every queued signal was sent or given up. */
  async drain(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight.values()]);
  }

  private start(workflowId: string, s: Pending): void {
    const run = this.send(workflowId, s).finally(() => {
      this.inFlight.delete(workflowId);
      const next = this.pending.get(workflowId);
      if (!next) return;
      this.pending.delete(workflowId);
      this.stats.followUps++;
      this.start(workflowId, next);
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
