import { parseSpec } from './parse-spec';
import { ppoForRound } from './ppo-for-round';

describe('ppoForRound', () => {
  const spec = parseSpec('name: p\nppo: { iterations: 20, epochs: 4, lr: 2.0e-4, laterRounds: { iterations: 40, epochs: 2 } }');

  it('is spec.ppo in the first round and takes laterRounds’ iterations and epochs from the second on', () => {
    expect(ppoForRound(spec, 0)).toBe(spec.ppo);
    for (const r of [1, 2, 7]) expect(ppoForRound(spec, r)).toEqual({ ...spec.ppo, iterations: 40, epochs: 2 });
    expect(ppoForRound(spec, 1).lr).toBe(2e-4); // everything else is the round-1 setting
  });

  it('keeps the setting laterRounds leaves out, and every round alike without laterRounds', () => {
    const epochsOnly = parseSpec('name: p\nppo: { iterations: 20, epochs: 4, laterRounds: { epochs: 1 } }');
    expect(ppoForRound(epochsOnly, 1)).toMatchObject({ iterations: 20, epochs: 1 });
    const plain = parseSpec('name: p\nppo: { iterations: 20, epochs: 4 }');
    expect(ppoForRound(plain, 3)).toBe(plain.ppo);
  });

  it('is validated like the settings it replaces', () => {
    expect(() => parseSpec('name: p\nppo: { laterRounds: { epochs: 0 } }')).toThrow(/ppo\.laterRounds\.epochs/);
    expect(() => parseSpec('name: p\nppo: { laterRounds: { iteration: 3 } }')).toThrow(/ppo\.laterRounds/);
  });
});
