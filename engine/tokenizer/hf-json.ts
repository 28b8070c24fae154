/**
 * The shapes of Hugging Face `tokenizer.json` (tokenizers ≥ 0.13) and `tokenizer_config.json` as far as a
 * byte-level BPE tokenizer uses them. Field names follow the files, hence snake_case.
 */

/** One entry of `added_tokens`. */
export interface HfAddedToken {
  id: number;
  content: string;
  single_word: boolean;
  lstrip: boolean;
  rstrip: boolean;
  normalized: boolean;
  special: boolean;
}

/** The ByteLevel pre-tokenizer / decoder / post-processor block. */
export interface HfByteLevel {
  type: 'ByteLevel';
  add_prefix_space: boolean;
  trim_offsets: boolean;
  use_regex: boolean;
}

/** The BPE model block. Merges are written as "left right" strings (readable by every tokenizers version). */
export interface HfBpeModel {
  type: 'BPE';
  dropout: null;
  unk_token: string | null;
  continuing_subword_prefix: string | null;
  end_of_word_suffix: string | null;
  fuse_unk: boolean;
  byte_fallback: boolean;
  ignore_merges: boolean;
  vocab: Record<string, number>;
  merges: string[] | [string, string][];
}

/** A whole `tokenizer.json` for a byte-level BPE tokenizer. */
export interface HfTokenizerJson {
  version: string;
  truncation: null;
  padding: null;
  added_tokens: HfAddedToken[];
  normalizer: null;
  pre_tokenizer: HfByteLevel;
  post_processor: HfByteLevel | null;
  decoder: HfByteLevel;
  model: HfBpeModel;
}

/** `tokenizer_config.json`: which special tokens play which role, read by transformers (Python and JS). */
export interface HfTokenizerConfig {
  tokenizer_class: string;
  bos_token: string;
  eos_token: string;
  pad_token: string;
  unk_token: string | null;
  add_prefix_space: boolean;
  add_bos_token: boolean;
  add_eos_token: boolean;
  clean_up_tokenization_spaces: boolean;
  model_max_length: number;
}
