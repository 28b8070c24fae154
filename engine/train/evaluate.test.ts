import { evaluatePolicy } from './evaluate';
import { tinyWorld } from './rlhf-test-fixture';

describe('evaluatePolicy', () => {
  const world = tinyWorld(2);
  const other = tinyWorld(9);
  const prompts = world.task.heldoutPrompts.slice(0, 24).map((p) => p.text);
  const judge = (p: string, a: string, b: string): number => world.task.judge.compare(p, a, b);
  const honoured = (p: string, c: string): boolean => world.task.oracle.score(p, c).honoured;

  it('gives exactly KL 0 and a tied 0.5 win rate for a policy against itself (same seeds, same samples)', async () => {
    const ev = await evaluatePolicy({ policy: world.policy, reference: world.policy, prompts, judge, honoured }, { seed: 4, maxNewTokens: 8 });
    expect(ev.klMean).toBe(0);
    expect(ev.winRate).toBe(0.5);
    expect(ev.ties).toBe(24);
    expect(ev.winRateCi95).toEqual([0.5, 0.5]);
    expect(ev.honoured?.policy.mean).toBe(ev.honoured?.reference.mean);
    expect(ev.examples[0].policy).toBe(ev.examples[0].reference);
  });

  it('measures a positive KL between different policies and brackets the win rate', async () => {
    const ev = await evaluatePolicy({ policy: other.policy, reference: world.policy, rewardModel: undefined, prompts, judge }, { seed: 4, maxNewTokens: 8 });
    expect(ev.klMean).toBeGreaterThan(0);
    expect(ev.klCi95[0]).toBeLessThanOrEqual(ev.klMean);
    expect(ev.winRateCi95[0]).toBeLessThanOrEqual(ev.winRate);
    expect(ev.winRateCi95[1]).toBeGreaterThanOrEqual(ev.winRate);
    expect(ev.wins + ev.ties + ev.losses).toBe(24);
    expect(ev.responseLength.policy).toBeLessThanOrEqual(8);
  });
});
