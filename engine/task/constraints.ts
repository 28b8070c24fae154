import { ADJECTIVES, COUNT_WORDS, DETERMINERS, END_ADVERBS, OPENERS } from './lexicon';

/**
 * The five constraint kinds of the built-in task. Each is checkable from the words alone and satisfiable by a
 * tiny model by copying a word from the prompt to a position, by counting, or by leaving a word out.
 */
export type Constraint =
  | { kind: 'uses_word'; word: string }
  | { kind: 'starts_with'; word: string }
  | { kind: 'ends_with'; word: string }
  | { kind: 'word_count'; count: number }
  | { kind: 'avoid_word'; word: string };

export type ConstraintKind = Constraint['kind'];

export const CONSTRAINT_KINDS: readonly ConstraintKind[] = ['uses_word', 'starts_with', 'ends_with', 'word_count', 'avoid_word'];

/** Words "start with the word …" prompts ask for: openers and determiners that can begin a sentence. */
export const START_WORDS: readonly string[] = [...OPENERS, ...DETERMINERS.filter((d) => d.word !== 'the' && d.word !== 'a').map((d) => d.word)];
/** Words "end with the word …" prompts ask for. */
export const END_WORDS: readonly string[] = END_ADVERBS.map((a) => a.word);
/** Words "without using the word …" prompts forbid: frequent function words. */
export const AVOID_WORDS: readonly string[] = ['the', 'a', 'is', 'and', 'on', 'in'];
/** Word counts "exactly N words" prompts ask for. */
export const WORD_COUNTS: readonly number[] = [3, 4, 5, 6, 7, 8];

/** Prompt phrasings per kind: {topic} is the topic's name, {word} the constraint's word or number. */
export const TEMPLATES: Readonly<Record<ConstraintKind, readonly string[]>> = {
  uses_word: ['Write a sentence about {topic} that uses the word {word}.', 'Use the word {word} in a sentence about {topic}.'],
  starts_with: ['Write about {topic} and start with the word {word}.', 'Write a sentence about {topic} that starts with the word {word}.'],
  ends_with: ['Write a sentence about {topic} that ends with the word {word}.', 'Write about {topic} and end with the word {word}.'],
  word_count: ['Describe {topic} in exactly {word} words.', 'Write exactly {word} words about {topic}.'],
  avoid_word: ['Write about {topic} without using the word {word}.', 'Write a sentence about {topic} that does not use the word {word}.'],
};

/** Every constraint of one kind that prompts may carry. */
export function constraintsOfKind(kind: ConstraintKind): Constraint[] {
  switch (kind) {
    case 'uses_word':
      return ADJECTIVES.map((word) => ({ kind, word }));
    case 'starts_with':
      return START_WORDS.map((word) => ({ kind, word }));
    case 'ends_with':
      return END_WORDS.map((word) => ({ kind, word }));
    case 'word_count':
      return WORD_COUNTS.map((count) => ({ kind, count }));
    case 'avoid_word':
      return AVOID_WORDS.map((word) => ({ kind, word }));
  }
}

/** The word a prompt shows for a constraint ("blue", or "four" for a count). */
export function constraintWord(c: Constraint): string {
  return c.kind === 'word_count' ? COUNT_WORDS[c.count] : c.word;
}

/** A short label such as `uses_word:blue` or `word_count:4` (stable: used in prompt ids). */
export function constraintLabel(c: Constraint): string {
  return `${c.kind}:${c.kind === 'word_count' ? c.count : c.word}`;
}

/**
 * How far `words` (lower-case, punctuation stripped) honour `c`: 1 honoured, 0 not; a word count one off earns
 * 0.5 so that "almost" ranks above "far off".
 */
export function constraintCredit(c: Constraint, words: readonly string[]): number {
  switch (c.kind) {
    case 'uses_word':
      return words.includes(c.word) ? 1 : 0;
    case 'starts_with':
      return words[0] === c.word ? 1 : 0;
    case 'ends_with':
      return words.length > 0 && words[words.length - 1] === c.word ? 1 : 0;
    case 'word_count': {
      const off = Math.abs(words.length - c.count);
      return off === 0 ? 1 : off === 1 ? 0.5 : 0;
    }
    case 'avoid_word':
      return words.includes(c.word) ? 0 : 1;
  }
}
