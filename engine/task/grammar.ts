import type { Rng } from '../util/rng';
import { ADJECTIVES, DETERMINERS, END_ADVERBS, FUNCTION_WORDS, OPENERS, type Noun, type Topic } from './lexicon';

/**
 * A small sentence grammar for the built-in task:
 *
 *   [opener] [det] [adj] noun ( verb | verb and verb | is/are adj ) [prep the [adj] place] [adverb] .
 *
 * e.g. "today the small cat sleeps on the warm mat." Requirements (a word to include, exclude, start or end with,
 * an exact length) are met by construction where the structure allows and checked again at the end.
 */

/** What a generated sentence must (not) do. All words lower-case. */
export interface SentenceRequirements {
  /** An adjective the sentence must contain. */
  include?: string;
  /** A function word the sentence must contain ("the", "a", "is", "and", or a preposition). */
  contain?: string;
  /** Words that must not appear. */
  exclude?: readonly string[];
  /** The first word (an opener or a determiner). */
  start?: string;
  /** The last word (an end adverb). */
  end?: string;
  /** Exact number of words. */
  length?: number;
  /** A number of words the sentence must not have. */
  avoidLength?: number;
  /** Allowed number of words when `length` is not given. Default [5, 12]. */
  lengthRange?: readonly [number, number];
}

type VerbPhrase = 'verb' | 'two-verbs' | 'copula';

interface Structure {
  opener: boolean;
  det: boolean;
  adj: boolean;
  vp: VerbPhrase;
  place: 0 | 3 | 4;
  end: boolean;
  weight: number;
  length: number;
}

// Weights shape the free length distribution (mean ≈ 8 words) and make determiners and single verbs common.
const STRUCTURES: readonly Structure[] = (() => {
  const out: Structure[] = [];
  for (const opener of [false, true]) {
    for (const det of [false, true]) {
      for (const adj of [false, true]) {
        for (const [vp, vpw, vpl] of [['verb', 3, 1], ['two-verbs', 1, 3], ['copula', 1.5, 2]] as const) {
          for (const [place, pw] of [[0, 1], [3, 1.5], [4, 1]] as const) {
            for (const end of [false, true]) {
              const weight = (opener ? 0.35 : 1) * (det ? 3 : 1) * vpw * pw * (end ? 0.5 : 1);
              const length = +opener + +det + +adj + 1 + vpl + place + +end;
              out.push({ opener, det, adj, vp, place, end, weight, length });
            }
          }
        }
      }
    }
  }
  return out;
})();

const MAX_ATTEMPTS = 500;

/**
 * Words of one sentence about `topic` meeting `req` (without the final period). Deterministic given `rng`'s
 * state. Throws when the requirements cannot be met (a bug in the caller's request, e.g. an unknown word).
 */
export function generateSentence(topic: Topic, rng: Rng, req: SentenceRequirements = {}): string[] {
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const words = tryGenerate(topic, rng, req);
    if (words && meets(words, req)) return words;
  }
  throw new Error(`generateSentence: cannot meet ${JSON.stringify(req)} for topic ${topic.id} in ${MAX_ATTEMPTS} attempts`);
}

/** Whether `words` satisfy `req` and repeat no content word. */
export function meets(words: readonly string[], req: SentenceRequirements): boolean {
  const [lo, hi] = req.lengthRange ?? [5, 12];
  if (req.length !== undefined ? words.length !== req.length : words.length < lo || words.length > hi) return false;
  if (req.avoidLength !== undefined && words.length === req.avoidLength) return false;
  if (req.include !== undefined && !words.includes(req.include)) return false;
  if (req.contain !== undefined && !words.includes(req.contain)) return false;
  if (req.exclude?.some((w) => words.includes(w))) return false;
  if (req.start !== undefined && words[0] !== req.start) return false;
  if (req.end !== undefined && words[words.length - 1] !== req.end) return false;
  return !hasRepeat(words);
}

/** A content word used twice, or any word twice in a row. */
export function hasRepeat(words: readonly string[]): boolean {
  const seen = new Set<string>();
  for (let i = 0; i < words.length; i++) {
    const w = words[i];
    if (i > 0 && words[i - 1] === w) return true;
    if (FUNCTION_WORDS.has(w)) continue;
    if (seen.has(w)) return true;
    seen.add(w);
  }
  return false;
}

function tryGenerate(topic: Topic, rng: Rng, req: SentenceRequirements): string[] | null {
  const exclude = new Set(req.exclude ?? []);
  const startDet = req.start !== undefined ? DETERMINERS.find((d) => d.word === req.start) : undefined;
  const startOpener = req.start !== undefined && OPENERS.includes(req.start);
  if (req.start !== undefined && !startDet && !startOpener) throw new Error(`generateSentence: cannot start with ${JSON.stringify(req.start)}`);
  const endAdverb = req.end !== undefined ? END_ADVERBS.find((a) => a.word === req.end) : undefined;
  if (req.end !== undefined && !endAdverb) throw new Error(`generateSentence: cannot end with ${JSON.stringify(req.end)}`);
  if (req.include !== undefined && !ADJECTIVES.includes(req.include)) throw new Error(`generateSentence: cannot place ${JSON.stringify(req.include)} (not an adjective)`);

  // Noun and grammatical number.
  const noun: Noun = rng.choice(topic.nouns);
  const plural = noun.p !== null && rng.uniform() < 0.5;
  const numberOk = (d: (typeof DETERMINERS)[number]): boolean => (noun.mass ? d.mass : plural ? d.plural : d.singular);
  if (startDet && !numberOk(startDet)) return null;
  const dets = DETERMINERS.filter((d) => numberOk(d) && !exclude.has(d.word) && (startDet ? d === startDet : true));
  const places = topic.places.filter((p) => !exclude.has(p.prep) && !exclude.has('the') && !exclude.has(p.noun));
  const copulaWord = plural ? 'are' : 'is';

  const candidates = STRUCTURES.filter((s) => {
    if (req.length !== undefined ? s.length !== req.length : false) return false;
    if (!s.det && !plural && !noun.mass) return false;
    if (s.det && dets.length === 0) return false;
    if (startOpener && !s.opener) return false;
    if (startDet && (s.opener || !s.det)) return false;
    if (req.end !== undefined && !s.end) return false;
    if (req.include !== undefined && !s.adj && s.vp !== 'copula' && s.place !== 4) return false;
    if (s.place > 0 && places.length === 0) return false;
    if (s.vp === 'two-verbs' && (exclude.has('and') || topic.verbs.length < 2)) return false;
    if (s.vp === 'copula' && exclude.has(copulaWord)) return false;
    if (s.vp === 'copula' && endAdverb?.manner) return false;
    return true;
  });
  if (candidates.length === 0) return null;
  const s = candidates[rng.weightedIndex(candidates.map((c) => c.weight))];

  const used = new Set<string>();
  const pick = (options: readonly string[]): string | null => {
    const free = options.filter((w) => !used.has(w) && !exclude.has(w));
    if (free.length === 0) return null;
    const w = rng.choice(free);
    used.add(w);
    return w;
  };
  const reserve = (w: string | undefined): void => {
    if (w !== undefined) used.add(w);
  };
  reserve(req.include);
  reserve(req.end);
  reserve(req.start);

  // Which adjective slot holds the required adjective.
  const adjSlots: ('np' | 'copula' | 'place')[] = [];
  if (s.adj) adjSlots.push('np');
  if (s.vp === 'copula') adjSlots.push('copula');
  if (s.place === 4) adjSlots.push('place');
  const includeSlot = req.include !== undefined ? rng.choice(adjSlots) : null;
  const adjective = (slot: 'np' | 'copula' | 'place'): string | null => (slot === includeSlot ? (req.include as string) : pick(ADJECTIVES));

  const words: string[] = [];
  if (s.opener) {
    const w = startOpener ? (req.start as string) : pick(OPENERS.filter((o) => o !== req.end));
    if (w === null) return null;
    words.push(w);
  }
  if (s.det) words.push(startDet ? startDet.word : rng.choice(dets).word);
  if (s.adj) {
    const a = adjective('np');
    if (a === null) return null;
    words.push(a);
  }
  words.push(plural ? (noun.p as string) : noun.s);
  const verbForm = (x: { s: string; p: string }): string => (plural ? x.p : x.s);
  if (s.vp === 'verb') {
    words.push(verbForm(rng.choice(topic.verbs)));
  } else if (s.vp === 'two-verbs') {
    const [v1, v2] = rng.shuffle([...topic.verbs]).slice(0, 2);
    words.push(verbForm(v1), 'and', verbForm(v2));
  } else {
    const a = adjective('copula');
    if (a === null) return null;
    words.push(copulaWord, a);
  }
  if (s.place > 0) {
    const p = rng.choice(places);
    words.push(p.prep, 'the');
    if (s.place === 4) {
      const a = adjective('place');
      if (a === null) return null;
      words.push(a);
    }
    words.push(p.noun);
  }
  if (s.end) {
    const options = END_ADVERBS.filter((a) => !(s.vp === 'copula' && a.manner)).map((a) => a.word);
    const w = endAdverb ? endAdverb.word : pick(options.filter((o) => o !== req.start && !(s.opener && words[0] === o)));
    if (w === null) return null;
    words.push(w);
  }
  return words;
}
