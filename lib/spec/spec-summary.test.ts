import { parseSpec } from './parse-spec';
import { quorumTasks, specHash, specSummary } from './spec-summary';

describe('specSummary', () => {
  it('carries what the workflow steers by, and stays small', () => {
    const s = specSummary(parseSpec('name: s\nseed: 7\nrounds: { count: 3, promptsPerRound: 10 }\nlabeling: { quorum: 80%, deadline: 30m, resyncEvery: 5m }\nppo: { iterations: 20, iterationsPerActivity: 8 }'));
    expect(s).toEqual({
      name: 's',
      seed: 7,
      specHash: expect.stringMatching(/^[0-9a-f]{64}$/) as string,
      model: 'sft',
      trainer: 'ppo',
      rounds: 3,
      promptsPerRound: 10,
      completionsPerPrompt: 4,
      labeling: { quorum: { share: 0.8 }, deadlineMs: 1_800_000, resyncIntervalMs: 300_000 },
      training: { unit: 'iterations', total: 20, perActivity: 8 },
      evaluation: { heldoutPrompts: 64, judge: 'oracle' },
    });
    expect(JSON.stringify(s).length).toBeLessThan(1024);
  });

  it('caps PPO iterations per activity at the iteration count', () => {
    expect(specSummary(parseSpec('name: s\nppo: { iterations: 3, iterationsPerActivity: 10 }')).training).toEqual({ unit: 'iterations', total: 3, perActivity: 3 });
  });

  it('gives rounds after the first their own PPO iteration count when the spec sets ppo.laterRounds', () => {
    const later = specSummary(parseSpec('name: s\nppo: { iterations: 20, iterationsPerActivity: 10, laterRounds: { iterations: 40, epochs: 2 } }')).training;
    expect(later).toEqual({ unit: 'iterations', total: 20, perActivity: 10, laterRounds: { unit: 'iterations', total: 40, perActivity: 10 } });
    // epochs alone: the same iterations in every round, no activity split changes
    const epochsOnly = specSummary(parseSpec('name: s\nppo: { iterations: 5, iterationsPerActivity: 10, laterRounds: { epochs: 1 } }')).training;
    expect(epochsOnly).toEqual({ unit: 'iterations', total: 5, perActivity: 5, laterRounds: { unit: 'iterations', total: 5, perActivity: 5 } });
    // absent, the summary (and the spec's hash) are what they were before the option existed
    expect(specSummary(parseSpec('name: s\nppo: { iterations: 20 }')).training).not.toHaveProperty('laterRounds');
  });

  it('runs DPO as one activity of all its steps', () => {
    const s = specSummary(parseSpec('name: s\ntrainer: dpo\ndpo: { steps: 40 }\nmodel: { onnxFolder: /m }'));
    expect(s).toMatchObject({ trainer: 'dpo', model: 'onnx', training: { unit: 'steps', total: 40, perActivity: 40 } });
  });
});

describe('specHash', () => {
  it('ignores key order and formatting but not values', () => {
    const a = specHash(parseSpec('name: h\nseed: 3\nrounds: { count: 2, promptsPerRound: 8 }'));
    const b = specHash(parseSpec('rounds:\n  promptsPerRound: 8\n  count: 2\nseed: 3\nname: h\n'));
    const c = specHash(parseSpec('name: h\nseed: 4\nrounds: { count: 2, promptsPerRound: 8 }'));
    expect(a).toBe(b);
    expect(a).not.toBe(c);
  });

  it('equals a spelled-out default and the default itself', () => {
    expect(specHash(parseSpec('name: h'))).toBe(specHash(parseSpec('name: h\nseed: 1\nppo: { clip: 0.2 }')));
  });
});

describe('quorumTasks', () => {
  it.each([
    [{ share: 1 }, 24, 24],
    [{ share: 0.8 }, 24, 20],
    [{ share: 0.1 }, 30, 3],
    [{ share: 0.01 }, 10, 1],
    [{ tasks: 5 }, 24, 5],
    [{ tasks: 50 }, 24, 24],
  ])('%j of %d tasks is %d', (q, n, expected) => {
    expect(quorumTasks(q, n)).toBe(expected);
  });
});
