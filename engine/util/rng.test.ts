import { Rng } from './rng';

// Reference values come from Blackman & Vigna's C code (xoshiro128starstar.c, splitmix64.c) compiled with gcc:
// state {1,2,3,4} for the raw generator, and seed 42 expanded by SplitMix64 (low/high halves of two outputs).
describe('Rng (xoshiro128**)', () => {
  it('matches the reference implementation from a raw state', () => {
    const rng = Rng.fromState({ algorithm: 'xoshiro128**', s: [1, 2, 3, 4] });
    const out = Array.from({ length: 6 }, () => rng.nextUint32());
    expect(out).toEqual([11520, 0, 5927040, 70819200, 2031721883, 1637235492]);
  });

  it('expands a numeric seed with SplitMix64 like the reference', () => {
    const rng = Rng.fromSeed(42);
    expect(rng.state().s).toEqual([803958421, 3184996902, 2993090819, 686809907]);
    expect(Array.from({ length: 4 }, () => rng.nextUint32())).toEqual([1776835114, 4165204688, 17111135, 2317295270]);
    expect(Rng.fromSeed(42n).state()).toEqual(Rng.fromSeed(42).state());
  });

  it('gives the same stream for the same seed and different streams for different seeds', () => {
    const a = Rng.fromSeed('sampler');
    const b = Rng.fromSeed('sampler');
    const c = Rng.fromSeed('loader');
    const xs = Array.from({ length: 50 }, () => a.uniform());
    expect(Array.from({ length: 50 }, () => b.uniform())).toEqual(xs);
    expect(Array.from({ length: 50 }, () => c.uniform())).not.toEqual(xs);
  });

  it('round-trips its state through JSON and continues identically', () => {
    const rng = Rng.fromSeed(7);
    for (let i = 0; i < 1000; i++) rng.normal();
    const saved = JSON.parse(JSON.stringify(rng));
    const restored = Rng.fromState(saved);
    const draw = (r: Rng) => [r.uniform(), r.normal(), r.int(17), r.gumbel(), r.nextUint32(), r.int(2 ** 40)];
    for (let i = 0; i < 200; i++) expect(draw(restored)).toEqual(draw(rng));
    expect(restored.state()).toEqual(rng.state());
  });

  it('rejects malformed states with a message naming the problem', () => {
    expect(() => Rng.fromState({ algorithm: 'xoshiro128**', s: [0, 0, 0, 0] })).toThrow(/all zero/);
    expect(() => Rng.fromState({ algorithm: 'xoshiro128**', s: [1, 2, 3] as unknown as [number, number, number, number] })).toThrow(/four uint32/);
    expect(() => Rng.fromState({ algorithm: 'mt19937' } as unknown as never)).toThrow(/xoshiro128/);
    expect(() => Rng.fromSeed(1.5)).toThrow(/safe integer/);
  });

  it('forks deterministic, independent children without advancing the parent', () => {
    const parent = Rng.fromSeed(3);
    const before = parent.state();
    const a1 = parent.fork('sampler');
    const a2 = parent.fork('sampler');
    const b = parent.fork('data');
    expect(parent.state()).toEqual(before);
    const xa1 = Array.from({ length: 20 }, () => a1.nextUint32());
    expect(Array.from({ length: 20 }, () => a2.nextUint32())).toEqual(xa1);
    expect(Array.from({ length: 20 }, () => b.nextUint32())).not.toEqual(xa1);
    // Drawing from one child leaves a sibling's stream unchanged.
    const sibling = Rng.fromSeed(3).fork('data');
    const busy = Rng.fromSeed(3).fork('sampler');
    for (let i = 0; i < 100; i++) busy.nextUint32();
    const fresh = Rng.fromSeed(3).fork('data');
    expect(Array.from({ length: 20 }, () => sibling.nextUint32())).toEqual(Array.from({ length: 20 }, () => fresh.nextUint32()));
    // Children of different parent states differ even with the same label.
    parent.nextUint32();
    const a3 = parent.fork('sampler');
    expect(Array.from({ length: 20 }, () => a3.nextUint32())).not.toEqual(xa1);
  });

  it('has roughly the right distributions', () => {
    const rng = Rng.fromSeed(11);
    const n = 200_000;
    let sum = 0;
    let sumSq = 0;
    let nsum = 0;
    let nsumSq = 0;
    let gsum = 0;
    const counts = new Array(10).fill(0);
    let outOfRange = 0;
    for (let i = 0; i < n; i++) {
      const u = rng.uniform();
      if (!(u >= 0 && u < 1)) outOfRange++;
      sum += u;
      sumSq += u * u;
      const z = rng.normal();
      nsum += z;
      nsumSq += z * z;
      gsum += rng.gumbel();
      counts[rng.int(10)]++;
    }
    expect(outOfRange).toBe(0);
    expect(sum / n).toBeCloseTo(0.5, 2);
    expect(sumSq / n - (sum / n) ** 2).toBeCloseTo(1 / 12, 2);
    expect(nsum / n).toBeCloseTo(0, 1);
    expect(nsumSq / n).toBeCloseTo(1, 1);
    expect(Math.abs(gsum / n - 0.5772156649)).toBeLessThan(0.02); // Euler–Mascheroni constant
    for (const c of counts) expect(Math.abs(c / n - 0.1)).toBeLessThan(0.005);
  });

  it('int covers its whole range and stays in bounds for large n', () => {
    const rng = Rng.fromSeed(5);
    const seen = new Set<number>();
    for (let i = 0; i < 2000; i++) seen.add(rng.int(7));
    expect([...seen].sort()).toEqual([0, 1, 2, 3, 4, 5, 6]);
    let bad = 0;
    for (let i = 0; i < 2000; i++) {
      const x = rng.int(2 ** 40 + 3);
      if (!(Number.isInteger(x) && x >= 0 && x < 2 ** 40 + 3)) bad++;
    }
    expect(bad).toBe(0);
    expect(() => rng.int(0)).toThrow(/n must be/);
  });

  it('shuffles to a permutation, uniformly enough, and chooses from lists', () => {
    const rng = Rng.fromSeed(9);
    const firsts = new Array(4).fill(0);
    let notPermutations = 0;
    for (let i = 0; i < 40_000; i++) {
      const p = rng.shuffle([0, 1, 2, 3]);
      if ([...p].sort().join() !== '0,1,2,3') notPermutations++;
      firsts[p[0]]++;
    }
    expect(notPermutations).toBe(0);
    for (const c of firsts) expect(Math.abs(c / 40_000 - 0.25)).toBeLessThan(0.01);
    expect(['a', 'b']).toContain(rng.choice(['a', 'b']));
    expect(() => rng.choice([])).toThrow(/empty/);
    const w = [0, 1, 3];
    const hits = [0, 0, 0];
    for (let i = 0; i < 40_000; i++) hits[rng.weightedIndex(w)]++;
    expect(hits[0]).toBe(0);
    expect(hits[2] / 40_000).toBeCloseTo(0.75, 1);
  });
});
