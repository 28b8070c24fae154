import { resolveActivityDeps, type ActivityDeps } from './activity-deps';
import { ArtifactCache } from './artifact-io';
import { createControlActivities } from './control-activities';
import { evaluateActivity } from './evaluate-policy';
import type { ExperimentActivities } from './experiment-activity-types';
import { ExperimentSpecReader } from './experiment-spec-reader';
import { fitRewardModelActivity } from './fit-reward-model';
import { generateSamplesActivity } from './generate-samples';
import { runDpoActivity, runPpoEpochsActivity } from './policy-training';
import { preparePolicyActivity } from './prepare-policy';

/**
 * Every activity of the experiment workflow over real dependencies (CONVENTIONS 3): control activities are domain
 * verbs; train activities run the engine and keep their outputs in the artifact store with lineage, keyed by the
 * step's idempotency key. Register the control ones on `hone-control` and the train ones on `hone-train`
 * (see CONTROL_ACTIVITY_NAMES / TRAIN_ACTIVITY_NAMES in the contract).
 */
export function createActivities(deps: ActivityDeps): ExperimentActivities {
  const resolved = resolveActivityDeps(deps);
  const specs = new ExperimentSpecReader(resolved.db);
  const t = { deps: resolved, specs, cache: new ArtifactCache() };
  return {
    ...createControlActivities(resolved, specs),
    preparePolicy: preparePolicyActivity(t),
    generateSamples: generateSamplesActivity(t),
    fitRewardModel: fitRewardModelActivity(t),
    runPpoEpochs: runPpoEpochsActivity(t),
    runDpo: runDpoActivity(t),
    evaluate: evaluateActivity(t),
  };
}
