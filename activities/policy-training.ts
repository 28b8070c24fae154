import { deriveSeed } from '../workflows/experiment-contract';
import { defineActivity } from './activity-scope';
import { loadArtifact } from './artifact-io';
import type { ExperimentActivities } from './experiment-activity-types';
import { snapshotRankings } from './rankings-snapshot';
import { runResumableTraining } from './resumable-training';
import { outputKey, type TrainContext } from './train-context';

/**
 * `runPpoEpochs`: PPO iterations [from, to) of the round against the reward model, with the KL leash to the
 * reference; heartbeats, checkpoints and resumes as {@link runResumableTraining} describes.
 */
export function runPpoEpochsActivity(t: TrainContext): ExperimentActivities['runPpoEpochs'] {
  const { deps, specs, cache } = t;
  return defineActivity('runPpoEpochs', deps, async (input, { ctx, actor }) => {
    const { spec, seed } = await specs.read(input.experimentId);
    // A round's PPO is one seeded run cut into chunks: the run's RNG continues in its state, and a resumed run must
    // be given the options it started with, so every chunk opens it with the round's seed (not the chunk's).
    const roundSeed = deriveSeed(seed, input.roundIndex, 'ppo');
    const r = await runResumableTraining(ctx, deps, cache, {
      trainer: 'ppo',
      unit: 'iteration',
      experimentId: input.experimentId,
      idempotencyKey: input.idempotencyKey,
      roundIndex: input.roundIndex,
      actor,
      from: input.fromIteration,
      to: input.toIteration,
      total: input.iterationsTotal,
      checkpointEvery: spec.ppo.checkpointEvery,
      chunkStartCheckpointId: input.resumeFromCheckpointId,
      startPolicyId: input.policyArtifactId,
      parents: [
        { artifactId: input.referenceArtifactId, role: 'reference' },
        { artifactId: input.rewardModelArtifactId, role: 'reward_model' },
      ],
      open: async (state) => {
        const [policy, reference, rewardModel] = await Promise.all([
          loadArtifact(deps, cache, input.policyArtifactId, ['policy']),
          loadArtifact(deps, cache, input.referenceArtifactId, ['policy']),
          loadArtifact(deps, cache, input.rewardModelArtifactId, ['reward_model']),
        ]);
        return deps.engine.openPpo(spec, { policy: policy.body, reference: reference.body, rewardModel: rewardModel.body, state, seed: roundSeed, roundIndex: input.roundIndex });
      },
    });
    return { policyArtifactId: r.policyArtifactId, checkpointArtifactId: r.checkpointArtifactId, iterationsDone: r.done, resumedFromIteration: r.resumedFrom, metrics: r.metrics };
  });
}

/** `runDpo`: DPO steps [from, to) on every ranking of rounds 0..r (the alternative trainer); resumable like PPO. */
export function runDpoActivity(t: TrainContext): ExperimentActivities['runDpo'] {
  const { deps, specs, cache } = t;
  return defineActivity('runDpo', deps, async (input, { ctx, actor }) => {
    const { spec, seed } = await specs.read(input.experimentId);
    const roundSeed = deriveSeed(seed, input.roundIndex, 'dpo'); // as for PPO: one run per round
    const snapshot = await snapshotRankings(deps, { experimentId: input.experimentId, roundIndex: input.roundIndex, key: outputKey(input.idempotencyKey, 'rankings.json'), idempotencyKey: input.idempotencyKey, actor });
    const r = await runResumableTraining(ctx, deps, cache, {
      trainer: 'dpo',
      unit: 'step',
      experimentId: input.experimentId,
      idempotencyKey: input.idempotencyKey,
      roundIndex: input.roundIndex,
      actor,
      from: input.fromStep,
      to: input.toStep,
      total: input.stepsTotal,
      // DPO steps are short: checkpoint at a tenth of the round (the spec has no DPO checkpoint setting).
      checkpointEvery: Math.max(1, Math.ceil(input.stepsTotal / 10)),
      chunkStartCheckpointId: input.resumeFromCheckpointId,
      startPolicyId: input.policyArtifactId,
      parents: [
        { artifactId: input.referenceArtifactId, role: 'reference' },
        { artifactId: snapshot.artifact.id, role: 'data' },
      ],
      open: async (state) => {
        const [policy, reference] = await Promise.all([loadArtifact(deps, cache, input.policyArtifactId, ['policy']), loadArtifact(deps, cache, input.referenceArtifactId, ['policy'])]);
        return deps.engine.openDpo(spec, { policy: policy.body, reference: reference.body, rankings: snapshot.rankings, state, seed: roundSeed });
      },
    });
    return { policyArtifactId: r.policyArtifactId, checkpointArtifactId: r.checkpointArtifactId, stepsDone: r.done, metrics: r.metrics };
  });
}
