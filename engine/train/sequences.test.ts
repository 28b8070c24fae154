import { packRankingBatch } from './ranking-batch';
import { bucketLength, packBatch } from './sequences';

describe('packBatch', () => {
  it('right-pads, shifts targets and masks exactly the completion targets', () => {
    const p = packBatch([{ prompt: [7, 8, 9], completion: [4, 0] }], 2, 6, 0);
    expect(Array.from(p.inputIds, Number)).toEqual([7, 8, 9, 4, 0, 0, 0, 0, 0, 0, 0, 0]);
    expect(Array.from(p.targets, Number)).toEqual([8, 9, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    // positions 2 and 3 predict the completion tokens 4 and EOS
    expect(Array.from(p.completionMask)).toEqual([0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0]);
    expect(Array.from(p.attentionMask)).toEqual([1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0]);
    expect(p.lengths).toEqual([5, 0]);
  });
  it('names the row that does not fit', () => {
    expect(() => packBatch([{ prompt: [1], completion: [2] }, { prompt: [1, 2, 3], completion: [4, 5] }], 2, 4, 0)).toThrow('row 1 has 5 tokens');
    expect(() => packBatch([{ prompt: [1], completion: [2] }], 0, 4, 0)).toThrow('do not fit in 0 rows');
  });
  it('buckets lengths', () => {
    expect(bucketLength(33)).toBe(40);
    expect(bucketLength(40)).toBe(40);
    expect(bucketLength(70, 8, 64)).toBe(64);
  });
});

describe('packRankingBatch', () => {
  it('lays out each ranking in kMax rows and weights its pairs 1/(B·pairs)', () => {
    const s = (c: number) => ({ prompt: [1, 2], completion: [c, 0] });
    const items = [
      { source: { prompt: 'a', completions: ['x', 'y', 'z'], ranking: [[2], [0], [1]] }, sequences: [s(3), s(4), s(5)] },
      { source: { prompt: 'b', completions: ['x', 'y'], ranking: [[0, 1]] }, sequences: [s(6), s(7)] },
    ];
    const b = packRankingBatch(items, { batch: 3, kMax: 3, seq: 4 }, 0);
    expect(b.packed.rows).toBe(9);
    expect(b.pairCount).toBe(3);
    // ranking 0: pairs (2,0), (2,1), (0,1) in rows 0..2, weight 1/(3·3)
    expect(Array.from(b.winners.slice(0, 3), Number)).toEqual([2, 2, 0]);
    expect(Array.from(b.losers.slice(0, 3), Number)).toEqual([0, 1, 1]);
    expect(b.weights[0]).toBeCloseTo(1 / 9, 7);
    // ranking 1 is all tied: no pairs; the third batch element is padding
    expect(Array.from(b.weights.slice(3))).toEqual([0, 0, 0, 0, 0, 0]);
    expect(Array.from(b.packed.inputIds.slice(12, 16), Number)).toEqual([1, 2, 6, 0]);
    expect(b.packed.lengths.slice(5)).toEqual([0, 0, 0, 0]);
  });
});
