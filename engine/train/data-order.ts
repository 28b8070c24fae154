import { Rng, type Seed } from '../util/rng';

/** Where a {@link DataOrder} stands: JSON for checkpoints. */
export interface DataOrderState {
  epoch: number;
  position: number;
}

/**
 * Seeded epoch-by-epoch shuffling of `size` items. Epoch e's permutation is `Rng.fromSeed(seed).fork('epoch:e')`
 * applied to 0…size−1, so the order is a pure function of (seed, epoch) and the state is two integers: a
 * resumed run draws exactly the batches the uninterrupted run would have.
 */
export class DataOrder {
  private perm: number[] = [];
  private permEpoch = -1;
  private epoch = 0;
  private position = 0;

  constructor(
    readonly size: number,
    readonly seed: Seed,
    state?: DataOrderState,
  ) {
    if (!Number.isInteger(size) || size < 1) throw new Error(`DataOrder: size must be a positive integer, got ${size}`);
    if (state) {
      if (!Number.isInteger(state.epoch) || state.epoch < 0 || !Number.isInteger(state.position) || state.position < 0 || state.position > size) {
        throw new Error(`DataOrder: bad state ${JSON.stringify(state)} for ${size} items`);
      }
      this.epoch = state.epoch;
      this.position = state.position;
    }
  }

  /** The next `n` item indices; an epoch boundary continues into the next epoch's permutation. */
  next(n: number): number[] {
    const out: number[] = [];
    while (out.length < n) {
      if (this.position >= this.size) {
        this.epoch++;
        this.position = 0;
      }
      if (this.permEpoch !== this.epoch) {
        this.perm = Rng.fromSeed(this.seed).fork(`epoch:${this.epoch}`).shuffle([...Array(this.size).keys()]);
        this.permEpoch = this.epoch;
      }
      out.push(this.perm[this.position++]);
    }
    return out;
  }

  state(): DataOrderState {
    return { epoch: this.epoch, position: this.position };
  }
}
