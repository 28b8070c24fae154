import { parseSpec } from './parse-spec';
import { SpecError, type SpecIssue } from './spec-error';

/** Parses and returns the issues, failing the test if the spec was accepted. */
function issuesOf(text: string): readonly SpecIssue[] {
  try {
    parseSpec(text, { source: 'test.yaml' });
  } catch (e) {
    if (e instanceof SpecError) return e.issues;
    throw e;
  }
  throw new Error(`spec was accepted but should not have been:\n${text}`);
}

const lines = (...xs: string[]) => xs.join('\n') + '\n';

describe('parseSpec accepts good specs', () => {
  const good: Array<[string, string, (s: ReturnType<typeof parseSpec>) => void]> = [
    ['a one-line spec, filling every default', 'name: tiny', (s) => {
      expect(s.seed).toBe(1);
      expect(s.model).toMatchObject({ source: 'sft', sft: { steps: 300, architecture: { context: 96, width: 64, layers: 2, heads: 4 } } });
      expect(s.rounds).toMatchObject({ count: 2, promptsPerRound: 24, completionsPerPrompt: 4, sampling: { temperature: 1, topK: 0, topP: 0.95, maxNewTokens: 24 } });
      expect(s.labeling).toMatchObject({ quorum: { share: 1 }, deadline: 2 * 86_400_000, overlap: 0.1, assignmentExpiry: 30 * 60_000, resyncEvery: 3_600_000 });
      expect(s.labeling.simulated).toBeUndefined();
      expect(s.trainer).toBe('ppo');
      expect(s.ppo).toMatchObject({ clip: 0.2, adaptive: true, valueInitFrom: 'reward-model', gaeLambda: 0.95 });
      expect(s.evaluation).toEqual({ heldoutPrompts: 64, judge: 'oracle' });
      expect(s.storage.artifacts).toBeUndefined();
    }],
    ['an ONNX model folder instead of SFT', 'name: m\nmodel: { onnxFolder: ./models/p }', (s) => {
      expect(s.model).toEqual({ source: 'onnx', onnxFolder: './models/p' });
    }],
    ['quorum as a percentage', 'name: q\nlabeling: { quorum: 75% }', (s) => expect(s.labeling.quorum).toEqual({ share: 0.75 })],
    ['quorum as a bare share', 'name: q\nlabeling: { quorum: 0.5 }', (s) => expect(s.labeling.quorum).toEqual({ share: 0.5 })],
    ['quorum: 1 means every task, not one task', 'name: q\nlabeling: { quorum: 1 }', (s) => expect(s.labeling.quorum).toEqual({ share: 1 })],
    ['quorum as a bare count', 'name: q\nlabeling: { quorum: 12 }', (s) => expect(s.labeling.quorum).toEqual({ tasks: 12 })],
    ['quorum as { tasks }', 'name: q\nlabeling: { quorum: { tasks: 3 } }', (s) => expect(s.labeling.quorum).toEqual({ tasks: 3 })],
    ['quorum as { share }', 'name: q\nlabeling: { quorum: { share: 0.25 } }', (s) => expect(s.labeling.quorum).toEqual({ share: 0.25 })],
    ['compound durations', 'name: d\nlabeling: { deadline: 1d12h, assignmentExpiry: 90s, resyncEvery: 2m }', (s) => {
      expect(s.labeling.deadline).toBe(36 * 3_600_000);
      expect(s.labeling.assignmentExpiry).toBe(90_000);
      expect(s.labeling.resyncEvery).toBe(120_000);
    }],
    ['K at both ends of 2..9', 'name: k\nrounds: { completionsPerPrompt: 9 }', (s) => expect(s.rounds.completionsPerPrompt).toBe(9)],
    ['K = 2 (pairwise)', 'name: k\nrounds: { completionsPerPrompt: 2 }', (s) => expect(s.rounds.completionsPerPrompt).toBe(2)],
    ['DPO as the trainer', 'name: d\ntrainer: dpo\ndpo: { beta: 0.2, steps: 50 }', (s) => {
      expect(s.trainer).toBe('dpo');
      expect(s.dpo).toEqual({ beta: 0.2, steps: 50, lr: 5e-4, batch: 8 });
    }],
    ['JSON is YAML too', '{"name": "j", "rounds": {"count": 3}}', (s) => expect(s.rounds.count).toBe(3)],
    ['scientific notation for learning rates', 'name: lr\nppo: { lr: 1.5e-5 }', (s) => expect(s.ppo.lr).toBe(1.5e-5)],
    ['an S3 artifact target', 'name: s\nstorage: { artifacts: s3://my-bucket/hone }', (s) => expect(s.storage.artifacts).toBe('s3://my-bucket/hone')],
    ['simulated labelers with defaults', 'name: s\nlabeling: { simulated: {} }', (s) => expect(s.labeling.simulated).toEqual({ labelers: 3, noise: 0.1 })],
    ['task restricted to some topics', 'name: t\ntask: { topics: [cats, weather], constraints: [include-word] }', (s) => {
      expect(s.task.topics).toEqual(['cats', 'weather']);
    }],
  ];
  it.each(good)('%s', (_name, text, check) => {
    check(parseSpec(text));
  });

  it('resolves a relative onnxFolder against baseDir', () => {
    const s = parseSpec('name: m\nmodel: { onnxFolder: ./models/p }', { baseDir: '/srv/specs' });
    expect(s.model).toEqual({ source: 'onnx', onnxFolder: '/srv/specs/models/p' });
  });
});

describe('parseSpec rejects bad specs with path, problem and line', () => {
  const bad: Array<[string, string, Array<Partial<SpecIssue>>]> = [
    ['rounds below 1', lines('name: x', 'rounds:', '  count: 0'), [{ path: 'rounds.count', message: 'must be ≥ 1 (got 0)', line: 3, column: 3 }]],
    ['K above 9', lines('name: x', 'rounds: { completionsPerPrompt: 12 }'), [{ path: 'rounds.completionsPerPrompt', message: 'must be ≤ 9 (got 12)', line: 2 }]],
    ['K below 2', lines('name: x', 'rounds: { completionsPerPrompt: 1 }'), [{ path: 'rounds.completionsPerPrompt', message: 'must be ≥ 2 (got 1)' }]],
    ['a fractional count', lines('name: x', 'rounds: { count: 1.5 }'), [{ path: 'rounds.count', message: 'must be an integer (got 1.5)' }]],
    ['a missing name', lines('seed: 3'), [{ path: 'name', message: 'is required', line: 1, column: 1 }]],
    ['a bad name', lines('name: My Experiment'), [{ path: 'name', message: expect.stringContaining("(got 'My Experiment')") as string }]],
    ['a misspelt key, with a suggestion', lines('name: x', 'rounds:', '  promtsPerRound: 3'), [{ path: 'rounds.promtsPerRound', message: expect.stringContaining("did you mean 'promptsPerRound'?") as string, line: 3 }]],
    ['an unknown top-level section', lines('name: x', 'evaluaton: {}'), [{ path: 'evaluaton', message: expect.stringContaining("did you mean 'evaluation'?") as string, line: 2 }]],
    ['a duration without unit', lines('name: x', 'labeling:', '  deadline: 30'), [{ path: 'labeling.deadline', message: expect.stringContaining('a unit is required') as string, line: 3 }]],
    ['a duration with an unknown unit', lines('name: x', 'labeling: { deadline: 3 days }'), [{ path: 'labeling.deadline', message: expect.stringContaining("cannot read '3 days'") as string }]],
    ['units out of order', lines('name: x', 'labeling: { deadline: 30m1h }'), [{ path: 'labeling.deadline', message: expect.stringContaining('largest to smallest') as string }]],
    ['a too-short deadline', lines('name: x', 'labeling: { deadline: 500ms }'), [{ path: 'labeling.deadline', message: "must be at least 1s (got '500ms' = 500ms)" }]],
    ['quorum above 100%', lines('name: x', 'labeling: { quorum: 150% }'), [{ path: 'labeling.quorum', message: "a share must be in (0%, 100%] (got '150%')" }]],
    ['quorum zero', lines('name: x', 'labeling: { quorum: 0 }'), [{ path: 'labeling.quorum', message: 'a share must be in (0%, 100%] (got 0)' }]],
    ['quorum as a fractional count', lines('name: x', 'labeling: { quorum: 2.5 }'), [{ path: 'labeling.quorum', message: 'a task count must be an integer ≥ 1 (got 2.5)' }]],
    ['quorum as nonsense', lines('name: x', 'labeling: { quorum: most }'), [{ path: 'labeling.quorum', message: expect.stringContaining("(got 'most')") as string }]],
    ['quorum larger than the round', lines('name: x', 'rounds: { promptsPerRound: 10 }', 'labeling: { quorum: { tasks: 11 } }'), [{ path: 'labeling.quorum', message: expect.stringContaining('exceeds rounds.promptsPerRound (10') as string, line: 3 }]],
    ['overlap above 1', lines('name: x', 'labeling: { overlap: 1.2 }'), [{ path: 'labeling.overlap', message: 'must be ≤ 1 (got 1.2)' }]],
    ['both model sources', lines('name: x', 'model: { sft: {}, onnxFolder: ./m }'), [{ path: 'model', message: 'give either sft or onnxFolder, not both', line: 2 }]],
    ['heads not dividing width', lines('name: x', 'model:', '  sft:', '    architecture: { width: 64, heads: 3 }'), [{ path: 'model.sft.architecture.heads', message: 'must divide width (64 is not a multiple of 3)', line: 4 }]],
    ['generation longer than the context', lines('name: x', 'model: { sft: { architecture: { context: 32 } } }', 'rounds: { sampling: { maxNewTokens: 40 } }'), [{ path: 'rounds.sampling.maxNewTokens', message: expect.stringContaining('must be below model.sft.architecture.context (32)') as string, line: 3 }]],
    ['zero temperature', lines('name: x', 'rounds: { sampling: { temperature: 0 } }'), [{ path: 'rounds.sampling.temperature', message: 'must be > 0 (got 0)' }]],
    ['topP above 1', lines('name: x', 'rounds: { sampling: { topP: 1.5 } }'), [{ path: 'rounds.sampling.topP', message: 'must be ≤ 1 (got 1.5)' }]],
    ['a string where a number belongs', lines('name: x', 'ppo: { clip: high }'), [{ path: 'ppo.clip', message: "must be a number (got 'high')" }]],
    ['a boolean written as text', lines('name: x', 'ppo: { adaptive: "yes" }'), [{ path: 'ppo.adaptive', message: "must be true or false (got 'yes')" }]],
    ['an unknown value function init', lines('name: x', 'ppo: { valueInitFrom: random }'), [{ path: 'ppo.valueInitFrom', message: "must be one of 'reward-model', 'policy' (got 'random')" }]],
    ['minibatch larger than the batch', lines('name: x', 'ppo: { promptsPerIteration: 4, minibatch: 8 }'), [{ path: 'ppo.minibatch', message: 'must be ≤ ppo.promptsPerIteration (4) (got 8)' }]],
    ['a DPO section while training with PPO', lines('name: x', 'dpo: { beta: 0.1 }'), [{ path: 'dpo', message: expect.stringContaining("trainer is 'ppo'") as string, line: 2 }]],
    ['a PPO section while training with DPO', lines('name: x', 'trainer: dpo', 'ppo: { lr: 1.0e-4 }'), [{ path: 'ppo', message: expect.stringContaining("trainer is 'dpo'") as string, line: 3 }]],
    ['an unknown trainer', lines('name: x', 'trainer: reinforce'), [{ path: 'trainer', message: "must be one of 'ppo', 'dpo' (got 'reinforce')" }]],
    ['an unknown judge', lines('name: x', 'evaluation: { judge: human }'), [{ path: 'evaluation.judge', message: "must be 'oracle' (got 'human')" }]],
    ['an unsupported artifact URI', lines('name: x', 'storage: { artifacts: "gs://b/p" }'), [{ path: 'storage.artifacts', message: expect.stringContaining("must be 'file:///absolute/dir' or 's3://bucket[/prefix]'") as string }]],
    ['repeated topics', lines('name: x', 'task: { topics: [cats, cats] }'), [{ path: 'task.topics', message: 'must not repeat an entry' }]],
    ['an empty topic list', lines('name: x', 'task: { topics: [] }'), [{ path: 'task.topics', message: 'must have at least 1 item (got 0)' }]],
    ['an empty topic name', lines('name: x', 'task:', '  topics:', '    - cats', '    - ""'), [{ path: 'task.topics[1]', message: 'must not be empty', line: 5 }]],
    ['an unknown task', lines('name: x', 'task: { name: chess }'), [{ path: 'task.name', message: "must be 'instructions' (got 'chess')" }]],
    ['a negative seed', lines('name: x', 'seed: -1'), [{ path: 'seed', message: 'must be ≥ 0 (got -1)' }]],
    ['a section that is not a mapping', lines('name: x', 'rounds: 3'), [{ path: 'rounds', message: 'must be a mapping (got 3)', line: 2 }]],
    ['duplicate keys', lines('name: x', 'name: y'), [{ path: '(yaml)', message: 'Map keys must be unique', line: 2 }]],
    ['broken YAML', lines('name: x', 'rounds: { count: 2'), [{ path: '(yaml)', line: 3 }]],
    ['a list at the top', lines('- name: x'), [{ path: '(spec)', message: expect.stringContaining('must be a mapping of sections') as string }]],
    ['an empty document', '', [{ path: '(spec)', message: "is empty: at least 'name: <experiment-name>' is required" }]],
    ['a comment-only document', '# nothing here\n', [{ path: '(spec)', message: expect.stringContaining('is empty') as string }]],
  ];
  it.each(bad)('%s', (_name, text, expected) => {
    const issues = issuesOf(text);
    expect(issues).toEqual(expected.map((e) => expect.objectContaining(e)));
  });

  it('lists several problems at once, in line order, each with its own line', () => {
    const text = lines(
      'name: Bad Name', //               1
      'rounds:', //                      2
      '  count: 0', //                   3
      '  completionsPerPrompt: 12', //   4
      'labeling:', //                    5
      '  quorum: 150%', //               6
      '  overlap: -0.5', //              7
      'ppo: { clip: 0 }', //             8
    );
    const issues = issuesOf(text);
    expect(issues.map((i) => [i.line, `${i.path}: ${i.message}`])).toEqual([
      [1, expect.stringMatching(/^name: must be 1–63 characters/) as string],
      [3, 'rounds.count: must be ≥ 1 (got 0)'],
      [4, 'rounds.completionsPerPrompt: must be ≤ 9 (got 12)'],
      [6, "labeling.quorum: a share must be in (0%, 100%] (got '150%')"],
      [7, 'labeling.overlap: must be ≥ 0 (got -0.5)'],
      [8, 'ppo.clip: must be > 0 (got 0)'],
    ]);
  });

  it('formats the error message with source, line, column, path and problem', () => {
    expect(() => parseSpec('name: x\nrounds:\n  count: 0\n', { source: 'demo.yaml' })).toThrow(
      'invalid experiment spec demo.yaml (1 problem):\n  demo.yaml:3:3 rounds.count: must be ≥ 1 (got 0)',
    );
  });

  it('carries the SPEC_INVALID code for the error vocabulary', () => {
    try {
      parseSpec('rounds: 1');
      throw new Error('accepted');
    } catch (e) {
      expect(e).toBeInstanceOf(SpecError);
      expect((e as SpecError).code).toBe('SPEC_INVALID');
      expect((e as SpecError).source).toBe('spec');
    }
  });

  it('refuses alias bombs instead of expanding them', () => {
    const bomb = ['name: x', 'a: &a [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]', 'b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]', 'c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]', 'd: [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]'].join('\n');
    expect(issuesOf(bomb)[0]).toMatchObject({ path: '(yaml)', message: expect.stringContaining('alias') as string });
  });

  it('refuses oversized specs', () => {
    expect(issuesOf(`name: x\ndescription: "${'a'.repeat(300_000)}"`)[0]).toMatchObject({ path: '(spec)', message: 'is larger than 256 KiB' });
  });
});
