import { buildEpisodes, tokenRewards } from './ppo-rollout';

const f32 = (xs: number[]): Float32Array => Float32Array.from(xs);

describe('tokenRewards', () => {
  it('puts −β·(old − ref) on every token and the score on the last', () => {
    const { rewards, kl } = tokenRewards([-1, -2, -0.5], [-1.5, -2, -0.25], 2, 0.1);
    // per-token KL 0.5, 0, −0.25
    expect(kl).toBeCloseTo(0.25, 12);
    expect(rewards[0]).toBeCloseTo(-0.05, 12);
    expect(rewards[1]).toBeCloseTo(0, 12);
    expect(rewards[2]).toBeCloseTo(0.025 + 2, 12);
  });
  it('rejects mismatched or empty completions', () => {
    expect(() => tokenRewards([1], [1, 2], 0, 0.1)).toThrow('1 policy log-probs but 2 reference');
    expect(() => tokenRewards([], [], 0, 0.1)).toThrow('empty completion');
  });
});

describe('buildEpisodes', () => {
  const seq = (n: number) => ({ prompt: [5, 6], completion: Array.from({ length: n }, (_, i) => 10 + i) });
  const items = [
    { sequence: seq(2), finished: true, oldLogProbs: f32([-1, -1]), refLogProbs: f32([-1, -1]), values: f32([0, 0]), score: 1 },
    { sequence: seq(3), finished: false, oldLogProbs: f32([-1, -1, -1]), refLogProbs: f32([-1, -1, -1]), values: f32([0, 0, 0]), score: 1 },
  ];

  it('penalises completions that did not finish and computes γ = λ = 1 returns', () => {
    const eps = buildEpisodes(items, { beta: 0.1, gamma: 1, lambda: 1, missingEosPenalty: 0.5, whitenAdvantages: false });
    expect(eps[0].finalReward).toBe(1);
    expect(eps[1].finalReward).toBe(0.5);
    // zero KL and zero values: every token's return is the final reward
    expect(Array.from(eps[0].returns)).toEqual([1, 1]);
    expect(Array.from(eps[1].returns)).toEqual([0.5, 0.5, 0.5]);
    expect(Array.from(eps[1].advantages)).toEqual([0.5, 0.5, 0.5]);
  });

  it('whitens advantages over all tokens of the rollout', () => {
    const eps = buildEpisodes(items, { beta: 0.1, gamma: 1, lambda: 1, missingEosPenalty: 0.5 });
    const all = [...eps[0].advantages, ...eps[1].advantages];
    const m = all.reduce((s, x) => s + x, 0) / all.length;
    const sd = Math.sqrt(all.reduce((s, x) => s + (x - m) ** 2, 0) / all.length);
    expect(m).toBeCloseTo(0, 9);
    expect(sd).toBeCloseTo(1, 6);
    // the finished episode had the larger raw advantage
    expect(eps[0].advantages[0]).toBeGreaterThan(eps[1].advantages[0]);
  });
});
