import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type * as Transformers from '@huggingface/transformers' with { 'resolution-mode': 'import' };
import { Rng } from '../util/rng';
import { createBuiltinTask } from '../task';
import { Tokenizer } from './tokenizer';
import { trainBpe } from './train-bpe';

// Loads our tokenizer.json with Hugging Face's own JavaScript tokenizer (offline, from a local folder) and checks
// that both encode and decode every test string identically.

// The package is ESM-typed but ships a CommonJS build; jest runs CommonJS, so load that build directly.
const { AutoTokenizer, env } = require('@huggingface/transformers') as typeof Transformers;
type HfTokenizer = Awaited<ReturnType<typeof AutoTokenizer.from_pretrained>>;

const PIECES = [
  'the', ' cat', ' sat', 'on', ' mat', '.', ',', '!', '?', "'s", "'t", "'re", "'ve", "'ll", "'d", "'m", ' isn', 'don',
  '  ', '   ', '\n', '\n\n', '\t', ' \n ', '42', ' 7', '3.14', '1,000', ' ', '—', '…', '«', '»', 'é', 'ö', 'ß', 'ñ',
  'naïve', 'café', ' Zürich', '日本語', ' 中文', '한국어', 'Ελληνικά', ' русский', 'עברית', 'العربية', '🎉', '👩‍👩‍👧',
  '🇫🇷', 'e\u0301', '\u00a0', '\u2003', '\u200b', '<|endoftext|>', '<|endoftext', 'endoftext|>', '<|', '|>', 'x'.repeat(70),
  ' ' + 'ab'.repeat(40), ' '.repeat(60), 'ALL CAPS', 'MiXeD', '@user', '#tag', 'http://example.com/a?b=c', '$', '%',
  '(', ')', '[', ']', '{', '}', '"', '\\', '/', '*', '+', '=', '~', '`', '^', '_', '-', ';', ':', '\u0000', '\u007f',
];

function randomStrings(count: number, seed: number): string[] {
  const rng = Rng.fromSeed(seed);
  return Array.from({ length: count }, () => {
    const n = 1 + rng.int(8);
    let s = '';
    for (let i = 0; i < n; i++) s += rng.choice(PIECES);
    return s;
  });
}

describe('tokenizer.json read by @huggingface/transformers', () => {
  let dir: string;
  const task = createBuiltinTask({ seed: 1 });
  const taskTexts = [
    ...task.demonstrations.slice(0, 300).map((d) => task.format.renderExample(d.prompt, d.completion)),
    ...task.heldoutPrompts.slice(0, 100).map((p) => task.format.renderPrompt(p)),
  ];
  const ours = trainBpe([...taskTexts, ...randomStrings(400, 1)], { vocabSize: 600 });
  let hf: HfTokenizer;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'hone-tok-'));
    mkdirSync(join(dir, 'tiny'));
    writeFileSync(join(dir, 'tiny', 'tokenizer.json'), JSON.stringify(ours.toJSON()));
    writeFileSync(join(dir, 'tiny', 'tokenizer_config.json'), JSON.stringify(ours.tokenizerConfig({ modelMaxLength: 64 })));
    env.allowRemoteModels = false;
    env.allowLocalModels = true;
    env.localModelPath = dir;
    hf = await AutoTokenizer.from_pretrained('tiny');
  });

  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  const check = (texts: string[]): void => {
    const mismatches: string[] = [];
    for (const text of texts) {
      const ids = ours.encode(text);
      const hfIds = hf.encode(text);
      if (ids.join() !== hfIds.join()) mismatches.push(`encode ${JSON.stringify(text)}: ours ${ids} hf ${hfIds}`);
      if (ids.length > 0) {
        const back = ours.decode(ids);
        const hfBack = hf.decode(ids, { skip_special_tokens: false });
        if (back !== hfBack) mismatches.push(`decode ${JSON.stringify(text)}: ours ${JSON.stringify(back)} hf ${JSON.stringify(hfBack)}`);
        const skipped = ours.decode(ids, { skipSpecialTokens: true });
        const hfSkipped = hf.decode(ids, { skip_special_tokens: true });
        if (skipped !== hfSkipped) mismatches.push(`decode(skip) ${JSON.stringify(text)}: ${JSON.stringify(skipped)} vs ${JSON.stringify(hfSkipped)}`);
      }
    }
    expect(mismatches.slice(0, 5)).toEqual([]);
  };

  it('encodes and decodes the task texts identically', () => {
    const more = createBuiltinTask({ seed: 2 });
    check([
      ...taskTexts,
      ...more.demonstrations.slice(0, 500).map((d) => more.format.renderExample(d.prompt, d.completion)),
      ...more.pretrainTexts.slice(0, 200),
    ]);
  });

  it('encodes and decodes random unicode, whitespace, numbers, punctuation and special-token text identically', () => {
    check(randomStrings(3000, 2));
    check(PIECES);
  });

  it('decodes arbitrary id sequences (including broken UTF-8 and specials between byte halves) identically', () => {
    const rng = Rng.fromSeed(3);
    const mismatches: string[] = [];
    for (let k = 0; k < 2000; k++) {
      const ids = Array.from({ length: 1 + rng.int(12) }, () => rng.int(ours.vocabSize));
      const a = ours.decode(ids);
      const b = hf.decode(ids, { skip_special_tokens: false });
      if (a !== b) mismatches.push(`${ids}: ${JSON.stringify(a)} vs ${JSON.stringify(b)}`);
    }
    expect(mismatches.slice(0, 5)).toEqual([]);
  });

  it('names <|endoftext|> as EOS and padding in tokenizer_config.json', () => {
    expect(hf.eos_token).toBe('<|endoftext|>');
    expect(hf.pad_token).toBe('<|endoftext|>');
    expect(hf.eos_token_id).toBe(ours.eosId);
    expect(ours.eosId).toBe(0);
  });

  it('reads back its own tokenizer.json into an identical tokenizer', () => {
    const again = Tokenizer.fromJSON(JSON.stringify(ours.toJSON()));
    expect(again.toJSON()).toEqual(ours.toJSON());
    for (const t of randomStrings(200, 4)) expect(again.encode(t)).toEqual(ours.encode(t));
  });
});

// The Rust library itself, through Python, when `tokenizers` is installed (pip install tokenizers). Skipped with a
// message where it is not. Strings with U+FEFF are left out: JavaScript's \s includes it and Rust's does not (see
// byte-level.ts), and we follow transformers.js there.
const havePythonTokenizers = spawnSync('python3', ['-c', 'import tokenizers'], { encoding: 'utf8' }).status === 0;
if (!havePythonTokenizers) {
  console.warn('tokenizer: skipping the Python `tokenizers` cross-check: python3 with `tokenizers` is not available (pip install tokenizers)');
}

(havePythonTokenizers ? describe : describe.skip)('tokenizer.json read by Python tokenizers (Rust)', () => {
  it('encodes and decodes like the reference library', () => {
    const task = createBuiltinTask({ seed: 3, demonstrations: 300 });
    const ours = trainBpe([...task.tokenizerTexts(), ...randomStrings(300, 5)], { vocabSize: 600 });
    const texts = [...PIECES, ...randomStrings(2000, 6), ...task.demonstrations.map((d) => task.format.renderExample(d.prompt, d.completion))];
    const dir = mkdtempSync(join(tmpdir(), 'hone-tok-py-'));
    try {
      writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify(ours.toJSON()));
      writeFileSync(join(dir, 'texts.json'), JSON.stringify(texts));
      const script = `
import json, sys
from tokenizers import Tokenizer
t = Tokenizer.from_file(sys.argv[1] + '/tokenizer.json')
texts = json.load(open(sys.argv[1] + '/texts.json', encoding='utf-8'))
out = []
for x in texts:
    ids = t.encode(x).ids
    out.append([ids, t.decode(ids, skip_special_tokens=False) if ids else ''])
json.dump(out, open(sys.argv[1] + '/out.json', 'w', encoding='utf-8'))
`;
      execFileSync('python3', ['-c', script, dir]);
      const theirs: [number[], string][] = JSON.parse(readFileSync(join(dir, 'out.json'), 'utf8'));
      const mismatches: string[] = [];
      texts.forEach((text, i) => {
        const ids = ours.encode(text);
        if (ids.join() !== theirs[i][0].join()) mismatches.push(`encode ${JSON.stringify(text)}: ${ids} vs ${theirs[i][0]}`);
        else if (ids.length > 0 && ours.decode(ids) !== theirs[i][1]) mismatches.push(`decode ${JSON.stringify(text)}`);
      });
      expect(mismatches.slice(0, 5)).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
