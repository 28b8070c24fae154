/**
 * experimentWorkflow on the real Temporal dev server with in-memory fake activities (test/fake-experiment-activities).
 * Every test starts its own experiment; the server, bundle and workers are shared by the file.
 */
import { WorkflowFailedError, WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { parseSpec } from '../lib/spec/parse-spec';
import { specSummary } from '../lib/spec/spec-summary';
import { ExperimentTestKit, type ExperimentHandle } from '../test/experiment-test-kit';
import {
  CONTROL_TASK_QUEUE,
  EXPERIMENT_FAILED_TYPE,
  experimentWorkflowId,
  cancelUpdate,
  closeRoundUpdate,
  extendRoundsUpdate,
  pauseUpdate,
  rankingSubmittedSignal,
  resumeUpdate,
  statusQuery,
} from './experiment-contract';
import type { experimentWorkflow } from './experiment-workflow';

let kit: ExperimentTestKit;
beforeAll(async () => {
  kit = await ExperimentTestKit.start();
});
afterAll(async () => {
  await kit?.stop();
});

const names = (experimentId: string) => kit.backend.callsOf(experimentId).map((c) => c.name);
const closeReasons = (experimentId: string) => kit.backend.callsOf(experimentId, 'closeLabelingRound').map((c) => c.input.reason);
const statusesOf = (experimentId: string) => kit.backend.statuses.filter((s) => s.experimentId === experimentId);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Expects an update to be rejected by its validator with the given failure type. */
async function expectRejected(p: Promise<unknown>, type: string, messagePart: string): Promise<void> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(WorkflowUpdateFailedError);
  const cause = (err as WorkflowUpdateFailedError).cause;
  expect(cause).toBeInstanceOf(ApplicationFailure);
  expect((cause as ApplicationFailure).type).toBe(type);
  expect((cause as ApplicationFailure).message).toContain(messagePart);
}

/** The failure a failed workflow ended with. */
async function failureOf(handle: ExperimentHandle): Promise<ApplicationFailure> {
  const err = await handle.result().then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(WorkflowFailedError);
  const cause = (err as WorkflowFailedError).cause;
  expect(cause).toBeInstanceOf(ApplicationFailure);
  return cause as ApplicationFailure;
}

describe('a full experiment', () => {
  it('runs 2 rounds with one continue-as-new, carrying only ids and summaries, and finalizes once', async () => {
    const { experimentId, handle } = await kit.startExperiment('full', { spec: 'seed: 5\nrounds: { count: 2 }\nppo: { iterations: 4, iterationsPerActivity: 2 }' });
    await kit.labelRound(handle, experimentId, 0);
    await kit.labelRound(handle, experimentId, 1);
    const result = await handle.result();

    expect(result).toEqual({
      status: 'completed',
      roundsCompleted: 2,
      roundsTotal: 2,
      policyArtifactId: `policy:${experimentId}/r1/ppo-2-4`,
      reportArtifactId: `report:${experimentId}/final/finalize`,
      lastMetrics: { winRate: 0.75, winRateCi95: [0.65, 0.85], klMean: 1.2, rmScore: 0.6, heldoutPrompts: 64, judge: 'oracle' },
    });
    const round = ['generateSamples', 'openLabelingRound', 'closeLabelingRound', 'fitRewardModel', 'runPpoEpochs', 'runPpoEpochs', 'evaluate', 'recordRoundSummary'];
    expect(names(experimentId)).toEqual(['setExperimentStatus', 'preparePolicy', ...round, ...round, 'finalizeExperiment']);

    // Round 2 samples from round 1's PPO output; PPO chunks chain through checkpoints; the reference stays policy₀.
    const gen = kit.backend.callsOf(experimentId, 'generateSamples').map((c) => c.input.policyArtifactId);
    expect(gen).toEqual([`policy:${experimentId}/prepare/prepare-policy`, `policy:${experimentId}/r0/ppo-2-4`]);
    const ppo = kit.backend.callsOf(experimentId, 'runPpoEpochs').map((c) => c.input);
    expect(ppo.map((p) => [p.fromIteration, p.toIteration, p.resumeFromCheckpointId])).toEqual([
      [0, 2, undefined],
      [2, 4, `ckpt:${experimentId}/r0/ppo-0-2`],
      [0, 2, undefined],
      [2, 4, `ckpt:${experimentId}/r1/ppo-0-2`],
    ]);
    expect(new Set(ppo.map((p) => p.referenceArtifactId))).toEqual(new Set([`policy:${experimentId}/prepare/prepare-policy`]));

    // Every step has its own idempotency key derived from the workflow id, round and step; seeds are explicit.
    const keys = kit.backend.callsOf(experimentId).map((c) => c.input.idempotencyKey as string);
    expect(new Set(keys).size).toBe(keys.length);
    expect(keys.every((k) => k.startsWith(`experiment-${experimentId}/`))).toBe(true);
    expect(kit.backend.callsOf(experimentId, 'runPpoEpochs').every((c) => Number.isInteger(c.input.seed))).toBe(true);

    const summaries = kit.backend.summaries.filter((s) => s.samples.samplesArtifactId.includes(experimentId));
    expect(summaries.map((s) => [s.roundIndex, s.labeling.closedBy, s.training.trainer])).toEqual([[0, 'quorum', 'ppo'], [1, 'quorum', 'ppo']]);

    const runs = await kit.runHistories(handle);
    expect(runs).toHaveLength(2);
    for (const run of runs) expect(run.history.events?.length ?? 0).toBeLessThan(150);
    const firstInput = runs[1].history.events?.[0].workflowExecutionStartedEventAttributes?.input?.payloads?.[0].data;
    // The carried input stays small: a spec summary, ids and one round summary.
    expect(firstInput?.length ?? Infinity).toBeLessThan(4096);
  });

  it('runs the later rounds’ PPO iteration count when the spec sets ppo.laterRounds', async () => {
    const { experimentId, handle } = await kit.startExperiment('later-rounds', { spec: 'rounds: { count: 2 }\nppo: { iterations: 2, iterationsPerActivity: 2, laterRounds: { iterations: 4, epochs: 1 } }' });
    await kit.labelRound(handle, experimentId, 0);
    await kit.labelRound(handle, experimentId, 1);
    const result = await handle.result();
    expect(result.policyArtifactId).toBe(`policy:${experimentId}/r1/ppo-2-4`);
    const ppo = kit.backend.callsOf(experimentId, 'runPpoEpochs').map((c) => [c.input.roundIndex, c.input.fromIteration, c.input.toIteration, c.input.iterationsTotal]);
    expect(ppo).toEqual([
      [0, 0, 2, 2],
      [1, 0, 2, 4],
      [1, 2, 4, 4],
    ]);
  });

  it('trains with DPO when the spec says so', async () => {
    const { experimentId, handle } = await kit.startExperiment('dpo', { spec: 'rounds: { count: 1 }\ntrainer: dpo\ndpo: { steps: 30 }' });
    await kit.labelRound(handle, experimentId, 0);
    await handle.result();
    expect(names(experimentId)).toContain('runDpo');
    expect(names(experimentId)).not.toContain('runPpoEpochs');
    expect(kit.backend.callsOf(experimentId, 'runDpo').map((c) => [c.input.fromStep, c.input.toStep])).toEqual([[0, 30]]);
  });
});

describe('the labeling wait', () => {
  it('moves the count with signals, ignores stale ones, and ends at quorum', async () => {
    const { experimentId, handle } = await kit.startExperiment('signals', { spec: 'rounds: { count: 1 }\nlabeling: { deadline: 1h }', scenario: { taskCount: 6, quorum: 5 } });
    const open = await kit.waitForLabeling(handle, 0);
    expect(open.progress.labels).toMatchObject({ completedTasks: 0, quorum: 5, taskCount: 6 });

    await kit.submit(handle, experimentId, 0, 3);
    await kit.waitForStatus(handle, (s) => s.progress.labels?.completedTasks === 3, 'count 3');
    // Older counts, counts for other rounds and garbage move it neither back nor forward (had the round-1 count of 6
    // been taken, the quorum would have ended the wait and the count would never read 4).
    await handle.signal(rankingSubmittedSignal, { roundIndex: 0, completedTasks: 1 });
    await handle.signal(rankingSubmittedSignal, { roundIndex: 1, completedTasks: 6 });
    await handle.signal(rankingSubmittedSignal, { roundIndex: 0, completedTasks: -4 });
    await handle.signal(rankingSubmittedSignal, { roundIndex: 0, completedTasks: 2.5 });
    await kit.submit(handle, experimentId, 0, 1); // signals are delivered in order: this one comes after the bad ones
    const still = await kit.waitForStatus(handle, (s) => s.progress.labels?.completedTasks === 4, 'count 4');
    expect(still.phase).toBe('labeling');
    expect(closeReasons(experimentId)).toEqual([]);

    await kit.submit(handle, experimentId, 0, 1); // 5 of 6: quorum
    await handle.result();
    expect(closeReasons(experimentId)).toEqual(['quorum']);
    expect(kit.backend.roundRow(experimentId, 0)).toMatchObject({ closed: true, completedTasks: 5 });
  });

  it('ends at the deadline without quorum and proceeds with what was labeled', async () => {
    const { experimentId, handle } = await kit.startExperiment('deadline', { spec: 'rounds: { count: 1 }\nlabeling: { deadline: 2s }', scenario: { taskCount: 4 } });
    await kit.waitForLabeling(handle, 0);
    await kit.submit(handle, experimentId, 0, 1);
    await handle.result();
    expect(closeReasons(experimentId)).toEqual(['deadline']);
    const close = kit.backend.callsOf(experimentId, 'closeLabelingRound')[0];
    expect(close.at).toBeGreaterThanOrEqual(Date.parse(kit.backend.roundRow(experimentId, 0)?.deadlineAt ?? ''));
    // The deadline resync read the database once more before giving up on quorum.
    expect(names(experimentId).filter((n) => n === 'countRankings').length).toBeGreaterThanOrEqual(1);
    expect(kit.backend.summaries.find((s) => s.samples.samplesArtifactId.includes(experimentId))?.labeling).toMatchObject({ closedBy: 'deadline', completedTasks: 1, quorum: 4 });
  });

  it('recovers a lost signal by resyncing counts from the database', async () => {
    const { experimentId, handle } = await kit.startExperiment('lost-signal', { spec: 'rounds: { count: 1 }\nlabeling: { deadline: 1h, resyncEvery: 1s }', scenario: { taskCount: 3 } });
    await kit.waitForLabeling(handle, 0);
    kit.backend.completeTasks(experimentId, 0, 3); // stored, but the API died before signalling
    await handle.result();
    expect(closeReasons(experimentId)).toEqual(['quorum']);
    expect(names(experimentId)).toContain('countRankings');
  });

  it('closes early on closeRound, and refuses closeRound when no round is open or for another round', async () => {
    const { experimentId, handle } = await kit.startExperiment('close', { spec: 'rounds: { count: 1 }\nlabeling: { deadline: 1h }\nppo: { iterations: 2, iterationsPerActivity: 1 }', scenario: { taskCount: 4, trainDelayMs: 1500 } });
    await kit.waitForLabeling(handle, 0);
    await kit.submit(handle, experimentId, 0, 1);
    await expectRejected(handle.executeUpdate(closeRoundUpdate, { args: [{ roundIndex: 3 }] }), 'ROUND_NOT_OPEN', 'round 3 is not open; the open round is 0');
    const closed = await handle.executeUpdate(closeRoundUpdate, { args: [{ roundIndex: 0, by: 'admin' }] });
    expect(closed).toEqual({ roundIndex: 0, completedTasks: 1 });

    await kit.waitForStatus(handle, (s) => s.phase === 'training', 'training');
    await expectRejected(handle.executeUpdate(closeRoundUpdate, { args: [{}] }), 'ROUND_NOT_OPEN', 'no labeling round is open');
    await handle.result();
    expect(closeReasons(experimentId)).toEqual(['manual']);
  });

  it('continues as new in the middle of a long wait and resumes it from the database', async () => {
    const { experimentId, handle } = await kit.startExperiment('long-wait', {
      spec: 'rounds: { count: 1 }\nlabeling: { deadline: 1h }',
      scenario: { taskCount: 40 },
      tuning: { maxHistoryEvents: 60 },
    });
    await kit.waitForLabeling(handle, 0);
    for (let i = 0; i < 39; i++) await kit.submit(handle, experimentId, 0, 1);
    await kit.waitForStatus(handle, (s) => s.progress.labels?.completedTasks === 39, 'count 39');
    await kit.waitForRuns(handle, 2); // 39 signals are far more events than the limit of 60

    await kit.submit(handle, experimentId, 0, 1);
    const result = await handle.result();
    expect(result.status).toBe('completed');
    // Exactly one round was opened and closed although the wait spanned several runs.
    expect(names(experimentId).filter((n) => n === 'openLabelingRound')).toHaveLength(1);
    expect(closeReasons(experimentId)).toEqual(['quorum']);
    expect(names(experimentId).filter((n) => n === 'preparePolicy')).toHaveLength(1);
    const runs = await kit.runHistories(handle);
    // At most the threshold plus one round's post-labeling steps (about 45 events here).
    for (const run of runs) expect(run.history.events?.length ?? 0).toBeLessThan(60 + 60);
  });
});

describe('steering', () => {
  it('pause freezes the labeling wait (deadline included) and resume continues it', async () => {
    const { experimentId, handle } = await kit.startExperiment('pause-labeling', { spec: 'rounds: { count: 1 }\nlabeling: { deadline: 3s }', scenario: { taskCount: 2 } });
    const open = await kit.waitForLabeling(handle, 0);
    const paused = await handle.executeUpdate(pauseUpdate, { args: [{ by: 'admin', reason: 'lunch' }] });
    expect(paused.paused).toBe(true);

    await sleep(4000); // past the original deadline
    const during = await handle.query(statusQuery);
    expect(during).toMatchObject({ phase: 'labeling', paused: true });
    expect(closeReasons(experimentId)).toEqual([]);
    expect(statusesOf(experimentId).map((s) => s.status)).toEqual(['running', 'paused']);

    await handle.executeUpdate(resumeUpdate, { args: [{}] });
    const resumed = await kit.waitForStatus(handle, (s) => !s.paused, 'resumed');
    // Paused time does not count: the deadline moved forward by (about) the paused time.
    const moved = Date.parse(resumed.progress.labels?.deadlineAt ?? '') - Date.parse(open.progress.labels?.deadlineAt ?? '');
    expect(moved).toBeGreaterThanOrEqual(3500);
    await handle.result();
    expect(closeReasons(experimentId)).toEqual(['deadline']);
    const writes = statusesOf(experimentId);
    expect(writes.map((s) => s.status)).toEqual(['running', 'paused', 'running']);
    expect(writes[2].labelingDeadlineAt).toBe(resumed.progress.labels?.deadlineAt);
  });

  it('pause takes effect at the next step boundary and resume carries on', async () => {
    const { experimentId, handle } = await kit.startExperiment('pause-step', { spec: 'rounds: { count: 1 }\nppo: { iterations: 3, iterationsPerActivity: 1 }', scenario: { trainDelayMs: 600 } });
    await kit.labelRound(handle, experimentId, 0);
    await kit.waitForStatus(handle, (s) => s.phase === 'training', 'training');
    await handle.executeUpdate(pauseUpdate, { args: [{}] });
    // The running chunk finishes; no further chunk starts while paused.
    await kit.waitForStatus(handle, () => statusesOf(experimentId).some((s) => s.status === 'paused'), 'paused status written');
    const chunks = kit.backend.callsOf(experimentId, 'runPpoEpochs').length;
    await sleep(1500);
    expect(kit.backend.callsOf(experimentId, 'runPpoEpochs')).toHaveLength(chunks);
    expect(await handle.query(statusQuery)).toMatchObject({ phase: 'training', paused: true, progress: { training: { trainer: 'ppo', unit: 'iterations', total: 3 } } });

    await handle.executeUpdate(resumeUpdate, { args: [{}] });
    expect((await handle.result()).status).toBe('completed');
    expect(kit.backend.callsOf(experimentId, 'runPpoEpochs')).toHaveLength(3);
  });

  it('a pause at the end of a round holds the next run (carried across continue-as-new) until resume', async () => {
    const { experimentId, handle } = await kit.startExperiment('pause-carried', { spec: 'rounds: { count: 2 }', scenario: { delaysMs: { recordRoundSummary: 1500 } } });
    await kit.labelRound(handle, experimentId, 0);
    await kit.waitForStatus(handle, (s) => s.phase === 'recording', 'recording round 0');
    await handle.executeUpdate(pauseUpdate, { args: [{}] });
    await kit.waitForRuns(handle, 2);
    await kit.waitForStatus(handle, () => statusesOf(experimentId).some((s) => s.status === 'paused'), 'paused status written');
    await sleep(1000);
    expect(kit.backend.callsOf(experimentId, 'generateSamples')).toHaveLength(1); // round 1 has not started
    expect(await handle.query(statusQuery)).toMatchObject({ paused: true, round: 2, roundIndex: 1, progress: { rounds: { completed: 1 } } });

    await handle.executeUpdate(resumeUpdate, { args: [{}] });
    await kit.labelRound(handle, experimentId, 1);
    expect(await handle.result()).toMatchObject({ status: 'completed', roundsCompleted: 2 });
  });

  it('cancel during a long activity cancels it, records cancelled and ends cleanly', async () => {
    const { experimentId, handle } = await kit.startExperiment('cancel', { spec: 'rounds: { count: 2 }\nppo: { iterations: 1 }', scenario: { trainDelayMs: 60_000 } });
    await kit.labelRound(handle, experimentId, 0);
    await kit.waitForStatus(handle, (s) => s.phase === 'training', 'training');
    await kit.waitForStatus(handle, () => kit.backend.callsOf(experimentId, 'runPpoEpochs').length === 1, 'PPO running');
    const status = await handle.executeUpdate(cancelUpdate, { args: [{ by: 'admin', reason: 'wrong spec' }] });
    expect(status.cancelRequested).toBe(true);

    const result = await handle.result();
    expect(result).toMatchObject({ status: 'cancelled', roundsCompleted: 0, roundsTotal: 2 });
    expect(kit.backend.callsOf(experimentId, 'runPpoEpochs')[0].outcome).toBe('cancelled');
    expect(names(experimentId)).not.toContain('evaluate');
    expect(statusesOf(experimentId).at(-1)).toMatchObject({ status: 'cancelled', phase: 'training', roundIndex: 0 });
    expect((await handle.describe()).status.name).toBe('COMPLETED');
    expect(await handle.query(statusQuery)).toMatchObject({ phase: 'cancelled', cancelRequested: true });
  });

  it('a Temporal-level cancel also records cancelled, then ends the execution as cancelled', async () => {
    const { experimentId, handle } = await kit.startExperiment('external-cancel', { spec: 'rounds: { count: 1 }\nlabeling: { deadline: 1h }' });
    await kit.waitForLabeling(handle, 0);
    await handle.cancel();
    const err = await handle.result().then(() => undefined, (e: unknown) => e);
    expect((err as WorkflowFailedError).cause).toBeInstanceOf(CancelledFailure);
    expect(statusesOf(experimentId).at(-1)).toMatchObject({ status: 'cancelled', phase: 'labeling' });
  });

  it('extendRounds raises the total and validates its argument', async () => {
    const { experimentId, handle } = await kit.startExperiment('extend', { spec: 'rounds: { count: 1 }' });
    await kit.waitForLabeling(handle, 0);
    await expectRejected(handle.executeUpdate(extendRoundsUpdate, { args: [{ additionalRounds: 0 }] }), 'INVALID_ARGUMENT', 'additionalRounds must be a positive integer (got 0)');
    await expectRejected(handle.executeUpdate(extendRoundsUpdate, { args: [{ additionalRounds: 1.5 }] }), 'INVALID_ARGUMENT', 'got 1.5');
    await expectRejected(handle.executeUpdate(extendRoundsUpdate, { args: [{ additionalRounds: 5000 }] }), 'INVALID_ARGUMENT', 'above the limit of 1000');
    expect(await handle.executeUpdate(extendRoundsUpdate, { args: [{ additionalRounds: 1 }] })).toEqual({ roundsTotal: 2 });
    expect((await handle.query(statusQuery)).roundsTotal).toBe(2);

    await kit.submit(handle, experimentId, 0, 4);
    await kit.labelRound(handle, experimentId, 1);
    expect(await handle.result()).toMatchObject({ status: 'completed', roundsCompleted: 2, roundsTotal: 2 });
  });

  it('refuses steering once the experiment is finalizing', async () => {
    const { experimentId, handle } = await kit.startExperiment('finalizing', { spec: 'rounds: { count: 1 }', scenario: { delaysMs: { finalizeExperiment: 3000 } } });
    await kit.labelRound(handle, experimentId, 0);
    await kit.waitForStatus(handle, (s) => s.phase === 'finalizing', 'finalizing');
    await expectRejected(handle.executeUpdate(extendRoundsUpdate, { args: [{ additionalRounds: 1 }] }), 'EXPERIMENT_FINISHED', 'is finalizing');
    await expectRejected(handle.executeUpdate(pauseUpdate, { args: [{}] }), 'EXPERIMENT_FINISHED', 'cannot pause');
    await expectRejected(handle.executeUpdate(cancelUpdate, { args: [{}] }), 'EXPERIMENT_FINISHED', 'cannot cancel');
    expect((await handle.result()).status).toBe('completed');
  });
});

describe('the status query', () => {
  it('reports phase, round, progress, pause state, last metrics and times', async () => {
    const { experimentId, handle } = await kit.startExperiment('status', { spec: 'rounds: { count: 2 }\nppo: { iterations: 4, iterationsPerActivity: 2 }\nlabeling: { deadline: 1h }', scenario: { taskCount: 5, quorum: 4, trainDelayMs: 1000 } });
    const labeling = await kit.waitForLabeling(handle, 0);
    expect(labeling).toMatchObject({
      experimentId,
      phase: 'labeling',
      round: 1,
      roundIndex: 0,
      roundsTotal: 2,
      paused: false,
      cancelRequested: false,
      progress: { rounds: { completed: 0, total: 2 }, labels: { completedTasks: 0, quorum: 4, taskCount: 5, closeRequested: false } },
    });
    expect(labeling.lastMetrics).toBeUndefined();
    expect(labeling.progress.training).toBeUndefined();
    const deadline = Date.parse(labeling.progress.labels?.deadlineAt ?? '');
    expect(deadline - Date.parse(labeling.startedAt)).toBeGreaterThan(3_500_000);
    expect(Date.parse(labeling.updatedAt)).toBeGreaterThanOrEqual(Date.parse(labeling.startedAt));

    await kit.submit(handle, experimentId, 0, 4);
    const training = await kit.waitForStatus(handle, (s) => s.phase === 'training' && (s.progress.training?.done ?? 0) >= 2, 'second PPO chunk');
    expect(training.progress.training).toEqual({ trainer: 'ppo', unit: 'iterations', done: 2, total: 4 });
    expect(training.progress.labels).toBeUndefined();

    const round2 = await kit.waitForLabeling(handle, 1);
    expect(round2).toMatchObject({ round: 2, roundIndex: 1, progress: { rounds: { completed: 1, total: 2 } }, lastMetrics: { winRate: 0.75 } });
    expect(round2.startedAt).toBe(labeling.startedAt); // carried across continue-as-new
    await kit.submit(handle, experimentId, 1, 5);
    await handle.result();
    expect(await handle.query(statusQuery)).toMatchObject({ phase: 'completed', progress: { rounds: { completed: 2, total: 2 } } });
  });
});

describe('failures', () => {
  it('refuses malformed input before doing anything', async () => {
    const spec = specSummary(parseSpec('name: bad'));
    const handle = await kit.client.workflow.start<typeof experimentWorkflow>('experimentWorkflow', {
      taskQueue: CONTROL_TASK_QUEUE,
      workflowId: experimentWorkflowId('bad-input'),
      args: [{ experimentId: 'bad-input', spec: { ...spec, training: { ...spec.training, perActivity: 0 } } }],
    });
    const failure = await failureOf(handle);
    expect(failure.type).toBe('INVALID_ARGUMENT');
    expect(failure.message).toContain('spec.training.perActivity must be a positive integer (got 0)');
    expect(kit.backend.callsOf('bad-input')).toEqual([]);

    const later = await kit.client.workflow.start<typeof experimentWorkflow>('experimentWorkflow', {
      taskQueue: CONTROL_TASK_QUEUE,
      workflowId: experimentWorkflowId('bad-later-rounds'),
      args: [{ experimentId: 'bad-later-rounds', spec: { ...spec, training: { ...spec.training, laterRounds: { ...spec.training, total: 0 } } } }],
    });
    expect((await failureOf(later)).message).toContain('spec.training.laterRounds.total must be a positive integer (got 0)');
    expect(kit.backend.callsOf('bad-later-rounds')).toEqual([]);
  });

  it('retries a transient activity failure and carries on', async () => {
    const { experimentId, handle } = await kit.startExperiment('transient', { spec: 'rounds: { count: 1 }', scenario: { failures: { generateSamples: { times: 2 }, recordRoundSummary: { times: 1 } } } });
    await kit.labelRound(handle, experimentId, 0);
    expect((await handle.result()).status).toBe('completed');
    expect(kit.backend.callsOf(experimentId, 'generateSamples').map((c) => [c.attempt, c.outcome])).toEqual([[1, 'failed'], [2, 'failed'], [3, 'ok']]);
    expect(kit.backend.callsOf(experimentId, 'recordRoundSummary').map((c) => c.attempt)).toEqual([1, 2]);
  });

  it('fails the step at once on a permanent error type, records failed and fails the workflow', async () => {
    // The fake throws a *retryable* ApplicationFailure: only the workflow's nonRetryableErrorTypes can stop the retry.
    const { experimentId, handle } = await kit.startExperiment('permanent', { spec: 'rounds: { count: 1 }', scenario: { failures: { fitRewardModel: { type: 'INSUFFICIENT_RANKINGS' } } } });
    await kit.labelRound(handle, experimentId, 0);
    const failure = await failureOf(handle);
    expect(failure.type).toBe(EXPERIMENT_FAILED_TYPE);
    expect(failure.message).toContain('fitRewardModel failed in round 0 (INSUFFICIENT_RANKINGS)');
    expect(kit.backend.callsOf(experimentId, 'fitRewardModel').map((c) => c.attempt)).toEqual([1]);
    expect(statusesOf(experimentId).at(-1)).toMatchObject({ status: 'failed', phase: 'fitting-reward-model', error: { type: 'INSUFFICIENT_RANKINGS' } });
    expect(names(experimentId)).not.toContain('runPpoEpochs');
  });

  it('gives up on a train activity after its attempts are exhausted', async () => {
    const { experimentId, handle } = await kit.startExperiment('exhausted', { spec: 'rounds: { count: 1 }', scenario: { failures: { preparePolicy: {} } }, tuning: { trainMaximumAttempts: 2 } });
    const failure = await failureOf(handle);
    expect(failure.message).toContain('preparePolicy failed');
    expect(kit.backend.callsOf(experimentId, 'preparePolicy').map((c) => c.attempt)).toEqual([1, 2]);
    expect(statusesOf(experimentId).at(-1)).toMatchObject({ status: 'failed', roundIndex: null });
  });
});
