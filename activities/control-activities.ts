import {
  closeLabelingRound,
  countRankings,
  finalizeExperiment,
  openLabelingRound,
  recordRoundSummary,
  setExperimentStatus,
} from '../lib/domain';
import { deriveSeed } from '../workflows/experiment-contract';
import type { ResolvedActivityDeps } from './activity-deps';
import { defineActivity } from './activity-scope';
import type { ExperimentActivities } from './experiment-activity-types';
import type { ExperimentSpecReader } from './experiment-spec-reader';

type ControlActivities = Pick<ExperimentActivities, 'openLabelingRound' | 'countRankings' | 'closeLabelingRound' | 'setExperimentStatus' | 'recordRoundSummary' | 'finalizeExperiment'>;

/**
 * The `hone-control` activities: each is one domain verb (which writes its rows and audit event in one transaction
 * and is idempotent on its own terms), called with the workflow as the actor.
 */
export function createControlActivities(deps: ResolvedActivityDeps, specs: ExperimentSpecReader): ControlActivities {
  const { db, artifacts } = deps;
  return {
    openLabelingRound: defineActivity('openLabelingRound', deps, async (input, { actor }) => {
      const { seed } = await specs.read(input.experimentId);
      const r = await openLabelingRound(db, {
        experimentId: input.experimentId,
        roundIndex: input.roundIndex,
        deadline: input.deadlineAt,
        // The task shuffles and the overlap draw are part of the experiment's reproducible record.
        seed: deriveSeed(seed, input.roundIndex, 'labeling'),
        actor,
      });
      return { taskCount: r.taskCount, quorum: r.quorum, deadlineAt: r.deadlineAt.toISOString(), completedTasks: r.completedTasks };
    }),

    countRankings: defineActivity('countRankings', deps, async (input) => {
      const c = await countRankings(db, { experimentId: input.experimentId, roundIndex: input.roundIndex });
      return { taskCount: c.taskCount, completedTasks: c.completedTasks, rankings: c.rankings };
    }),

    closeLabelingRound: defineActivity('closeLabelingRound', deps, async (input, { actor }) => {
      const c = await closeLabelingRound(db, { experimentId: input.experimentId, roundIndex: input.roundIndex, reason: input.reason, actor });
      return { taskCount: c.taskCount, completedTasks: c.completedTasks, rankings: c.rankings };
    }),

    setExperimentStatus: defineActivity('setExperimentStatus', deps, async (input, { actor }) => {
      await setExperimentStatus(db, {
        experimentId: input.experimentId,
        status: input.status,
        actor,
        phase: input.phase,
        roundIndex: input.roundIndex,
        reason: input.reason,
        error: input.error && { type: input.error.type.slice(0, 200), message: input.error.message.slice(0, 10_000) },
        labelingDeadlineAt: input.labelingDeadlineAt,
        idempotencyKey: input.idempotencyKey,
      });
    }),

    recordRoundSummary: defineActivity('recordRoundSummary', deps, async (input, { actor }) => {
      await recordRoundSummary(db, { experimentId: input.experimentId, summary: input.summary, roundsTotal: input.roundsTotal, actor, idempotencyKey: input.idempotencyKey });
    }),

    finalizeExperiment: defineActivity('finalizeExperiment', deps, async (input, { actor }) => {
      const r = await finalizeExperiment(
        { db, artifacts },
        {
          experimentId: input.experimentId,
          idempotencyKey: input.idempotencyKey,
          roundsCompleted: input.roundsCompleted,
          roundsTotal: input.roundsTotal,
          policyArtifactId: input.policyArtifactId,
          referenceArtifactId: input.referenceArtifactId,
          actor,
        },
      );
      return { reportArtifactId: r.reportArtifactId };
    }),
  };
}
