export { SAMPLER_OPSET, buildDecodeStepGraph, buildPrefillGraph, decodeNames, decodeStepWeights } from './decode-graph';
export type { SamplerGraphOptions } from './decode-graph';
export { SAMPLER_SESSION_OPTIONS, Sampler } from './sampler';
export type { FinishReason, GenerateOptions, Generation, SamplerModel, SamplerOptions } from './sampler';
export { TokenSelector } from './token-selector';
export type { SelectionRule } from './token-selector';
export { SamplerPool } from './sampler-pool';
export type { SamplerPoolOptions } from './sampler-pool';
export { checkGenerateOptions, encodePrompts, sequenceStream } from './sampler';
