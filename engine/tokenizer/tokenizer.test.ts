import { Rng } from '../util/rng';
import { BYTE_TO_UNICODE, preTokenize } from './byte-level';
import { END_OF_TEXT, Tokenizer } from './tokenizer';
import { trainBpe } from './train-bpe';

const CORPUS = [
  'the cat sleeps on the warm mat.',
  'the dog runs in the park today.',
  'a small bird sings on the roof.',
  "it's the cat's mat, isn't it?",
  'snow falls softly over the quiet town.',
  'héllo wörld, ça va? 日本語のテキスト 🎉',
];

function corpus(n: number, seed: number): string[] {
  const rng = Rng.fromSeed(seed);
  return Array.from({ length: n }, () => rng.choice(CORPUS));
}

describe('byte-level pieces', () => {
  it('maps bytes like GPT-2 (printable bytes to themselves, space to Ġ, newline to Ċ)', () => {
    expect(BYTE_TO_UNICODE[0x41]).toBe('A');
    expect(BYTE_TO_UNICODE[0x20]).toBe('Ġ');
    expect(BYTE_TO_UNICODE[0x0a]).toBe('Ċ');
    expect(new Set(BYTE_TO_UNICODE).size).toBe(256);
  });

  it('pre-tokenizes like GPT-2', () => {
    expect(preTokenize("it's  a cat's 42 mats!!\n")).toEqual(['it', "'s", ' ', ' a', ' cat', "'s", ' 42', ' mats', '!!', '\n']);
  });
});

describe('trainBpe', () => {
  const tok = trainBpe(corpus(500, 1), { vocabSize: 300 });

  it('lays out ids as specials, then the 256 bytes, then merges, and fills the vocabulary', () => {
    expect(tok.vocabSize).toBe(300);
    expect(tok.idToToken(0)).toBe(END_OF_TEXT);
    expect(tok.eosId).toBe(0);
    expect(tok.padId).toBe(0);
    for (let b = 0; b < 256; b++) expect(tok.idToToken(1 + b)).toBe(BYTE_TO_UNICODE[b]);
    expect(tok.mergeList()).toHaveLength(300 - 257);
    expect(tok.encode(' the')).toHaveLength(1);
  });

  it('is deterministic and independent of text order', () => {
    const again = trainBpe(corpus(500, 1), { vocabSize: 300 });
    const shuffled = trainBpe(Rng.fromSeed(9).shuffle(corpus(500, 1)), { vocabSize: 300 });
    expect(again.toJSON()).toEqual(tok.toJSON());
    expect(shuffled.toJSON()).toEqual(tok.toJSON());
  });

  it('stops merging below minFrequency', () => {
    const small = trainBpe(['ab ab', 'cd'], { vocabSize: 400, minFrequency: 2 });
    // "ab" occurs twice ("ab", " ab"); after merging it, "Ġ ab" and "c d" occur once each.
    expect(small.mergeList()).toEqual([['a', 'b']]);
    expect(small.vocabSize).toBe(257 + 1);
  });

  it('learns merges only from ordinary text, not from special tokens inside it', () => {
    const t = trainBpe(Array(20).fill('<|endoftext|>x<|endoftext|>'), { vocabSize: 300 });
    expect(t.mergeList()).toEqual([]);
  });

  it('takes several special tokens in order', () => {
    const t = trainBpe(corpus(50, 2), { vocabSize: 280, specialTokens: ['<|endoftext|>', '<|pad|>'] });
    expect(t.tokenToId('<|pad|>')).toBe(1);
    expect(t.encode('a<|pad|>b')).toEqual([t.tokenToId('a'), 1, t.tokenToId('b')]);
  });

  it('rejects a vocabulary too small for the bytes, naming the minimum', () => {
    expect(() => trainBpe(['x'], { vocabSize: 200 })).toThrow(/257/);
    expect(() => trainBpe(['x'], { vocabSize: 300, specialTokens: ['a', 'a'] })).toThrow(/distinct/);
  });
});

describe('Tokenizer', () => {
  const tok = trainBpe(corpus(500, 1), { vocabSize: 320 });

  it('round-trips any text, including unicode, whitespace and control characters', () => {
    const rng = Rng.fromSeed(3);
    const alphabet = [...'abc xyz.,!?\n\t  ', 'é', '日', '🎉', '\u0000', '\u200b', "'s", END_OF_TEXT];
    for (let i = 0; i < 2000; i++) {
      const text = Array.from({ length: rng.int(30) }, () => rng.choice(alphabet)).join('');
      expect(tok.decode(tok.encode(text))).toBe(text);
    }
  });

  it('matches special tokens in text unless told not to, and can skip them on decode', () => {
    const ids = tok.encode('the cat<|endoftext|>');
    expect(ids[ids.length - 1]).toBe(tok.eosId);
    expect(tok.decode(ids, { skipSpecialTokens: true })).toBe('the cat');
    const plain = tok.encode('the cat<|endoftext|>', { allowSpecial: false });
    expect(plain).not.toContain(tok.eosId);
    expect(tok.decode(plain)).toBe('the cat<|endoftext|>');
    expect(tok.isSpecial(tok.eosId)).toBe(true);
  });

  it('gives the bytes of each token for streaming decoders', () => {
    const text = 'snow falls 🎉 softly';
    const bytes = Buffer.concat(tok.encode(text).map((id) => tok.tokenBytes(id)));
    expect(bytes.toString('utf8')).toBe(text);
  });

  it('names ids outside the vocabulary', () => {
    expect(() => tok.decode([5, 9999])).toThrow(/9999.*position 1/);
  });

  it('reads merges written as pairs or as "left right" strings', () => {
    const json = tok.toJSON();
    const asPairs = { ...json, model: { ...json.model, merges: tok.mergeList() } };
    const t = Tokenizer.fromJSON(asPairs);
    expect(t.encode('the warm cat')).toEqual(tok.encode('the warm cat'));
  });

  it('refuses tokenizer.json files it cannot reproduce, saying why', () => {
    const json = tok.toJSON();
    expect(() => Tokenizer.fromJSON({ ...json, model: { ...json.model, type: 'WordPiece' } })).toThrow(/only "BPE"/);
    expect(() => Tokenizer.fromJSON({ ...json, normalizer: { type: 'NFC' } })).toThrow(/normalizer/);
    expect(() => Tokenizer.fromJSON({ ...json, pre_tokenizer: { type: 'Whitespace' } })).toThrow(/ByteLevel/);
    expect(() => Tokenizer.fromJSON({ ...json, model: { ...json.model, merges: ['Ġ zz'] } })).toThrow(/merge #0/);
    expect(() => Tokenizer.fromJSON('{"nope": 1}')).toThrow(/model/);
  });

  it('honours add_prefix_space from a tokenizer.json', () => {
    const json = tok.toJSON();
    const t = Tokenizer.fromJSON({ ...json, pre_tokenizer: { ...json.pre_tokenizer, add_prefix_space: true } });
    expect(t.encode('cat')).toEqual(tok.encode(' cat'));
  });

  it('encodes long words (heap path) the same as the same pieces built from short ones', () => {
    const t = trainBpe(Array(50).fill('abababab'), { vocabSize: 270 });
    expect(t.mergeList()).toEqual([['a', 'b'], ['ab', 'ab'], ['abab', 'abab']]);
    const long = 'ab'.repeat(64);
    const ids = t.encode(long);
    expect(t.decode(ids)).toBe(long);
    // "abababab" is one token here, so 128 bytes become 16 of them.
    expect(ids).toEqual(Array(16).fill(t.tokenToId('abababab')));
  });
});
