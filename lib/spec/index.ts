/** The experiment spec: YAML schema, parser, loader and the small summary that workflows carry. */
export { parseSpec, type ParseSpecOptions } from './parse-spec';
export { loadSpec } from './load-spec';
export { specSummary, specHash, quorumTasks, type SpecSummary, type TrainingSteps } from './spec-summary';
export { ppoForRound } from './ppo-for-round';
export { SpecError, formatSpecIssues, type SpecIssue } from './spec-error';
export { experimentSpecSchema, type ExperimentSpec, type QuorumSpec } from './experiment-spec-schema';
export { parseDuration, formatDuration } from './duration';
