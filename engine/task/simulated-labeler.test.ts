import { Rng } from '../util/rng';
import { createBuiltinTask } from './builtin-task';
import { generateCompletion } from './demonstrations';
import { flipProbability } from './simulated-labeler';
import type { TaskPrompt } from './prompts';

// Completions of mixed quality for one prompt: honouring or not, sometimes damaged the way a small model damages
// text (lost period, repeated word, garbage word, truncation).
function completions(p: TaskPrompt, k: number, rng: Rng): string[] {
  return Array.from({ length: k }, () => {
    let c = generateCompletion(p, rng.bernoulli(0.4), rng);
    const damage = rng.int(5);
    if (damage === 1) c = c.slice(0, -1);
    if (damage === 2) c = c.replace(' ', ' cat ');
    if (damage === 3) c = c.replace(' ', ' qzx ');
    if (damage === 4) c = `${c.split(' ').slice(0, 3).join(' ')}`;
    return c;
  });
}

function measureFlips(noise: number, seed: number, rounds: number): { flipped: number; pairs: number } {
  const task = createBuiltinTask({ demonstrations: 0, pretrainTexts: 0 });
  const labeler = task.simulatedLabeler({ noise, seed });
  const rng = Rng.fromSeed(seed);
  let flipped = 0;
  let pairs = 0;
  for (let r = 0; r < rounds; r++) {
    const p = task.trainPrompts[r % task.trainPrompts.length];
    const cs = completions(p, 2 + rng.int(8), rng);
    const { order, scores } = labeler.rank(p, cs);
    const pos = new Map(order.map((c, i) => [c, i]));
    for (let a = 0; a < cs.length; a++) {
      for (let b = a + 1; b < cs.length; b++) {
        if (Math.abs(scores[a] - scores[b]) <= 1e-9) continue;
        pairs++;
        const better = scores[a] > scores[b] ? a : b;
        const worse = better === a ? b : a;
        if ((pos.get(better) as number) > (pos.get(worse) as number)) flipped++;
      }
    }
  }
  return { flipped, pairs };
}

describe('simulated labeler', () => {
  const task = createBuiltinTask({ demonstrations: 0, pretrainTexts: 0 });
  const p = task.trainPrompts[0];

  it('ranks exactly by the oracle without noise', () => {
    const labeler = task.simulatedLabeler({ noise: 0, seed: 1 });
    const rng = Rng.fromSeed(1);
    for (let i = 0; i < 200; i++) {
      const cs = completions(p, 2 + rng.int(8), rng);
      const { order, scores } = labeler.rank(p, cs);
      for (let j = 1; j < order.length; j++) expect(scores[order[j - 1]]).toBeGreaterThanOrEqual(scores[order[j]]);
      expect([...order].sort()).toEqual(cs.map((_, j) => j));
    }
  });

  it.each([0.1, 0.25])('flips about %p of the pairs at that noise level', (noise) => {
    const { flipped, pairs } = measureFlips(noise, 7, 3000);
    expect(pairs).toBeGreaterThan(20_000);
    // Binomial standard error at 20k pairs is ≈ 0.003; pairs within one call are correlated, so allow 0.015.
    expect(Math.abs(flipped / pairs - noise)).toBeLessThan(0.015);
  });

  it('flips close pairs more often than distant ones', () => {
    expect(flipProbability(0.1, 1)).toBeGreaterThan(flipProbability(5, 1));
    expect(flipProbability(0, 1)).toBe(0.5);
  });

  it('is reproducible: same seed and key give the same ranking whatever the call order', () => {
    const rng = Rng.fromSeed(2);
    const sets = Array.from({ length: 20 }, () => completions(p, 5, rng));
    const a = task.simulatedLabeler({ noise: 0.2, seed: 9 });
    const b = task.simulatedLabeler({ noise: 0.2, seed: 9 });
    const forward = sets.map((cs, i) => a.rank(p, cs, `task-${i}`).order);
    const backward = sets.map((_, i) => 19 - i).map((i) => b.rank(p, sets[i], `task-${i}`).order).reverse();
    expect(backward).toEqual(forward);
    const c = task.simulatedLabeler({ noise: 0.2, seed: 10 });
    expect(sets.map((cs, i) => c.rank(p, cs, `task-${i}`).order)).not.toEqual(forward);
  });

  it('groups identical completions as ties when asked to', () => {
    const labeler = task.simulatedLabeler({ noise: 0.1, seed: 3, markTies: true });
    const good = 'the blue cat sleeps on the mat.';
    const r = labeler.rank(task.oracle.prompt(p), [good, 'qq', good, 'cats sleep.']);
    const tied = r.groups.find((g) => g.includes(0)) as number[];
    expect([...tied].sort()).toEqual([0, 2]);
    expect(r.order).toHaveLength(4);
  });

  it('refuses K outside 2..9 and noise outside [0, 0.5)', () => {
    const labeler = task.simulatedLabeler({ noise: 0.1, seed: 1 });
    expect(() => labeler.rank(p, ['a'])).toThrow(/2\.\.9/);
    expect(() => labeler.rank(p, Array(10).fill('a'))).toThrow(/2\.\.9/);
    expect(() => task.simulatedLabeler({ noise: 0.5, seed: 1 })).toThrow(/noise/);
  });
});
