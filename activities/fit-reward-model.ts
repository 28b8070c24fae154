import { defineActivity } from './activity-scope';
import { throwIfCancelled } from './activity-failure';
import { findArtifactByKey, loadArtifact, storeArtifact, type StoredArtifact } from './artifact-io';
import type { ExperimentActivities, FitRewardModelOutput } from './experiment-activity-types';
import { ProgressReporter } from './progress-reporter';
import { snapshotRankings } from './rankings-snapshot';
import { outputKey, type TrainContext } from './train-context';

function output(a: StoredArtifact): FitRewardModelOutput {
  const s = a.summary;
  return { rewardModelArtifactId: a.id, heldoutAccuracy: Number(s.heldoutAccuracy), pairsUsed: Number(s.pairsUsed), rankingsUsed: Number(s.rankingsUsed), finalLoss: Number(s.finalLoss) };
}

/**
 * `fitRewardModel`: a reward model on every ranking of rounds 0..r (frozen as a `rankings` artifact first),
 * initialised from the SFT policy. Lineage: reward model ← rankings (← sample sets ← policies) and ← init policy.
 */
export function fitRewardModelActivity(t: TrainContext): ExperimentActivities['fitRewardModel'] {
  const { deps, specs, cache } = t;
  return defineActivity('fitRewardModel', deps, async (input, { ctx, actor }) => {
    const key = outputKey(input.idempotencyKey, 'reward-model');
    const done = await findArtifactByKey(deps, key);
    if (done) return output(done);
    const { spec } = await specs.read(input.experimentId);
    const snapshot = await snapshotRankings(deps, { experimentId: input.experimentId, roundIndex: input.roundIndex, key: outputKey(input.idempotencyKey, 'rankings.json'), idempotencyKey: input.idempotencyKey, actor });
    const init = await loadArtifact(deps, cache, input.initFromArtifactId, ['policy']);
    const progress = new ProgressReporter(ctx, deps, { experimentId: input.experimentId, roundIndex: input.roundIndex, actor }, 'rm');
    progress.beat({ phase: 'reward-model', rankings: snapshot.rankings.length });
    const fitted = await deps.engine.fitRewardModel(spec, { init: init.body, rankings: snapshot.rankings, seed: input.seed }, { signal: ctx.cancellationSignal, onProgress: progress.onProgress });
    throwIfCancelled(ctx);
    await progress.flush();
    const stored = await storeArtifact(
      deps,
      {
        key,
        kind: 'reward_model',
        experimentId: input.experimentId,
        parents: [
          { artifactId: snapshot.artifact.id, role: 'data' },
          { artifactId: input.initFromArtifactId, role: 'init' },
        ],
        createdByActivity: input.idempotencyKey,
        actor,
        summary: { roundIndex: input.roundIndex, heldoutAccuracy: fitted.heldoutAccuracy, pairsUsed: fitted.pairsUsed, rankingsUsed: fitted.rankingsUsed, finalLoss: fitted.finalLoss, seed: input.seed },
      },
      fitted.rewardModel,
    );
    return output(stored.artifact);
  });
}
