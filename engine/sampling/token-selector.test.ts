import { Rng } from '../util/rng';
import { type SelectionRule, TokenSelector } from './token-selector';

const logits = Float32Array.from([Math.log(0.05), Math.log(0.5), Math.log(0.1), Math.log(0.3), Math.log(0.05)]);
const base: SelectionRule = { greedy: false, temperature: 1, topK: 0, topP: 1 };

/** Frequencies of each token over n draws (seeded). */
function frequencies(rule: SelectionRule, n = 20000, seed = 1): number[] {
  const sel = new TokenSelector(logits.length);
  const rng = Rng.fromSeed(seed);
  const counts = new Array<number>(logits.length).fill(0);
  for (let i = 0; i < n; i++) {
    const t = sel.select(logits, 0, rule, rng);
    counts[t]++;
    // the reported log-prob is always the unmodified temperature-1 one
    if (Math.abs(sel.logProb - logits[t]) > 1e-5) throw new Error(`logProb ${sel.logProb} of token ${t}, expected ${logits[t]}`);
  }
  return counts.map((c) => c / n);
}

function expectClose(got: number[], want: number[]): void {
  got.forEach((g, i) => expect(Math.abs(g - want[i])).toBeLessThan(0.015));
}

describe('TokenSelector', () => {
  it('greedy picks the most likely token, lowest id on ties', () => {
    const sel = new TokenSelector(5);
    expect(sel.select(logits, 0, { ...base, greedy: true }, undefined)).toBe(1);
    expect(sel.logProb).toBeCloseTo(Math.log(0.5), 6);
    expect(sel.select(Float32Array.from([0, 2, 2, 1]), 0, { ...base, greedy: true }, undefined)).toBe(1);
    // rows are read at an offset
    expect(new TokenSelector(2).select(Float32Array.from([9, 0, 0, 9]), 2, { ...base, greedy: true }, undefined)).toBe(1);
  });

  it('samples the full softmax at temperature 1', () => {
    expectClose(frequencies(base), [0.05, 0.5, 0.1, 0.3, 0.05]);
  });

  it('applies temperature to the sampling distribution only', () => {
    const p = [0.05, 0.5, 0.1, 0.3, 0.05].map((x) => Math.sqrt(x));
    const z = p.reduce((a, b) => a + b, 0);
    expectClose(frequencies({ ...base, temperature: 2 }), p.map((x) => x / z));
  });

  it('top-k keeps the k most likely tokens, renormalised', () => {
    expectClose(frequencies({ ...base, topK: 2 }), [0, 0.5 / 0.8, 0, 0.3 / 0.8, 0]);
    expectClose(frequencies({ ...base, topK: 1 }), [0, 1, 0, 0, 0]);
  });

  it('top-p keeps the smallest most likely set reaching p', () => {
    expectClose(frequencies({ ...base, topP: 0.7 }), [0, 0.5 / 0.8, 0, 0.3 / 0.8, 0]);
    expectClose(frequencies({ ...base, topP: 0.5 }), [0, 1, 0, 0, 0]);
    expectClose(frequencies({ ...base, topP: 0.85 }), [0, 0.5 / 0.9, 0.1 / 0.9, 0.3 / 0.9, 0]);
  });

  it('top-p applies to the renormalised top-k distribution (Hugging Face order)', () => {
    // top-3 = {1: .5, 3: .3, 2: .1} → renormalised .556/.333/.111: p = 0.85 keeps two, p = 0.95 all three
    expectClose(frequencies({ ...base, topK: 3, topP: 0.85 }), [0, 0.5 / 0.8, 0, 0.3 / 0.8, 0]);
    expectClose(frequencies({ ...base, topK: 3, topP: 0.95 }), [0, 0.5 / 0.9, 0.1 / 0.9, 0.3 / 0.9, 0]);
    // p = 0.5 of the top-3 mass (0.45) is reached by token 1 alone; p = 0.6 (0.54) is not
    expectClose(frequencies({ ...base, topK: 3, topP: 0.5 }), [0, 1, 0, 0, 0]);
    expectClose(frequencies({ ...base, topK: 3, topP: 0.6 }), [0, 0.5 / 0.8, 0, 0.3 / 0.8, 0]);
  });

  it('draws one uniform per token, so the same stream gives the same tokens', () => {
    const a = frequencies({ ...base, topK: 3 }, 500, 9);
    const b = frequencies({ ...base, topK: 3 }, 500, 9);
    expect(a).toEqual(b);
  });
});
