import { constraintCredit } from './constraints';
import { hasRepeat } from './grammar';
import { DESCRIPTIVE_WORDS, FUNCTION_WORDS, LEXICON, TOPICS, topicById, topicKeywords } from './lexicon';
import type { TaskPrompt } from './prompts';

/**
 * Weights of the oracle's parts. The constraint outweighs everything else together (6 > 1.5 + 1.5 + 1), so a
 * completion that honours the constraint always beats one that does not, whatever else is true of them.
 */
export const SCORE_WEIGHTS = { constraint: 6, onTopic: 1.5, wellFormed: 1.5, style: 1 } as const;

/** The length the style part likes best, in words (for prompts that do not fix the length). */
export const IDEAL_LENGTH = 8;
/** Descriptive words beyond this many add no style. */
export const MAX_DESCRIPTIVE = 4;

/** The oracle's verdict on one completion: a total in [0, 10] and the parts it is made of, each in [0, 1]. */
export interface Score {
  total: number;
  /** 1 honoured, 0 not (0.5 for a word count one off). Only counts for a sentence of ≥ 3 mostly known words. */
  constraint: number;
  /** 1 mentions the topic and no other; 0.5 the topic and another; 0 not the topic. */
  onTopic: number;
  /** Mean of: ends with one period, share of known words, no repeated content word, 3–16 words. */
  wellFormed: number;
  /**
   * Tie-breaker, mean of: closeness to 8 words (1 when the prompt fixes the length), up to 4 descriptive words,
   * share of content (non-function, known) words.
   */
  style: number;
  honoured: boolean;
  checks: {
    words: number;
    endsWithPeriod: boolean;
    knownWordShare: number;
    repeatedWord: boolean;
    lengthOk: boolean;
    mentionsTopic: boolean;
    mentionsOtherTopic: boolean;
    descriptiveWords: number;
  };
}

const KEYWORDS = new Map(TOPICS.map((t) => [t.id, topicKeywords(t)]));

/** Scores `completion` (plain text, as a person would read it) as an answer to `prompt`. */
export function scoreCompletion(prompt: TaskPrompt, completion: string): Score {
  const text = completion.trim();
  const endsWithPeriod = text.endsWith('.') && !/[.!?]/.test(text.slice(0, -1));
  const tokens = (text.endsWith('.') ? text.slice(0, -1) : text).split(/\s+/).filter((t) => t.length > 0);
  const n = tokens.length;
  // Words for matching: lower-cased, surrounding punctuation dropped ("Blue," still uses "blue").
  const words = tokens.map((t) => t.toLowerCase().replace(/^[^a-z]+|[^a-z]+$/g, '')).filter((w) => w.length > 0);
  let known = 0;
  for (const t of tokens) if (/^[a-zA-Z]+$/.test(t) && LEXICON.has(t.toLowerCase())) known++;
  const knownWordShare = n === 0 ? 0 : known / n;
  const repeatedWord = hasRepeat(words);
  const lengthOk = n >= 3 && n <= 16;
  const wellFormed = ((endsWithPeriod ? 1 : 0) + knownWordShare + (n > 0 && !repeatedWord ? 1 : 0) + (lengthOk ? 1 : 0)) / 4;

  const own = KEYWORDS.get(prompt.topic) ?? topicKeywords(topicById(prompt.topic));
  const mentionsTopic = words.some((w) => own.has(w));
  let mentionsOtherTopic = false;
  for (const [id, keys] of KEYWORDS) {
    if (id !== prompt.topic && words.some((w) => keys.has(w) && !own.has(w))) mentionsOtherTopic = true;
  }
  const onTopic = mentionsTopic ? (mentionsOtherTopic ? 0.5 : 1) : 0;

  // A constraint is only honoured by something sentence-like: otherwise "blue." would honour "use the word blue".
  const sentenceLike = n >= 3 && knownWordShare >= 0.5;
  const constraint = sentenceLike ? constraintCredit(prompt.constraint, words) : 0;

  // Style breaks ties between completions that are equal on everything above: a natural length, vivid words
  // (adjectives, adverbs, places) and few function words. Each part is in [0, 1].
  const descriptive = new Set(words.filter((w) => DESCRIPTIVE_WORDS.has(w))).size;
  const lengthPart = prompt.constraint.kind === 'word_count' ? (n > 0 ? 1 : 0) : Math.max(0, 1 - Math.abs(n - IDEAL_LENGTH) / IDEAL_LENGTH);
  const vividPart = Math.min(descriptive, MAX_DESCRIPTIVE) / MAX_DESCRIPTIVE;
  const contentWords = words.filter((w) => LEXICON.has(w) && !FUNCTION_WORDS.has(w)).length;
  const densityPart = n === 0 ? 0 : contentWords / n;
  const style = (lengthPart + vividPart + densityPart) / 3;

  const total =
    SCORE_WEIGHTS.constraint * constraint + SCORE_WEIGHTS.onTopic * onTopic + SCORE_WEIGHTS.wellFormed * wellFormed + SCORE_WEIGHTS.style * style;
  return {
    total,
    constraint,
    onTopic,
    wellFormed,
    style,
    honoured: constraint === 1,
    checks: { words: n, endsWithPeriod, knownWordShare, repeatedWord, lengthOk, mentionsTopic, mentionsOtherTopic, descriptiveWords: descriptive },
  };
}

/** The oracle preference: scores completions of the task's prompts (given as objects or as their text). */
export interface Oracle {
  readonly weights: typeof SCORE_WEIGHTS;
  score(prompt: TaskPrompt | string, completion: string): Score;
  /** The prompt object of a prompt text; throws naming the text when it is not one of the task's prompts. */
  prompt(prompt: TaskPrompt | string): TaskPrompt;
}

/** An oracle that also understands prompts given as their text (as the platform stores them). */
export function createOracle(prompts: readonly TaskPrompt[]): Oracle {
  const byText = new Map(prompts.map((p) => [p.text, p]));
  const resolve = (prompt: TaskPrompt | string): TaskPrompt => {
    if (typeof prompt !== 'string') return prompt;
    const found = byText.get(prompt.trim());
    if (!found) throw new Error(`oracle: ${JSON.stringify(prompt)} is not a prompt of the built-in task`);
    return found;
  };
  return {
    weights: SCORE_WEIGHTS,
    score: (prompt, completion) => scoreCompletion(resolve(prompt), completion),
    prompt: resolve,
  };
}

/** Totals closer than this are a tie. */
export const TIE_EPSILON = 1e-9;

/** Result of a win-rate evaluation. */
export interface WinRate {
  /** Mean outcome: win 1, tie 0.5, loss 0. */
  winRate: number;
  /** Normal-approximation 95% interval of the mean outcome, clipped to [0, 1]. */
  ci95: [number, number];
  n: number;
  wins: number;
  ties: number;
  losses: number;
}

/** The held-out judge: the oracle without noise. */
export interface Judge {
  /** 1 if `a` is better than `b` for `prompt`, 0.5 if they tie, 0 if worse. */
  compare(prompt: TaskPrompt | string, a: string, b: string): 0 | 0.5 | 1;
  /** Win rate of the `a`s over the `b`s, with a 95% interval. */
  winRate(items: readonly { prompt: TaskPrompt | string; a: string; b: string }[]): WinRate;
}

export function createJudge(oracle: Oracle): Judge {
  const compare = (prompt: TaskPrompt | string, a: string, b: string): 0 | 0.5 | 1 => {
    const p = oracle.prompt(prompt);
    const d = oracle.score(p, a).total - oracle.score(p, b).total;
    return d > TIE_EPSILON ? 1 : d < -TIE_EPSILON ? 0 : 0.5;
  };
  return {
    compare,
    winRate(items) {
      if (items.length === 0) throw new RangeError('judge.winRate: needs at least one comparison');
      const outcomes: number[] = items.map((it) => compare(it.prompt, it.a, it.b));
      const n = outcomes.length;
      const mean = outcomes.reduce((s, x) => s + x, 0) / n;
      const variance = n > 1 ? outcomes.reduce((s, x) => s + (x - mean) ** 2, 0) / (n - 1) : 0;
      const half = 1.96 * Math.sqrt(variance / n);
      return {
        winRate: mean,
        ci95: [Math.max(0, mean - half), Math.min(1, mean + half)],
        n,
        wins: outcomes.filter((x) => x === 1).length,
        ties: outcomes.filter((x) => x === 0.5).length,
        losses: outcomes.filter((x) => x === 0).length,
      };
    },
  };
}
