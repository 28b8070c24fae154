import { createBuiltinTask } from '../engine';
import { parseSpec } from '../lib/spec';
import { promptsOf, referenceSamplesOf, toRankedCompletions } from './engine-adapter';

const task = createBuiltinTask({ demonstrations: 50, pretrainTexts: 10 });

describe('engine adapter mappings', () => {
  it('restricts prompts to the spec’s topics and constraint kinds, and names an unknown one', () => {
    expect(promptsOf(task, parseSpec('name: all'), 'train')).toHaveLength(task.trainPrompts.length);
    const some = promptsOf(task, parseSpec('name: some\ntask: { topics: [cats, dogs], constraints: [uses_word] }'), 'train');
    expect(some.length).toBeGreaterThan(0);
    expect(some.every((p) => ['cats', 'dogs'].includes(p.topic) && p.constraint.kind === 'uses_word')).toBe(true);
    expect(() => promptsOf(task, parseSpec('name: bad\ntask: { topics: [unicorns] }'), 'train')).toThrow(/no topic unicorns/);
  });

  it('turns platform rankings (best first, tied completions sharing a rank) into K-way ranking groups', () => {
    const r = {
      prompt: { id: 'p', key: 'k', text: 'Write about cats.' },
      completions: [
        { sampleId: 'a', text: 'A', rank: 0, tokenCount: 1 },
        { sampleId: 'b', text: 'B', rank: 1, tokenCount: 1 },
        { sampleId: 'c', text: 'C', rank: 1, tokenCount: 1 },
        { sampleId: 'd', text: 'D', rank: 2, tokenCount: 1 },
      ],
    };
    expect(toRankedCompletions([r as never])).toEqual([{ prompt: 'Write about cats.', completions: ['A', 'B', 'C', 'D'], ranking: [[0], [1, 2], [3]] }]);
  });

  it('normalises the reward model on the first round’s completions only (the reference policy’s samples)', () => {
    const ranking = (roundIndex: number, texts: string[]) => ({
      roundIndex,
      prompt: { id: `p${roundIndex}`, key: 'k', text: `Write about round ${roundIndex}.` },
      completions: texts.map((text, rank) => ({ sampleId: text, text, rank, tokenCount: 1 })),
    });
    const rankings = [ranking(1, ['ppo a', 'ppo b']), ranking(0, ['sft a', 'sft b']), ranking(2, ['ppo c', 'ppo d']), ranking(0, ['sft c', 'sft d'])];
    expect(referenceSamplesOf(rankings as never)).toEqual([
      { prompt: 'Write about round 0.', completion: 'sft a' },
      { prompt: 'Write about round 0.', completion: 'sft b' },
      { prompt: 'Write about round 0.', completion: 'sft c' },
      { prompt: 'Write about round 0.', completion: 'sft d' },
    ]);
    expect(referenceSamplesOf([])).toEqual([]);
  });
});
