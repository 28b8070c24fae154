import type { Client } from '@temporalio/client';
import { rankingSubmittedSignal } from '../../workflows/experiment-contract';
import type { Logger } from './logger';

interface Pending {
  roundIndex: number;
  completedTasks: number;
}

/**
 * Sends `rankingSubmittedSignal` to experiment workflows after rankings commit. A count for a workflow with no signal
 * in flight goes out at once, so an idle round hears of each ranking after one round trip. Whatever arrives while
 * one is in flight is merged into a single follow-up carrying the highest count (counts are absolute, so nothing is
 * lost by merging), sent when the one in flight has returned and at least `followUpMinIntervalMs` after it started.
 * A busy round therefore costs the workflow at most one signal per interval (a few history events a second instead
 * of one per ranking, and Temporal's CPU with them), and a count waits at most about one interval plus two round
 * trips. Failures are logged and dropped — the ranking is already stored and the workflow re-reads counts from the
 * database — so a signal can never fail a request.
 */
export class RankingSignaler {
  /** Per workflow: the chain that sends its signal and then its follow-ups, until nothing is pending. */
  private readonly inFlight = new Map<string, Promise<void>>();
  private readonly pending = new Map<string, Pending>();
  /**
   * Counters for tests and metrics: `sentAtOnce` signals started by `notify` itself (none was in flight),
   * `followUps` those started after one in flight returned, `coalesced` counts merged into a waiting follow-up.
   */
  readonly stats = { requested: 0, sent: 0, failed: 0, coalesced: 0, sentAtOnce: 0, followUps: 0 };

  constructor(
    private readonly client: Client,
    private readonly logger: Logger,
    private readonly timeoutMs: number,
    /** Least time between the starts of a signal and its follow-up to one workflow (0 = as soon as it returns). */
    private readonly followUpMinIntervalMs = 0,
  ) {}

  /** Sends the round's absolute completed-task count now, or merges it into the follow-up if one is in flight; returns at once. */
  notify(workflowId: string, roundIndex: number, completedTasks: number): void {
    this.stats.requested++;
    if (!this.inFlight.has(workflowId)) {
      this.stats.sentAtOnce++;
      this.inFlight.set(workflowId, this.sendAndFollowUp(workflowId, { roundIndex, completedTasks }));
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

  /** Sends `first`, then each follow-up that gathered meanwhile (spaced), and leaves the workflow idle. */
  private async sendAndFollowUp(workflowId: string, first: Pending): Promise<void> {
    let next: Pending | undefined = first;
    while (next) {
      const started = performance.now();
      await this.send(workflowId, next);
      if (!this.pending.has(workflowId)) break;
      const wait = this.followUpMinIntervalMs - (performance.now() - started);
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      next = this.pending.get(workflowId);
      this.pending.delete(workflowId);
      this.stats.followUps++;
    }
    this.inFlight.delete(workflowId);
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
