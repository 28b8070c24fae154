export { BYTE_TO_UNICODE, UNICODE_TO_BYTE, GPT2_SPLIT_PATTERN, preTokenize } from './byte-level';
export type { HfAddedToken, HfBpeModel, HfByteLevel, HfTokenizerConfig, HfTokenizerJson } from './hf-json';
export { END_OF_TEXT, Tokenizer } from './tokenizer';
export type { DecodeOptions, EncodeOptions, SpecialToken, TokenizerSpec } from './tokenizer';
export { trainBpe } from './train-bpe';
export type { TrainBpeOptions } from './train-bpe';
