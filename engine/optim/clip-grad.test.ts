import { clipGradNorm, clipScale, globalGradNorm } from './clip-grad';

describe('global-norm gradient clipping', () => {
  it('computes the norm across all tensors', () => {
    expect(globalGradNorm([Float32Array.from([3]), Float32Array.from([0, 4])])).toBe(5);
  });

  it('scales down only above the limit, like clip_grad_norm_', () => {
    expect(clipScale(5, 10)).toBe(1);
    expect(clipScale(20, 10)).toBeCloseTo(10 / (20 + 1e-6), 12);
    const g = [Float32Array.from([3]), Float32Array.from([0, 4])];
    expect(clipGradNorm(g, 1)).toBe(5);
    expect(globalGradNorm(g)).toBeCloseTo(1, 5);
    expect(() => clipScale(NaN, 1)).toThrow('clipScale: gradient norm is NaN');
  });
});
