import type { ResolvedActivityDeps } from './activity-deps';
import type { ArtifactCache } from './artifact-io';
import type { ExperimentSpecReader } from './experiment-spec-reader';

/** What every train activity shares: dependencies, the spec reader and the artifact byte cache. */
export interface TrainContext {
  deps: ResolvedActivityDeps;
  specs: ExperimentSpecReader;
  cache: ArtifactCache;
}

/** Store key of an output of the step with this idempotency key. */
export function outputKey(idempotencyKey: string, name: string): string {
  return `${idempotencyKey}/${name}`;
}
