/**
 * Activities for the browser tests: the real experiment workflow runs on a real Temporal dev server, and everything
 * the UI shows comes from Postgres written by the real domain verbs — samples and ranking tasks, round status,
 * pause, close, metrics, artifacts and lineage, the audit trail. Only the ML is a stand-in: completions are drawn
 * from the built-in task's generator (readable text, seeded) instead of a trained policy, and training/evaluation
 * return fixed, round-dependent numbers at once. (The real activities over the engine are tested at their layer.)
 */
import { createHash } from 'node:crypto';
import type { ArtifactStore } from '../../../../lib/artifacts';
import type { Db } from '../../../../lib/db';
import {
  closeLabelingRound,
  countRankings,
  finalizeExperiment,
  getExperiment,
  openLabelingRound,
  recordRoundSummary,
  registerArtifact,
  setExperimentStatus,
  storeSamples,
} from '../../../../lib/domain';
import { createBuiltinTask, generateCompletion } from '../../../../engine/task';
import { Rng } from '../../../../engine/util/rng';
import type { ExperimentActivities } from '../../../../activities/experiment-activity-types';

const task = createBuiltinTask({ seed: 1234, demonstrations: 50, pretrainTexts: 10 });

async function artifact(deps: { db: Db; artifacts: ArtifactStore }, experimentId: string, key: string, kind: string, content: unknown, parents: { artifactId: string; role: string }[] = []): Promise<string> {
  const body = Buffer.from(JSON.stringify(content));
  const put = await deps.artifacts.put(key, body, { contentType: 'application/json' });
  const r = await registerArtifact(deps.db, { key, uri: put.uri, sha256: put.sha256, bytes: put.bytes, kind, experimentId, parents, createdByActivity: key, createdBy: 'e2e-activities', metadata: { standIn: true } });
  return r.artifact.id;
}

/** The experiment activities over the real database and artifact store, with instant stand-ins for the ML. */
export function createE2eActivities(deps: { db: Db; artifacts: ArtifactStore }): ExperimentActivities {
  const actor = 'workflow';
  return {
    async preparePolicy(input) {
      const data = await artifact(deps, input.experimentId, `${input.idempotencyKey}/corpus`, 'dataset', { task: task.name, demonstrations: task.demonstrations.length });
      const policy = await artifact(deps, input.experimentId, `${input.idempotencyKey}/policy`, 'policy', { step: 'sft', seed: input.seed }, [{ artifactId: data, role: 'data' }]);
      return { policyArtifactId: policy, referenceArtifactId: policy, source: 'sft', sft: { steps: 300, finalLoss: 1.2 } };
    },

    async generateSamples(input) {
      const exp = await getExperiment(deps.db, input.experimentId);
      const spec = exp.spec as { rounds: { promptsPerRound: number; completionsPerPrompt: number } };
      const rng = Rng.fromSeed(input.seed);
      const prompts = task.samplePrompts(spec.rounds.promptsPerRound, rng);
      const items = prompts.map((p, i) => ({
        prompt: { key: `r${input.roundIndex}/p${String(i).padStart(3, '0')}`, text: p.text },
        completions: Array.from({ length: spec.rounds.completionsPerPrompt }, (_, j) => {
          const text = generateCompletion(p, (i + j + input.roundIndex) % 2 === 0, rng);
          return { text, tokens: text.split(' ').length, policyArtifactId: input.policyArtifactId };
        }),
      }));
      await storeSamples(deps.db, { experimentId: input.experimentId, roundIndex: input.roundIndex, items, idempotencyKey: input.idempotencyKey, actor });
      const samples = await artifact(deps, input.experimentId, `${input.idempotencyKey}/samples`, 'samples', { prompts: items.length }, [{ artifactId: input.policyArtifactId, role: 'policy' }]);
      return { samplesArtifactId: samples, prompts: items.length, completions: items.length * spec.rounds.completionsPerPrompt };
    },

    async openLabelingRound(input) {
      const r = await openLabelingRound(deps.db, { experimentId: input.experimentId, roundIndex: input.roundIndex, deadline: input.deadlineAt, seed: createHash('sha256').update(input.idempotencyKey).digest().readUInt32BE(0) & 0x7fffffff, actor });
      return { taskCount: r.taskCount, quorum: r.quorum, deadlineAt: r.deadlineAt.toISOString(), completedTasks: r.completedTasks };
    },

    async countRankings(input) {
      const c = await countRankings(deps.db, input);
      return { taskCount: c.taskCount, completedTasks: c.completedTasks, rankings: c.rankings };
    },

    async closeLabelingRound(input) {
      const c = await closeLabelingRound(deps.db, { experimentId: input.experimentId, roundIndex: input.roundIndex, reason: input.reason, actor });
      return { taskCount: c.taskCount, completedTasks: c.completedTasks, rankings: c.rankings };
    },

    async fitRewardModel(input) {
      const rm = await artifact(deps, input.experimentId, `${input.idempotencyKey}/rm`, 'reward_model', { round: input.roundIndex }, [{ artifactId: input.initFromArtifactId, role: 'init' }]);
      return { rewardModelArtifactId: rm, heldoutAccuracy: 0.64 + 0.07 * input.roundIndex, pairsUsed: 96 * (input.roundIndex + 1), rankingsUsed: 16 * (input.roundIndex + 1), finalLoss: 0.6 - 0.05 * input.roundIndex };
    },

    async runPpoEpochs(input) {
      const parents = [
        { artifactId: input.resumeFromCheckpointId ?? input.policyArtifactId, role: input.resumeFromCheckpointId ? 'checkpoint' : 'init' },
        { artifactId: input.rewardModelArtifactId, role: 'reward_model' },
        { artifactId: input.referenceArtifactId, role: 'reference' },
      ].filter((p, i, all) => all.findIndex((q) => q.artifactId === p.artifactId && q.role === p.role) === i);
      const ckpt = await artifact(deps, input.experimentId, `${input.idempotencyKey}/checkpoint`, 'checkpoint', { iteration: input.toIteration }, parents);
      const policy = await artifact(deps, input.experimentId, `${input.idempotencyKey}/policy`, 'policy', { iteration: input.toIteration }, [{ artifactId: ckpt, role: 'checkpoint' }]);
      const r = input.roundIndex;
      return {
        policyArtifactId: policy,
        checkpointArtifactId: ckpt,
        iterationsDone: input.toIteration,
        metrics: { meanReward: 0.15 + 0.22 * r + 0.01 * input.toIteration, klMean: 0.8 + 0.9 * r, klCoef: 0.2, clipFraction: 0.12, entropy: 2.1 - 0.2 * r, valueLoss: 0.3, policyLoss: -0.02 },
      };
    },

    async runDpo(input) {
      const ckpt = await artifact(deps, input.experimentId, `${input.idempotencyKey}/checkpoint`, 'checkpoint', { step: input.toStep }, [{ artifactId: input.policyArtifactId, role: 'init' }]);
      return { policyArtifactId: ckpt, checkpointArtifactId: ckpt, stepsDone: input.toStep, metrics: { loss: 0.55, rewardAccuracy: 0.68, klMean: 0.9 } };
    },

    async evaluate(input) {
      const w = Math.min(0.92, 0.58 + 0.1 * input.roundIndex);
      return { winRate: w, winRateCi95: [w - 0.07, Math.min(1, w + 0.07)], klMean: 1.1 + 1.2 * input.roundIndex, rmScore: 0.2 + 0.3 * input.roundIndex, heldoutPrompts: 64, judge: 'oracle' };
    },

    async setExperimentStatus(input) {
      await setExperimentStatus(deps.db, {
        experimentId: input.experimentId,
        status: input.status,
        actor,
        phase: input.phase,
        roundIndex: input.roundIndex,
        reason: input.reason,
        error: input.error,
        labelingDeadlineAt: input.labelingDeadlineAt,
        idempotencyKey: input.idempotencyKey,
      });
    },

    async recordRoundSummary(input) {
      await recordRoundSummary(deps.db, { experimentId: input.experimentId, summary: input.summary, roundsTotal: input.roundsTotal, actor, idempotencyKey: input.idempotencyKey });
    },

    async finalizeExperiment(input) {
      const r = await finalizeExperiment(deps, { experimentId: input.experimentId, idempotencyKey: input.idempotencyKey, roundsCompleted: input.roundsCompleted, roundsTotal: input.roundsTotal, policyArtifactId: input.policyArtifactId, referenceArtifactId: input.referenceArtifactId, actor });
      return { reportArtifactId: r.reportArtifactId };
    },
  };
}
