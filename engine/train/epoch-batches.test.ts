import { Rng } from '../util/rng';
import { EpochBatches } from './epoch-batches';

describe('EpochBatches', () => {
  it('covers every item exactly once per epoch, with a short last batch, in a new order each epoch', () => {
    const b = new EpochBatches(Rng.fromSeed(7).fork('data'), 10, 4);
    expect(b.perEpoch).toBe(3);
    const epochs = [0, 1].map((e) => [0, 1, 2].map((s) => b.at(e * 3 + s)));
    for (const batches of epochs) {
      expect(batches.map((x) => x.length)).toEqual([4, 4, 2]);
      expect(batches.flat().sort((x, y) => x - y)).toEqual([...Array(10).keys()]);
    }
    expect(epochs[0].flat()).not.toEqual(epochs[1].flat());
  });

  it('draws the batch of a step from (seed, step) alone, so a resumed run matches an uninterrupted one', () => {
    const straight = new EpochBatches(Rng.fromSeed(3).fork('rm-data'), 23, 5);
    const all = Array.from({ length: 17 }, (_, s) => straight.at(s));
    const resumed = new EpochBatches(Rng.fromSeed(3).fork('rm-data'), 23, 5);
    expect(Array.from({ length: 7 }, (_, i) => resumed.at(10 + i))).toEqual(all.slice(10));
    // the order is root.fork(`epoch:e`) shuffling 0…count−1, as the trainers drew it before this class
    expect(all[0]).toEqual(Rng.fromSeed(3).fork('rm-data').fork('epoch:0').shuffle([...Array(23).keys()]).slice(0, 5));
    expect(new EpochBatches(Rng.fromSeed(4).fork('rm-data'), 23, 5).at(0)).not.toEqual(all[0]);
  });

  it('rejects an empty data set or a non-positive batch, naming the value', () => {
    expect(() => new EpochBatches(Rng.fromSeed(1), 0, 4)).toThrow('count must be a positive integer, got 0');
    expect(() => new EpochBatches(Rng.fromSeed(1), 5, 0)).toThrow('batch must be a positive integer, got 0');
  });
});
