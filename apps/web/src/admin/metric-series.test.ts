import { hasValues, perRoundSeries, roundLabel } from './metric-series';

const p = (name: string, round: number, step: number, value: number) => ({ name, round, step, value, at: '2026-11-30T00:00:00Z' });

describe('perRoundSeries', () => {
  it('takes each metric’s value at the last step of each round, aligned on the union of rounds', () => {
    const s = perRoundSeries(
      [p('ppo/kl_mean', 1, 6, 0.4), p('ppo/kl_mean', 1, 12, 0.9), p('ppo/kl_mean', 2, 12, 1.4), p('eval/win_rate', 2, 0, 0.7), p('eval/win_rate', 1, 0, 0.6), p('other', 3, 0, 1)],
      ['ppo/kl_mean', 'eval/win_rate', 'rm/heldout_acc'],
    );
    expect(s.rounds).toEqual([1, 2]);
    expect(s.values['ppo/kl_mean']).toEqual([0.9, 1.4]);
    expect(s.values['eval/win_rate']).toEqual([0.6, 0.7]);
    expect(s.values['rm/heldout_acc']).toEqual([null, null]);
    expect(hasValues(s, ['rm/heldout_acc'])).toBe(false);
    expect(hasValues(s, ['rm/heldout_acc', 'eval/win_rate'])).toBe(true);
  });

  it('leaves gaps where a round lacks a metric, and labels round 0 as the start', () => {
    const s = perRoundSeries([p('a', 0, 0, 1), p('b', 2, 0, 2)], ['a', 'b']);
    expect(s.rounds).toEqual([0, 2]);
    expect(s.values).toEqual({ a: [1, null], b: [null, 2] });
    expect(roundLabel(0)).toBe('start');
    expect(roundLabel(3)).toBe('round 3');
  });
});
