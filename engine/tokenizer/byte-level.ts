/**
 * The byte-level pieces of GPT-2's tokenizer, exactly as Hugging Face tokenizers define them: the pre-tokenizer
 * regular expression and the bytes_to_unicode table that turns every byte into a printable character, so that
 * vocabulary entries are readable strings and a space shows as 'Ġ'.
 */

/**
 * GPT-2's pre-tokenizer pattern (HF ByteLevel with use_regex: true). Contractions, optional-space + letters, numbers
 * or other symbols, and runs of whitespace (a trailing space before a word stays with the word).
 *
 * Evaluated with JavaScript's regular expressions, exactly as transformers.js does. One known difference from the
 * Rust `tokenizers`: JavaScript's \s includes U+FEFF (byte-order mark) and Rust's does not, so text containing a
 * BOM can split differently there (measured: 1 of 3331 mixed-unicode test strings).
 */
export const GPT2_SPLIT_PATTERN = /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu;

/** GPT-2's bytes_to_unicode: printable bytes map to themselves, the other 68 to code points 256, 257, … */
function buildByteToUnicode(): string[] {
  const printable: number[] = [];
  for (let b = 0x21; b <= 0x7e; b++) printable.push(b);
  for (let b = 0xa1; b <= 0xac; b++) printable.push(b);
  for (let b = 0xae; b <= 0xff; b++) printable.push(b);
  const table = new Array<string>(256);
  for (const b of printable) table[b] = String.fromCharCode(b);
  let n = 0;
  for (let b = 0; b < 256; b++) {
    if (table[b] === undefined) table[b] = String.fromCharCode(256 + n++);
  }
  return table;
}

/** Byte value → its one-character byte-level symbol. */
export const BYTE_TO_UNICODE: readonly string[] = buildByteToUnicode();

/** Byte-level symbol (one character) → byte value. */
export const UNICODE_TO_BYTE: ReadonlyMap<string, number> = new Map(BYTE_TO_UNICODE.map((c, b) => [c, b]));

/** Splits text into GPT-2 pre-tokens (the units BPE never merges across). */
export function preTokenize(text: string): string[] {
  return text.match(GPT2_SPLIT_PATTERN) ?? [];
}

/** Byte-level symbol string of some bytes, e.g. bytes of " cat" → "Ġcat". */
export function bytesToSymbols(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += BYTE_TO_UNICODE[b];
  return s;
}

/** Bytes of a byte-level symbol string; throws naming the character when it is not a byte-level symbol. */
export function symbolsToBytes(symbols: string): Uint8Array {
  const out = new Uint8Array(symbols.length);
  for (let i = 0; i < symbols.length; i++) {
    const b = UNICODE_TO_BYTE.get(symbols[i]);
    if (b === undefined) {
      throw new Error(`byte-level token ${JSON.stringify(symbols)} contains ${JSON.stringify(symbols[i])}, which is not a byte symbol`);
    }
    out[i] = b;
  }
  return out;
}
