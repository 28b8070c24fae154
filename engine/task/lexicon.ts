/**
 * The built-in task's whole vocabulary, written here by hand (licence-clean, nothing copied): topics with their
 * nouns, verbs and place phrases, and the shared adjectives, adverbs and determiners. Every completion the task
 * generates uses only these words, and the oracle treats any other word as garbage.
 */

/** A noun with its singular and plural forms; `mass` nouns ("rain", "bread") take no article when singular. */
export interface Noun {
  s: string;
  p: string | null;
  mass?: boolean;
}

/** An intransitive verb: third person singular and plural forms. */
export interface Verb {
  s: string;
  p: string;
}

/** A place phrase "prep the noun"; an adjective may go before the noun. */
export interface Place {
  prep: string;
  noun: string;
}

/** One topic: how prompts name it and the words sentences about it use. */
export interface Topic {
  id: string;
  /** As written in prompts: "cats", "the sea". */
  name: string;
  nouns: readonly Noun[];
  verbs: readonly Verb[];
  places: readonly Place[];
}

const v = (s: string, p: string): Verb => ({ s, p });
const place = (prep: string, noun: string): Place => ({ prep, noun });

export const TOPICS: readonly Topic[] = [
  {
    id: 'cats', name: 'cats',
    nouns: [{ s: 'cat', p: 'cats' }, { s: 'kitten', p: 'kittens' }],
    verbs: [v('sleeps', 'sleep'), v('purrs', 'purr'), v('plays', 'play'), v('hides', 'hide')],
    places: [place('on', 'mat'), place('by', 'window'), place('under', 'bed'), place('in', 'box')],
  },
  {
    id: 'dogs', name: 'dogs',
    nouns: [{ s: 'dog', p: 'dogs' }, { s: 'puppy', p: 'puppies' }],
    verbs: [v('barks', 'bark'), v('runs', 'run'), v('plays', 'play'), v('waits', 'wait')],
    places: [place('in', 'park'), place('by', 'gate'), place('on', 'grass'), place('near', 'door')],
  },
  {
    id: 'sea', name: 'the sea',
    nouns: [{ s: 'sea', p: 'seas' }, { s: 'wave', p: 'waves' }],
    verbs: [v('shines', 'shine'), v('rolls', 'roll'), v('moves', 'move'), v('rests', 'rest')],
    places: [place('near', 'shore'), place('under', 'sky'), place('on', 'rocks'), place('in', 'wind')],
  },
  {
    id: 'moon', name: 'the moon',
    nouns: [{ s: 'moon', p: 'moons' }, { s: 'moonlight', p: null, mass: true }],
    verbs: [v('glows', 'glow'), v('shines', 'shine'), v('rises', 'rise'), v('waits', 'wait')],
    places: [place('above', 'hills'), place('over', 'town'), place('in', 'sky'), place('on', 'water')],
  },
  {
    id: 'rain', name: 'rain',
    nouns: [{ s: 'rain', p: null, mass: true }, { s: 'raindrop', p: 'raindrops' }],
    verbs: [v('falls', 'fall'), v('taps', 'tap'), v('drips', 'drip'), v('rests', 'rest')],
    places: [place('on', 'roof'), place('in', 'road'), place('on', 'glass'), place('over', 'town')],
  },
  {
    id: 'snow', name: 'snow',
    nouns: [{ s: 'snow', p: null, mass: true }, { s: 'snowflake', p: 'snowflakes' }],
    verbs: [v('falls', 'fall'), v('drifts', 'drift'), v('rests', 'rest'), v('melts', 'melt')],
    places: [place('on', 'hills'), place('over', 'town'), place('on', 'road'), place('in', 'forest')],
  },
  {
    id: 'trees', name: 'trees',
    nouns: [{ s: 'tree', p: 'trees' }, { s: 'leaf', p: 'leaves' }],
    verbs: [v('grows', 'grow'), v('sways', 'sway'), v('stands', 'stand'), v('rests', 'rest')],
    places: [place('in', 'forest'), place('by', 'road'), place('on', 'hill'), place('near', 'house')],
  },
  {
    id: 'birds', name: 'birds',
    nouns: [{ s: 'bird', p: 'birds' }],
    verbs: [v('sings', 'sing'), v('flies', 'fly'), v('hops', 'hop'), v('calls', 'call')],
    places: [place('on', 'roof'), place('in', 'sky'), place('over', 'field'), place('on', 'fence')],
  },
  {
    id: 'fish', name: 'fish',
    nouns: [{ s: 'fish', p: 'fish' }],
    verbs: [v('swims', 'swim'), v('glides', 'glide'), v('hides', 'hide'), v('turns', 'turn')],
    places: [place('in', 'pond'), place('under', 'rocks'), place('near', 'boat'), place('on', 'bottom')],
  },
  {
    id: 'bread', name: 'bread',
    nouns: [{ s: 'bread', p: null, mass: true }, { s: 'loaf', p: 'loaves' }],
    verbs: [v('bakes', 'bake'), v('rises', 'rise'), v('cools', 'cool'), v('waits', 'wait')],
    places: [place('in', 'oven'), place('on', 'table'), place('in', 'kitchen'), place('on', 'shelf')],
  },
  {
    id: 'city', name: 'the city',
    nouns: [{ s: 'city', p: 'cities' }, { s: 'street', p: 'streets' }],
    verbs: [v('hums', 'hum'), v('wakes', 'wake'), v('glows', 'glow'), v('sleeps', 'sleep')],
    places: [place('under', 'lights'), place('by', 'bridge'), place('in', 'fog'), place('on', 'hill')],
  },
  {
    id: 'garden', name: 'the garden',
    nouns: [{ s: 'garden', p: 'gardens' }, { s: 'flower', p: 'flowers' }],
    verbs: [v('grows', 'grow'), v('blooms', 'bloom'), v('rests', 'rest'), v('waits', 'wait')],
    places: [place('behind', 'house'), place('by', 'wall'), place('in', 'spring'), place('on', 'hill')],
  },
  {
    id: 'trains', name: 'trains',
    nouns: [{ s: 'train', p: 'trains' }],
    verbs: [v('runs', 'run'), v('stops', 'stop'), v('waits', 'wait'), v('rolls', 'roll')],
    places: [place('at', 'station'), place('on', 'tracks'), place('over', 'bridge'), place('in', 'valley')],
  },
  {
    id: 'books', name: 'books',
    nouns: [{ s: 'book', p: 'books' }, { s: 'page', p: 'pages' }],
    verbs: [v('rests', 'rest'), v('waits', 'wait'), v('sleeps', 'sleep'), v('opens', 'open')],
    places: [place('on', 'shelf'), place('on', 'desk'), place('in', 'library'), place('by', 'lamp')],
  },
  {
    id: 'sun', name: 'the sun',
    nouns: [{ s: 'sun', p: 'suns' }, { s: 'sunlight', p: null, mass: true }],
    verbs: [v('shines', 'shine'), v('rises', 'rise'), v('sets', 'set'), v('glows', 'glow')],
    places: [place('over', 'hills'), place('in', 'sky'), place('above', 'town'), place('on', 'water')],
  },
  {
    id: 'horses', name: 'horses',
    nouns: [{ s: 'horse', p: 'horses' }, { s: 'pony', p: 'ponies' }],
    verbs: [v('runs', 'run'), v('grazes', 'graze'), v('rests', 'rest'), v('waits', 'wait')],
    places: [place('in', 'field'), place('by', 'fence'), place('on', 'hill'), place('near', 'barn')],
  },
];

/** Adjectives: in noun phrases, after "is/are", before place nouns; also the words "uses the word" prompts ask for. */
export const ADJECTIVES: readonly string[] = [
  'blue', 'red', 'green', 'white', 'small', 'big', 'old', 'warm',
  'cold', 'quiet', 'happy', 'bright', 'dark', 'soft', 'wild', 'gentle',
];

/** Sentence openers (adverbs that can stand first). */
export const OPENERS: readonly string[] = ['today', 'tonight', 'sometimes', 'often', 'now'];

/** Adverbs that can close a sentence; `manner` ones do not follow "is/are". */
export const END_ADVERBS: readonly { word: string; manner: boolean }[] = [
  { word: 'again', manner: false }, { word: 'today', manner: false }, { word: 'tonight', manner: false },
  { word: 'outside', manner: false }, { word: 'now', manner: false }, { word: 'slowly', manner: true },
  { word: 'quietly', manner: true }, { word: 'softly', manner: true },
];

/** Determiners and the grammatical numbers they combine with. */
export const DETERMINERS: readonly { word: string; singular: boolean; plural: boolean; mass: boolean }[] = [
  { word: 'the', singular: true, plural: true, mass: true },
  { word: 'a', singular: true, plural: false, mass: false },
  { word: 'my', singular: true, plural: true, mass: true },
  { word: 'our', singular: true, plural: true, mass: true },
  { word: 'this', singular: true, plural: false, mass: true },
  { word: 'every', singular: true, plural: false, mass: false },
  { word: 'some', singular: false, plural: true, mass: true },
];

/** Number words for "exactly N words" prompts. */
export const COUNT_WORDS: readonly string[] = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine', 'ten'];

/** Words the task never counts as content (may repeat, do not make a sentence vivid). */
export const FUNCTION_WORDS: ReadonlySet<string> = new Set([
  'the', 'a', 'my', 'our', 'this', 'every', 'some', 'is', 'are', 'and',
  ...new Set(TOPICS.flatMap((t) => t.places.map((p) => p.prep))),
]);

/** Every word a generated completion can contain. */
export const LEXICON: ReadonlySet<string> = new Set([
  ...FUNCTION_WORDS,
  ...ADJECTIVES,
  ...OPENERS,
  ...END_ADVERBS.map((a) => a.word),
  ...TOPICS.flatMap((t) => [
    ...t.nouns.flatMap((n) => (n.p ? [n.s, n.p] : [n.s])),
    ...t.verbs.flatMap((x) => [x.s, x.p]),
    ...t.places.map((p) => p.noun),
  ]),
]);

/** Descriptive words: what makes a sentence vivid (adjectives, adverbs, place nouns). */
export const DESCRIPTIVE_WORDS: ReadonlySet<string> = new Set([
  ...ADJECTIVES,
  ...OPENERS,
  ...END_ADVERBS.map((a) => a.word),
  ...TOPICS.flatMap((t) => t.places.map((p) => p.noun)),
]);

/** The words that show a sentence is about a topic: its nouns in both forms and its name without "the". */
export function topicKeywords(topic: Topic): Set<string> {
  const words = new Set<string>();
  for (const n of topic.nouns) {
    words.add(n.s);
    if (n.p) words.add(n.p);
  }
  for (const w of topic.name.split(' ')) if (w !== 'the') words.add(w);
  return words;
}

/** Topic by id; throws naming the unknown id. */
export function topicById(id: string): Topic {
  const topic = TOPICS.find((t) => t.id === id);
  if (!topic) throw new Error(`unknown topic ${JSON.stringify(id)} (known: ${TOPICS.map((t) => t.id).join(', ')})`);
  return topic;
}
