import { Rng } from '../util/rng';
import { CONSTRAINT_KINDS } from './constraints';
import { createBuiltinTask } from './builtin-task';
import { TOPICS } from './lexicon';
import { trainTaskTokenizer, sequenceLengths } from './task-tokenizer';

describe('createBuiltinTask', () => {
  const task = createBuiltinTask();

  it('is deterministic: the same options give the same prompts, demonstrations and texts', () => {
    const again = createBuiltinTask({ seed: 1234 });
    expect(JSON.stringify(again.trainPrompts)).toBe(JSON.stringify(task.trainPrompts));
    expect(JSON.stringify(again.heldoutPrompts)).toBe(JSON.stringify(task.heldoutPrompts));
    expect(JSON.stringify(again.demonstrations)).toBe(JSON.stringify(task.demonstrations));
    expect(again.pretrainTexts).toEqual(task.pretrainTexts);
    expect(again.describe()).toEqual(task.describe());
  });

  it('changes with the seed', () => {
    const other = createBuiltinTask({ seed: 99 });
    expect(other.demonstrations.map((d) => d.completion)).not.toEqual(task.demonstrations.map((d) => d.completion));
  });

  it('keeps held-out (topic, kind) pairs out of every training prompt and demonstration', () => {
    const held = new Set(task.heldoutPairs.map((p) => `${p.topic}|${p.kind}`));
    expect(held.size).toBe(TOPICS.length);
    for (const p of task.trainPrompts) expect(held.has(`${p.topic}|${p.constraint.kind}`)).toBe(false);
    for (const d of task.demonstrations) expect(held.has(`${d.prompt.topic}|${d.prompt.constraint.kind}`)).toBe(false);
    for (const p of task.heldoutPrompts) {
      expect(held.has(`${p.topic}|${p.constraint.kind}`)).toBe(true);
      expect(p.split).toBe('heldout');
    }
    const trainTexts = new Set(task.trainPrompts.map((p) => p.text));
    expect(task.heldoutPrompts.filter((p) => trainTexts.has(p.text))).toEqual([]);
  });

  it('still trains on every topic and every constraint kind, and holds each kind out about equally', () => {
    expect(new Set(task.trainPrompts.map((p) => p.topic)).size).toBe(TOPICS.length);
    expect(new Set(task.trainPrompts.map((p) => p.constraint.kind)).size).toBe(CONSTRAINT_KINDS.length);
    const perKind = CONSTRAINT_KINDS.map((k) => task.heldoutPairs.filter((p) => p.kind === k).length);
    expect(Math.max(...perKind) - Math.min(...perKind)).toBeLessThanOrEqual(1);
  });

  it('orders prompts so that any prefix is balanced across constraint kinds', () => {
    const first = task.heldoutPrompts.slice(0, 50).map((p) => p.constraint.kind);
    for (const k of CONSTRAINT_KINDS) expect(first.filter((x) => x === k).length).toBe(10);
  });

  it('samples prompts balanced across kinds, reproducibly, from the split asked for', () => {
    const draw = task.samplePrompts(5000, Rng.fromSeed(1));
    expect(task.samplePrompts(5000, Rng.fromSeed(1))).toEqual(draw);
    for (const k of CONSTRAINT_KINDS) expect(Math.abs(draw.filter((p) => p.constraint.kind === k).length / 5000 - 0.2)).toBeLessThan(0.03);
    expect(draw.every((p) => p.split === 'train')).toBe(true);
    expect(task.samplePrompts(100, Rng.fromSeed(2), 'heldout').every((p) => p.split === 'heldout')).toBe(true);
  });

  it('has unique prompt ids and texts', () => {
    const all = [...task.trainPrompts, ...task.heldoutPrompts];
    expect(new Set(all.map((p) => p.id)).size).toBe(all.length);
    expect(new Set(all.map((p) => p.text)).size).toBe(all.length);
  });

  it('makes exactly the configured share of demonstrations honour their constraint, as the oracle sees it', () => {
    const small = createBuiltinTask({ demonstrations: 1000, honourShare: 0.3, seed: 5 });
    const honoured = small.demonstrations.filter((d) => d.honoursConstraint);
    expect(honoured.length).toBe(300);
    for (const d of small.demonstrations) expect(small.oracle.score(d.prompt, d.completion).honoured).toBe(d.honoursConstraint);
  });

  it('scores honouring demonstrations far above the others, which are still fluent and on topic', () => {
    const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
    const scores = task.demonstrations.map((d) => ({ d, s: task.oracle.score(d.prompt, d.completion) }));
    const yes = scores.filter((x) => x.d.honoursConstraint);
    const no = scores.filter((x) => !x.d.honoursConstraint);
    expect(yes.length / scores.length).toBeCloseTo(0.27, 3);
    expect(mean(yes.map((x) => x.s.total))).toBeGreaterThan(9);
    expect(mean(no.map((x) => x.s.total))).toBeLessThan(5);
    for (const { s } of scores) {
      expect(s.onTopic).toBe(1);
      expect(s.wellFormed).toBe(1);
    }
  });

  it('lays out prompt and completion for the model and reads the completion back', () => {
    const d = task.demonstrations[0];
    const text = task.format.renderExample(d.prompt, d.completion);
    expect(text).toBe(`${d.prompt.text}\nAnswer: ${d.completion}<|endoftext|>`);
    expect(task.format.renderPrompt(d.prompt) + task.format.renderCompletion(d.completion)).toBe(text.replace('<|endoftext|>', ''));
    expect(task.format.extractCompletion(` ${d.completion}<|endoftext|> junk`)).toBe(d.completion);
  });

  it('describes itself as plain JSON', () => {
    const d = task.describe();
    expect(JSON.parse(JSON.stringify(d))).toEqual(d);
    expect(d.counts.demonstrations).toBe(6000);
    expect(d.counts.heldoutPrompts).toBe(task.heldoutPrompts.length);
  });

  it('fits prompt + completion + EOS in 64 tokens with its 768-token tokenizer, every word one token', () => {
    const tok = trainTaskTokenizer(task);
    expect(tok.vocabSize).toBe(768);
    // Whole-word tokens: a word count is a token count, a repeated word a repeated token.
    const words = new Set(task.demonstrations.flatMap((d) => d.completion.replace(/\.$/, '').split(' ')));
    for (const w of words) expect(tok.encode(` ${w}`)).toHaveLength(1);
    const lens = sequenceLengths(task, tok, task.demonstrations);
    expect(Math.max(...lens)).toBeLessThanOrEqual(64);
    // Constraint words are single tokens, in the prompt and in the completion alike (copyable).
    for (const p of task.trainPrompts.slice(0, 100)) {
      if (p.constraint.kind === 'word_count') continue;
      const w = p.constraint.word;
      expect(tok.encode(` ${w}`)).toHaveLength(1);
      expect(tok.encode(task.format.renderPrompt(p))).toEqual(expect.arrayContaining(tok.encode(` ${w}`)));
    }
  });

  it('rejects bad options with messages that name them', () => {
    expect(() => createBuiltinTask({ honourShare: 1.5 })).toThrow(/honourShare/);
    expect(() => createBuiltinTask({ demonstrations: -1 })).toThrow(/demonstrations/);
    expect(() => createBuiltinTask({ heldoutKindsPerTopic: 5 })).toThrow(/heldoutKindsPerTopic/);
  });
});
