import path from 'node:path';
import { defineActivity } from './activity-scope';
import { throwIfCancelled } from './activity-failure';
import { findArtifactByKey, storeArtifact, type StoredArtifact } from './artifact-io';
import type { ExperimentActivities, PreparePolicyOutput } from './experiment-activity-types';
import { ProgressReporter } from './progress-reporter';
import { outputKey, type TrainContext } from './train-context';

function output(a: StoredArtifact): PreparePolicyOutput {
  const s = a.summary;
  const sft = s.sftSteps === undefined ? undefined : { steps: Number(s.sftSteps), finalLoss: Number(s.sftFinalLoss) };
  // The SFT (or imported) policy is also the frozen reference: the same artifact.
  return { policyArtifactId: a.id, referenceArtifactId: a.id, source: s.source === 'onnx' ? 'onnx' : 'sft', ...(sft ? { sft } : {}) };
}

/** `preparePolicy`: SFT on the task corpus, or import an ONNX folder; policy₀ = the reference. */
export function preparePolicyActivity(t: TrainContext): ExperimentActivities['preparePolicy'] {
  const { deps, specs } = t;
  return defineActivity('preparePolicy', deps, async (input, { ctx, actor }) => {
    const key = outputKey(input.idempotencyKey, 'policy');
    const done = await findArtifactByKey(deps, key);
    if (done) return output(done);
    const { spec } = await specs.read(input.experimentId);
    const progress = new ProgressReporter(ctx, deps, { experimentId: input.experimentId, roundIndex: null, actor }, 'sft');
    progress.beat({ phase: spec.model.source });
    const opts = { signal: ctx.cancellationSignal, onProgress: progress.onProgress };
    const prepared =
      spec.model.source === 'sft'
        ? await deps.engine.trainSft(spec, input.seed, opts)
        : await deps.engine.importOnnxFolder(path.resolve(deps.config.onnxFolderRoot, spec.model.onnxFolder), spec, opts);
    throwIfCancelled(ctx);
    await progress.flush();
    const stored = await storeArtifact(
      deps,
      {
        key,
        kind: 'policy',
        experimentId: input.experimentId,
        parents: [],
        createdByActivity: input.idempotencyKey,
        actor,
        summary: {
          source: spec.model.source,
          seed: input.seed,
          ...prepared.description,
          ...(prepared.sft ? { sftSteps: prepared.sft.steps, sftFinalLoss: prepared.sft.finalLoss } : {}),
        },
      },
      prepared.policy,
    );
    return output(stored.artifact);
  });
}
