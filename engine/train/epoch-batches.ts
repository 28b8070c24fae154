import type { Rng } from '../util/rng';

/**
 * The item indices of each optimizer step of a trainer that walks its data in epochs of `ceil(count / batch)`
 * batches (the last one of an epoch may be short): epoch e's order is `root.fork('epoch:e')` shuffling 0…count−1.
 * The batch of a step is a pure function of (root, step), so a run resumed at step s draws exactly the batches the
 * uninterrupted run drew — the reward-model and DPO trainers keep only their step in a checkpoint.
 */
export class EpochBatches {
  /** Batches per epoch. */
  readonly perEpoch: number;
  private order: number[] = [];
  private orderEpoch = -1;

  constructor(
    private readonly root: Rng,
    readonly count: number,
    readonly batch: number,
  ) {
    if (!Number.isInteger(count) || count < 1) throw new Error(`EpochBatches: count must be a positive integer, got ${count}`);
    if (!Number.isInteger(batch) || batch < 1) throw new Error(`EpochBatches: batch must be a positive integer, got ${batch}`);
    this.perEpoch = Math.ceil(count / batch);
  }

  /** The indices of step `step`'s batch (0-based step). */
  at(step: number): number[] {
    const epoch = Math.floor(step / this.perEpoch);
    if (epoch !== this.orderEpoch) {
      this.order = this.root.fork(`epoch:${epoch}`).shuffle([...Array(this.count).keys()]);
      this.orderEpoch = epoch;
    }
    const start = (step % this.perEpoch) * this.batch;
    return this.order.slice(start, start + this.batch);
  }
}
