import { displayRanks, dropIndex, initialRanking, isTied, moveDown, moveTo, moveUp, toOrdering, toggleTie, type RankingState } from './ranking-state';

const r = (order: string, tied = ''): RankingState => ({ order: order.split(''), tied: order.slice(1).split('').map((_, i) => tied.includes(String(i))) });
const show = (s: RankingState) => s.order.map((id, i) => id + (i < s.tied.length ? (s.tied[i] ? '=' : '>') : '')).join('');

describe('ranking state', () => {
  it('starts in the order shown, untied', () => {
    expect(show(initialRanking(['a', 'b', 'c']))).toBe('a>b>c');
    expect(initialRanking(['a']).tied).toEqual([]);
  });

  it('moves one place up and down, and clamps at the ends', () => {
    expect(show(moveUp(r('abcd'), 2))).toBe('a>c>b>d');
    expect(show(moveDown(r('abcd'), 0))).toBe('b>a>c>d');
    expect(moveUp(r('abcd'), 0)).toEqual(r('abcd'));
    expect(moveDown(r('abcd'), 3)).toEqual(r('abcd'));
  });

  it('moving out of a tie ranks the item strictly above or below its former group', () => {
    // a = b > c: moving b up puts it above a, untied
    expect(show(moveUp(r('abc', '0'), 1))).toBe('b>a>c');
    // a = b = c: moving b down leaves a = c tied and puts b last
    expect(show(moveDown(r('abc', '01'), 1))).toBe('a=c>b');
    // a > b = c: moving b up at the top: it passes a
    expect(show(moveUp(r('abc', '1'), 1))).toBe('b>a>c');
    // at the top, "up" unties only
    expect(show(moveUp(r('abc', '0'), 0))).toBe('a>b>c');
  });

  it('moves to any position (number keys, drag)', () => {
    expect(show(moveTo(r('abcd'), 3, 0))).toBe('d>a>b>c');
    expect(show(moveTo(r('abcd'), 0, 9))).toBe('b>c>d>a');
    expect(show(moveTo(r('abcd', '12'), 0, 2))).toBe('b=c>a>d');
  });

  it('toggles a tie between neighbours and ignores gaps that do not exist', () => {
    expect(show(toggleTie(r('abc'), 1))).toBe('a>b=c');
    expect(show(toggleTie(r('abc', '1'), 1))).toBe('a>b>c');
    expect(toggleTie(r('abc'), 2)).toEqual(r('abc'));
    expect(toggleTie(r('abc'), -1)).toEqual(r('abc'));
  });

  it('shows competition ranks and knows who is tied', () => {
    const s = r('abcd', '12');
    expect(displayRanks(s)).toEqual([1, 2, 2, 2]);
    expect(displayRanks(r('abcd', '0'))).toEqual([1, 1, 3, 4]);
    expect([0, 1, 2, 3].map((i) => isTied(s, i))).toEqual([false, true, true, true]);
  });

  it('turns into the API ordering with tie groups', () => {
    expect(toOrdering(r('abcd'))).toEqual(['a', 'b', 'c', 'd']);
    expect(toOrdering(r('abcd', '02'))).toEqual([['a', 'b'], ['c', 'd']]);
    expect(toOrdering(r('abcd', '012'))).toEqual([['a', 'b', 'c', 'd']]);
  });

  it('finds the drop position from the pointer and the items’ midpoints', () => {
    const mids = [50, 150, 250, 350];
    expect(dropIndex(mids, 10, 2)).toBe(0);
    expect(dropIndex(mids, 200, 0)).toBe(1); // past the first two midpoints, minus itself
    expect(dropIndex(mids, 400, 0)).toBe(3);
    expect(dropIndex(mids, 120, 3)).toBe(1);
    expect(dropIndex(mids, 260, 2)).toBe(2);
  });
});
