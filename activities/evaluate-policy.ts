import { defineActivity } from './activity-scope';
import { throwIfCancelled } from './activity-failure';
import { findArtifactByKey, loadArtifact, storeArtifact } from './artifact-io';
import type { EvaluationMetrics, ExperimentActivities } from './experiment-activity-types';
import { ProgressReporter } from './progress-reporter';
import { outputKey, type TrainContext } from './train-context';

/**
 * `evaluate`: the policy against the reference on held-out prompts by the spec's judge (win rate with its 95%
 * interval), KL and reward-model score. The per-prompt judgements are kept as an `evaluation` artifact
 * (parents: policy, reference, reward model); the metrics go back to the workflow.
 */
export function evaluateActivity(t: TrainContext): ExperimentActivities['evaluate'] {
  const { deps, specs, cache } = t;
  return defineActivity('evaluate', deps, async (input, { ctx, actor }) => {
    const key = outputKey(input.idempotencyKey, 'evaluation.json');
    const done = await findArtifactByKey(deps, key);
    if (done) return done.summary.metrics as EvaluationMetrics;
    const { spec } = await specs.read(input.experimentId);
    const [policy, reference, rewardModel] = await Promise.all([
      loadArtifact(deps, cache, input.policyArtifactId, ['policy']),
      loadArtifact(deps, cache, input.referenceArtifactId, ['policy']),
      loadArtifact(deps, cache, input.rewardModelArtifactId, ['reward_model']),
    ]);
    const progress = new ProgressReporter(ctx, deps, { experimentId: input.experimentId, roundIndex: input.roundIndex, actor }, 'eval');
    progress.beat({ phase: 'evaluation' });
    const ev = await deps.engine.evaluate(spec, { policy: policy.body, reference: reference.body, rewardModel: rewardModel.body, seed: input.seed }, { signal: ctx.cancellationSignal, onProgress: progress.onProgress });
    throwIfCancelled(ctx);
    await progress.flush();
    const stored = await storeArtifact(
      deps,
      {
        key,
        kind: 'evaluation',
        experimentId: input.experimentId,
        parents: [
          { artifactId: input.policyArtifactId, role: 'policy' },
          { artifactId: input.referenceArtifactId, role: 'reference' },
          { artifactId: input.rewardModelArtifactId, role: 'reward_model' },
        ],
        createdByActivity: input.idempotencyKey,
        actor,
        contentType: 'application/json',
        summary: { roundIndex: input.roundIndex, metrics: ev.metrics },
      },
      Buffer.from(JSON.stringify({ format: 'hone.evaluation.v1', experimentId: input.experimentId, roundIndex: input.roundIndex, seed: input.seed, metrics: ev.metrics, details: ev.details }), 'utf8'),
    );
    return stored.artifact.summary.metrics as EvaluationMetrics;
  });
}
