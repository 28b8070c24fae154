export { buildDecodeGraph, decodeNames } from './decode-graph';
export type { DecodeGraphOptions } from './decode-graph';
export { Sampler } from './sampler';
export type { FinishReason, GenerateOptions, Generation, SamplerModel, SamplerOptions } from './sampler';
export { TokenSelector } from './token-selector';
export type { SelectionRule } from './token-selector';
