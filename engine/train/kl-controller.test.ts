import { KlController } from './kl-controller';

describe('KlController', () => {
  it('raises β when KL is above target and lowers it when below (Ziegler et al.)', () => {
    const c = new KlController({ initCoef: 0.2, adaptive: true, target: 6, horizon: 100 });
    // e = clip(9/6 − 1, ±0.2) = 0.2 → β·(1 + 0.2·10/100)
    expect(c.update(9, 10)).toBeCloseTo(0.2 * 1.02, 15);
    // e = 5.4/6 − 1 = −0.1 → ×(1 − 0.1·10/100)
    expect(c.update(5.4, 10)).toBeCloseTo(0.2 * 1.02 * 0.99, 15);
    // far below target: the error is clipped at −0.2
    expect(c.update(0, 50)).toBeCloseTo(0.2 * 1.02 * 0.99 * 0.9, 15);
  });

  it('keeps β fixed when not adaptive', () => {
    const c = new KlController({ initCoef: 0.05, adaptive: false });
    expect(c.update(100, 64)).toBe(0.05);
  });

  it('round-trips its state exactly through JSON', () => {
    const a = new KlController({ initCoef: 0.1, adaptive: true, target: 4, horizon: 300 });
    a.update(7.3, 32);
    const b = KlController.fromState(JSON.parse(JSON.stringify(a.state())));
    for (const kl of [1, 9, 4.4]) expect(b.update(kl, 32)).toBe(a.update(kl, 32));
  });

  it('rejects bad settings, naming them', () => {
    expect(() => new KlController({ initCoef: 0.1, adaptive: true, horizon: 10 })).toThrow('target');
    expect(() => new KlController({ initCoef: 0.1, adaptive: true, target: 6 })).toThrow('horizon');
    expect(() => new KlController({ initCoef: -1, adaptive: false })).toThrow('initCoef');
    expect(() => new KlController({ initCoef: 0.1, adaptive: false }).update(NaN, 1)).toThrow('KL is NaN');
  });
});
