import { ApplicationFailure } from '@temporalio/activity';
import { ScriptedEngine } from '../test/scripted-engine';
import { createActivityTestBed, type ActivityTestBed } from './activity-test-support';

let bed: ActivityTestBed;
beforeAll(async () => {
  bed = await createActivityTestBed('control-activities');
});
afterAll(() => bed.close());

describe('control activities (domain verbs)', () => {
  it('open, count and close a labeling round; status, summary and finalize write rows and audit events', async () => {
    const acts = bed.activities(new ScriptedEngine());
    const { experimentId, key } = await bed.experiment('rounds: { count: 1, promptsPerRound: 6, completionsPerPrompt: 3 }\nlabeling: { overlap: 0 }');
    const prep = await bed.run(acts.preparePolicy, { experimentId, idempotencyKey: key('prepare', 'prepare-policy'), seed: 1 });
    const gen = await bed.run(acts.generateSamples, { experimentId, idempotencyKey: key(0, 'generate-samples'), roundIndex: 0, policyArtifactId: prep.policyArtifactId, seed: 2 });
    const deadline = new Date(Date.now() + 3_600_000).toISOString();
    const opened = await bed.run(acts.openLabelingRound, { experimentId, idempotencyKey: key(0, 'open-labeling'), roundIndex: 0, samplesArtifactId: gen.samplesArtifactId, deadlineAt: deadline });
    expect(opened).toEqual({ taskCount: gen.prompts, quorum: gen.prompts, deadlineAt: deadline, completedTasks: 0 });
    // A retried open returns the stored round (the first deadline wins).
    const again = await bed.run(acts.openLabelingRound, { experimentId, idempotencyKey: key(0, 'open-labeling'), roundIndex: 0, samplesArtifactId: gen.samplesArtifactId, deadlineAt: new Date().toISOString() }, { attempt: 2 });
    expect(again.deadlineAt).toBe(deadline);

    await bed.labelEverything(experimentId);
    expect(await bed.run(acts.countRankings, { experimentId, idempotencyKey: key(0, 'count-1'), roundIndex: 0 })).toEqual({ taskCount: gen.prompts, completedTasks: gen.prompts, rankings: gen.prompts });
    const closed = await bed.run(acts.closeLabelingRound, { experimentId, idempotencyKey: key(0, 'close-labeling'), roundIndex: 0, reason: 'quorum' });
    expect(closed.completedTasks).toBe(gen.prompts);

    await bed.run(acts.setExperimentStatus, { experimentId, idempotencyKey: key('run', 'status-1-paused'), status: 'paused', phase: 'training', roundIndex: 0 });
    expect((await bed.db.experiment.findUniqueOrThrow({ where: { id: experimentId } })).status).toBe('paused');
    await bed.run(acts.setExperimentStatus, { experimentId, idempotencyKey: key('run', 'status-2-running'), status: 'running', phase: 'training', roundIndex: 0 });

    const evaluation = { winRate: 0.7, winRateCi95: [0.6, 0.8] as [number, number], klMean: 1, rmScore: 0.5, heldoutPrompts: 8, judge: 'oracle' as const };
    const summary = {
      roundIndex: 0,
      samples: { samplesArtifactId: gen.samplesArtifactId, prompts: gen.prompts, completions: gen.completions },
      labeling: { taskCount: gen.prompts, quorum: gen.prompts, completedTasks: gen.prompts, rankings: gen.prompts, closedBy: 'quorum' as const },
      rewardModel: { rewardModelArtifactId: prep.policyArtifactId, heldoutAccuracy: 0.8, pairsUsed: 18 },
      training: { trainer: 'ppo' as const, policyArtifactId: prep.policyArtifactId, iterations: 2, metrics: { meanReward: 1, klMean: 0.1, klCoef: 0.2, clipFraction: 0.1, entropy: 2, valueLoss: 0.3, policyLoss: -0.1 } },
      evaluation,
      startedAt: new Date().toISOString(),
      finishedAt: new Date().toISOString(),
    };
    await bed.run(acts.recordRoundSummary, { experimentId, idempotencyKey: key(0, 'record-summary'), roundsTotal: 1, summary });
    await bed.run(acts.recordRoundSummary, { experimentId, idempotencyKey: key(0, 'record-summary'), roundsTotal: 1, summary }, { attempt: 2 });
    expect(await bed.db.metric.count({ where: { experimentId, name: 'eval/win_rate' } })).toBe(1);

    const fin = await bed.run(acts.finalizeExperiment, { experimentId, idempotencyKey: key('final', 'finalize'), roundsCompleted: 1, roundsTotal: 1, policyArtifactId: prep.policyArtifactId, referenceArtifactId: prep.referenceArtifactId });
    const report = await bed.db.artifact.findUniqueOrThrow({ where: { id: fin.reportArtifactId } });
    expect(report.kind).toBe('report');
    expect((await bed.db.experiment.findUniqueOrThrow({ where: { id: experimentId } })).status).toBe('completed');
    const actions = (await bed.db.auditEvent.findMany({ where: { experimentId }, orderBy: { id: 'asc' } })).map((e) => e.action);
    expect(actions).toEqual(expect.arrayContaining(['samples.stored', 'round.opened', 'ranking.submitted', 'round.closed', 'experiment.status_changed', 'round.summarized', 'experiment.finalized']));
    // Everything the workflow did is attributed to it.
    const statusEvent = await bed.db.auditEvent.findFirstOrThrow({ where: { experimentId, action: 'round.closed' } });
    expect(statusEvent.actor).toBe('workflow:experiment-test');
  });

  it('maps a permanent AppError to a non-retryable ApplicationFailure typed by its code', async () => {
    const acts = bed.activities(new ScriptedEngine());
    const { experimentId, key } = await bed.experiment();
    const err = await bed.run(acts.countRankings, { experimentId, idempotencyKey: key(5, 'count'), roundIndex: 5 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApplicationFailure);
    expect(err).toMatchObject({ type: 'NOT_FOUND', nonRetryable: true });
    // An illegal lifecycle move is permanent too.
    await bed.run(acts.setExperimentStatus, { experimentId, idempotencyKey: key('run', 'status-1'), status: 'cancelled', phase: 'labeling', roundIndex: null });
    await expect(bed.run(acts.setExperimentStatus, { experimentId, idempotencyKey: key('run', 'status-2'), status: 'running', phase: 'labeling', roundIndex: null })).rejects.toMatchObject({ type: 'INVALID_STATE', nonRetryable: true });
  });
});
