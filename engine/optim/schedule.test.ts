import { warmupCosine } from './schedule';

describe('warm-up + cosine schedule', () => {
  const lr = warmupCosine({ peakLr: 1e-3, warmupSteps: 10, totalSteps: 110, minLr: 1e-4 });

  it('ramps linearly, peaks at the end of warm-up, halves at mid-decay and floors at minLr', () => {
    expect(lr(1)).toBeCloseTo(1e-4, 12);
    expect(lr(5)).toBeCloseTo(5e-4, 12);
    expect(lr(10)).toBeCloseTo(1e-3, 12);
    expect(lr(60)).toBeCloseTo(1e-4 + 0.5 * 9e-4, 12);
    expect(lr(110)).toBeCloseTo(1e-4, 12);
    expect(lr(500)).toBeCloseTo(1e-4, 12);
    for (let s = 11; s < 110; s++) expect(lr(s + 1)).toBeLessThan(lr(s));
  });

  it('rejects nonsense', () => {
    expect(() => lr(0)).toThrow('step must be a positive integer');
    expect(() => warmupCosine({ peakLr: 1, warmupSteps: 5, totalSteps: 3 })).toThrow('totalSteps 3 must be an integer ≥ warmupSteps 5');
  });
});
