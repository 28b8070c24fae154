import { Rng } from '../util/rng';
import { CONSTRAINT_KINDS, constraintCredit, constraintsOfKind } from './constraints';
import { generateCompletion } from './demonstrations';
import { generateSentence, hasRepeat } from './grammar';
import { FUNCTION_WORDS, LEXICON, TOPICS, topicKeywords } from './lexicon';
import { renderPromptText, type TaskPrompt } from './prompts';

const promptFor = (topic: (typeof TOPICS)[number], constraint: TaskPrompt['constraint']): TaskPrompt => ({
  id: 'test', text: renderPromptText(topic, constraint, 0), topic: topic.id, constraint, template: 0, split: 'train',
});

describe('sentence grammar', () => {
  it('can honour and can break every constraint for every topic', () => {
    const rng = Rng.fromSeed(1);
    for (const topic of TOPICS) {
      for (const kind of CONSTRAINT_KINDS) {
        for (const c of constraintsOfKind(kind)) {
          const p = promptFor(topic, c);
          for (let i = 0; i < 3; i++) {
            const yes = generateCompletion(p, true, rng);
            const no = generateCompletion(p, false, rng);
            const words = (s: string): string[] => s.slice(0, -1).split(' ');
            expect(constraintCredit(c, words(yes))).toBe(1);
            expect(constraintCredit(c, words(no))).toBeLessThan(1);
          }
        }
      }
    }
  });

  it('uses only lexicon words, never repeats a content word, stays on topic and in 5–12 words', () => {
    const rng = Rng.fromSeed(2);
    for (let i = 0; i < 3000; i++) {
      const topic = rng.choice(TOPICS);
      const words = generateSentence(topic, rng);
      expect(words.every((w) => LEXICON.has(w))).toBe(true);
      expect(hasRepeat(words)).toBe(false);
      expect(words.length).toBeGreaterThanOrEqual(5);
      expect(words.length).toBeLessThanOrEqual(12);
      const keys = topicKeywords(topic);
      expect(words.some((w) => keys.has(w))).toBe(true);
    }
  });

  it("never lets one topic use another topic's keywords", () => {
    const clashes: string[] = [];
    for (const topic of TOPICS) {
      const words = new Set([...topic.verbs.flatMap((x) => [x.s, x.p]), ...topic.places.flatMap((p) => [p.noun, p.prep])]);
      for (const other of TOPICS) {
        if (other === topic) continue;
        for (const k of topicKeywords(other)) if (words.has(k) || topicKeywords(topic).has(k)) clashes.push(`${topic.id} uses ${other.id}'s ${k}`);
      }
      for (const k of topicKeywords(topic)) if (FUNCTION_WORDS.has(k)) clashes.push(`${topic.id} keyword ${k} is a function word`);
    }
    expect(clashes).toEqual([]);
  });

  it('is deterministic for a given stream', () => {
    const a = Rng.fromSeed(3);
    const b = Rng.fromSeed(3);
    for (let i = 0; i < 50; i++) expect(generateSentence(TOPICS[i % TOPICS.length], a)).toEqual(generateSentence(TOPICS[i % TOPICS.length], b));
  });

  it('refuses requirements it cannot meet, naming them', () => {
    expect(() => generateSentence(TOPICS[0], Rng.fromSeed(4), { include: 'purple' })).toThrow(/purple/);
    expect(() => generateSentence(TOPICS[0], Rng.fromSeed(4), { length: 20 })).toThrow(/cannot meet/);
  });
});
