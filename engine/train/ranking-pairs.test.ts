import { choose2, pairsFromRanking, rankingFromOrder, validateRanking } from './ranking-pairs';

describe('pairsFromRanking', () => {
  it('gives all C(K,2) pairs of a strict ranking, better first', () => {
    const pairs = pairsFromRanking(rankingFromOrder([2, 0, 3, 1]), 4);
    expect(pairs).toHaveLength(choose2(4));
    expect(pairs).toEqual([
      { winner: 2, loser: 0 }, { winner: 2, loser: 3 }, { winner: 2, loser: 1 },
      { winner: 0, loser: 3 }, { winner: 0, loser: 1 },
      { winner: 3, loser: 1 },
    ]);
  });

  it('skips tied pairs', () => {
    // 1 best; 0 and 2 tied; 3 last: C(4,2) − C(2,2) = 5 pairs
    const pairs = pairsFromRanking([[1], [0, 2], [3]], 4);
    expect(pairs).toHaveLength(5);
    expect(pairs).not.toContainEqual({ winner: 0, loser: 2 });
    expect(pairs).not.toContainEqual({ winner: 2, loser: 0 });
    expect(pairs).toContainEqual({ winner: 2, loser: 3 });
  });

  it('gives no pairs when everything is tied', () => {
    expect(pairsFromRanking([[0, 1, 2]], 3)).toEqual([]);
  });

  it('handles K = 2 and K = 9', () => {
    expect(pairsFromRanking([[1], [0]], 2)).toEqual([{ winner: 1, loser: 0 }]);
    expect(pairsFromRanking(rankingFromOrder([8, 7, 6, 5, 4, 3, 2, 1, 0]), 9)).toHaveLength(36);
  });

  it('rejects rankings that are not a grouping of 0..K−1', () => {
    expect(() => validateRanking([[0], [0]], 2)).toThrow('ranked twice');
    expect(() => validateRanking([[0]], 2)).toThrow('ranks 1 of 2');
    expect(() => validateRanking([[0], [2]], 2)).toThrow('index 2');
    expect(() => validateRanking([[0], []], 2)).toThrow('empty group');
    expect(() => validateRanking([[0]], 1)).toThrow('K must be 2..9');
    expect(() => validateRanking(rankingFromOrder([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]), 10)).toThrow('K must be 2..9');
  });
});
