export { checkGradients, randomProjection, seededUniform } from './grad-check';
export type { GradCheckOptions, GradCheckResult, GradCoordinate, LossBuilder } from './grad-check';
export type { BackwardRule, GradPart, ScatterAddPart } from './grad-part';
export { Graph } from './graph';
export type { GraphOptions, Operand, ParamInfo } from './graph';
export { buildTinyGpt, initTinyGpt } from './tiny-gpt';
export type { TinyGpt, TinyGptConfig } from './tiny-gpt';
