import { Rng } from '../util/rng';
import { createBuiltinTask } from './builtin-task';
import { generateCompletion } from './demonstrations';
import { SCORE_WEIGHTS, scoreCompletion } from './oracle';
import type { TaskPrompt } from './prompts';

const prompt = (constraint: TaskPrompt['constraint'], topic = 'cats'): TaskPrompt => ({ id: 't', text: 't', topic, constraint, template: 0, split: 'train' });
const usesBlue = prompt({ kind: 'uses_word', word: 'blue' });

describe('oracle', () => {
  const task = createBuiltinTask({ demonstrations: 500 });

  it('scores a good completion by its parts (hand-computed)', () => {
    const s = scoreCompletion(usesBlue, 'the blue cat sleeps on the mat.');
    expect(s).toMatchObject({ constraint: 1, onTopic: 1, wellFormed: 1, honoured: true });
    // 7 words: length part 1 − 1/8; descriptive words blue, mat: 2 of 4; content words blue, cat, sleeps, mat: 4/7.
    const style = (0.875 + 0.5 + 4 / 7) / 3;
    expect(s.style).toBeCloseTo(style, 12);
    expect(s.total).toBeCloseTo(6 + 1.5 + 1.5 + style, 12);
  });

  it('scores the same sentence without the word far lower', () => {
    const s = scoreCompletion(usesBlue, 'the cat sleeps on the mat.');
    expect(s).toMatchObject({ constraint: 0, onTopic: 1, wellFormed: 1, honoured: false });
    expect(s.total).toBeCloseTo(1.5 + 1.5 + (0.75 + 0.25 + 0.5) / 3, 12);
  });

  it('takes off for garbage, repeats, a missing period and the wrong topic', () => {
    const s = scoreCompletion(usesBlue, 'blue blue xq cat');
    expect(s.checks).toMatchObject({ endsWithPeriod: false, knownWordShare: 0.75, repeatedWord: true, lengthOk: true });
    expect(s.wellFormed).toBeCloseTo((0 + 0.75 + 0 + 1) / 4, 12);
    expect(scoreCompletion(usesBlue, 'the blue dog runs.').onTopic).toBe(0);
    expect(scoreCompletion(usesBlue, 'the blue cat and dog run.').onTopic).toBe(0.5);
    expect(scoreCompletion(usesBlue, 'the blue cat sleeps. on the mat.').checks.endsWithPeriod).toBe(false);
  });

  it('gives nothing to empty or word-salad completions', () => {
    expect(scoreCompletion(usesBlue, '').total).toBe(0);
    expect(scoreCompletion(usesBlue, '   ').total).toBe(0);
    // Too short to be a sentence: the constraint is not credited even though the word is there.
    expect(scoreCompletion(usesBlue, 'blue.').constraint).toBe(0);
    expect(scoreCompletion(usesBlue, 'zz blue qq xx.').constraint).toBe(0);
    expect(scoreCompletion(prompt({ kind: 'avoid_word', word: 'the' }), 'cats.').constraint).toBe(0);
  });

  it('checks each constraint kind', () => {
    const c = (constraint: TaskPrompt['constraint'], text: string): number => scoreCompletion(prompt(constraint), text).constraint;
    expect(c({ kind: 'starts_with', word: 'today' }, 'today the cat sleeps.')).toBe(1);
    expect(c({ kind: 'starts_with', word: 'today' }, 'the cat sleeps today.')).toBe(0);
    expect(c({ kind: 'ends_with', word: 'today' }, 'the cat sleeps today.')).toBe(1);
    expect(c({ kind: 'ends_with', word: 'today' }, 'Today the cat sleeps.')).toBe(0);
    expect(c({ kind: 'word_count', count: 4 }, 'the cat sleeps softly.')).toBe(1);
    expect(c({ kind: 'word_count', count: 4 }, 'the cat sleeps.')).toBe(0.5);
    expect(c({ kind: 'word_count', count: 4 }, 'the small cat sleeps on the mat.')).toBe(0);
    expect(c({ kind: 'avoid_word', word: 'the' }, 'my cat sleeps softly.')).toBe(1);
    expect(c({ kind: 'avoid_word', word: 'the' }, 'my cat sleeps on the mat.')).toBe(0);
    expect(c({ kind: 'uses_word', word: 'blue' }, 'The Blue cat sleeps.')).toBe(1);
  });

  it('lets the constraint dominate: any honoured completion beats any completion that ignores it', () => {
    const rng = Rng.fromSeed(1);
    const worstHonoured = 6;
    const bestIgnored = SCORE_WEIGHTS.onTopic + SCORE_WEIGHTS.wellFormed + SCORE_WEIGHTS.style;
    expect(worstHonoured).toBeGreaterThan(bestIgnored);
    for (const p of task.trainPrompts.slice(0, 300)) {
      const good = generateCompletion(p, true, rng);
      const bad = generateCompletion(p, false, rng);
      expect(task.judge.compare(p, good, bad)).toBe(1);
      expect(task.judge.compare(p, bad, good)).toBe(0);
      expect(task.judge.compare(p, good, good)).toBe(0.5);
    }
  });

  it('rarely ties two different fluent completions of the same prompt that both honour it', () => {
    // Measured: ≈ 12% overall (≈ 40% for "exactly N words", where two right answers differ only in wording).
    const rng = Rng.fromSeed(2);
    let ties = 0;
    const n = 2000;
    for (let i = 0; i < n; i++) {
      const p = task.trainPrompts[i % task.trainPrompts.length];
      const a = generateCompletion(p, true, rng);
      const b = generateCompletion(p, true, rng);
      if (a !== b && task.judge.compare(p, a, b) === 0.5) ties++;
    }
    expect(ties / n).toBeLessThan(0.2);
  });

  it('accepts prompts as text and names unknown ones', () => {
    const p = task.trainPrompts[0];
    expect(task.oracle.score(p.text, 'x').total).toBe(task.oracle.score(p, 'x').total);
    expect(() => task.oracle.score('Write a poem.', 'x')).toThrow(/Write a poem/);
  });

  it('computes a win rate with a 95% interval', () => {
    const p = task.trainPrompts[0];
    const rng = Rng.fromSeed(3);
    const items = Array.from({ length: 40 }, (_, i) => {
      const good = generateCompletion(p, true, rng);
      const bad = generateCompletion(p, false, rng);
      return i < 30 ? { prompt: p, a: good, b: bad } : { prompt: p, a: bad, b: good };
    });
    const r = task.judge.winRate(items);
    expect(r).toMatchObject({ n: 40, wins: 30, losses: 10, ties: 0, winRate: 0.75 });
    const half = 1.96 * Math.sqrt((0.75 * 0.25 * 40) / 39 / 40);
    expect(r.ci95[0]).toBeCloseTo(0.75 - half, 12);
    expect(r.ci95[1]).toBeCloseTo(0.75 + half, 12);
  });
});
