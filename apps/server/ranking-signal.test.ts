/**
 * The submit → signal path and steering, end to end against a real Temporal dev server running the real
 * `experimentWorkflow` with the fake activities of test/experiment-test-kit: a ranking stored through the API moves
 * the workflow's count, quorum ends the labeling wait, and update rejections come back as HTTP 409s.
 */
import { ExperimentTestKit } from '../../test/experiment-test-kit';
import { storeSamples, openLabelingRound, registerArtifact, createExperiment, claimNextTask, createLabeler, submitRanking } from '../../lib/domain';
import { statusQuery } from '../../workflows/experiment-contract';
import { createTestApi, type TestApi } from './test-support';
import { startServer } from './start-server';
import { sha } from '../../lib/domain/test-support';

let kit: ExperimentTestKit;
let api: TestApi;
beforeAll(async () => {
  kit = await ExperimentTestKit.start();
  api = await createTestApi('signal', { temporalClient: kit.client, config: { statusQueryTimeoutMs: 5_000, updateTimeoutMs: 10_000, workflowTuning: { heartbeatTimeoutMs: 5_000, retryInitialIntervalMs: 100 } } });
});
afterAll(async () => {
  await api?.close();
  await kit?.stop();
});

const flags = { followsInstruction: true, hallucination: false, harmful: false };

/** What generateSamples + openLabelingRound activities will do: 4 prompts × K=3, quorum 4 (the fake's defaults). */
async function openRound(experimentId: string): Promise<void> {
  const policy = await registerArtifact(api.db, { key: `sig/${experimentId}/p0`, uri: `file:///x/${experimentId}`, sha256: sha(experimentId), bytes: 1, kind: 'policy', experimentId, createdBy: 'test' });
  const items = Array.from({ length: 4 }, (_, i) => ({ prompt: { key: `p${i}`, text: `prompt ${i}` }, completions: [0, 1, 2].map((j) => ({ text: `c${j}`, tokens: 1, policyArtifactId: policy.artifact.id })) }));
  await storeSamples(api.db, { experimentId, roundIndex: 0, items, idempotencyKey: `sig/${experimentId}/samples`, actor: 'test' });
  await openLabelingRound(api.db, { experimentId, roundIndex: 0, quorum: 4, seed: 1, overlapShare: 0, actor: 'test' });
}

it('a ranking stored through the API moves the workflow’s count, and quorum ends the wait', async () => {
  const launched = await api.req('POST', '/api/v1/experiments', { json: { spec: 'name: signalled\nrounds: { count: 1, promptsPerRound: 4, completionsPerPrompt: 3 }\nppo: { iterations: 2, iterationsPerActivity: 2, minibatch: 2, promptsPerIteration: 2 }\n' } });
  expect(launched.status).toBe(201);
  const experimentId = launched.json.experiment.id;
  const handle = kit.client.workflow.getHandle(launched.json.workflowId);
  await openRound(experimentId);
  await kit.waitForStatus(handle as never, (s) => s.phase === 'labeling' && s.progress.labels !== undefined, 'labeling');

  const labeler = await api.req('POST', '/api/v1/labelers', { json: { name: 'signaller', role: 'labeler', scopes: [experimentId] } });
  for (let done = 1; done <= 4; done++) {
    const next = await api.req('GET', '/api/v1/labeling/next', { token: labeler.json.token });
    const task = next.json.task;
    const sent = await api.req('POST', `/api/v1/labeling/tasks/${task.taskId}/ranking`, { token: labeler.json.token, json: { ordering: task.samples.map((s: { id: string }) => s.id), quality: 4, flags } });
    expect(sent.status).toBe(201);
    expect(sent.json.counts.completedTasks).toBe(done);
    if (done < 4) {
      const s = await kit.waitForStatus(handle as never, (st) => (st.progress.labels?.completedTasks ?? 0) >= done, `count ${done}`);
      expect(s.phase).toBe('labeling');
      // The API's GET shows the workflow's live view.
      const got = await api.req('GET', `/api/v1/experiments/${experimentId}`);
      expect(got.json.live).toMatchObject({ phase: 'labeling', progress: { labels: { completedTasks: done, quorum: 4 } } });
    }
  }
  const result = await handle.result();
  expect(result).toMatchObject({ status: 'completed', roundsCompleted: 1 });
  expect(kit.backend.callsOf(experimentId, 'closeLabelingRound').map((c) => c.input.reason)).toEqual(['quorum']);
  expect(api.app.hone.deps.signaler.stats.failed).toBe(0);
  expect(api.app.hone.deps.signaler.stats.sent).toBeGreaterThanOrEqual(1);
});

it('steers the workflow: pause and resume are accepted, a bad close-round is refused with its reason, all audited', async () => {
  const launched = await api.req('POST', '/api/v1/experiments', { json: { spec: 'name: steered\nrounds: { count: 1 }\n' } });
  const experimentId = launched.json.experiment.id;
  const handle = kit.client.workflow.getHandle(launched.json.workflowId);
  await kit.waitForStatus(handle as never, (s) => s.phase === 'labeling', 'labeling');

  const pause = await api.req('POST', `/api/v1/experiments/${experimentId}/pause`, { json: { reason: 'checking samples' } });
  expect(pause.status).toBe(200);
  expect(pause.json).toMatchObject({ action: 'pause', result: { paused: true } });
  expect((await handle.query(statusQuery)).paused).toBe(true);
  const resume = await api.req('POST', `/api/v1/experiments/${experimentId}/resume`);
  expect(resume.json.result.paused).toBe(false);
  const extend = await api.req('POST', `/api/v1/experiments/${experimentId}/extend-rounds`, { json: { additionalRounds: 2 } });
  expect(extend.json.result).toEqual({ roundsTotal: 3 });
  const stale = await api.req('POST', `/api/v1/experiments/${experimentId}/close-round`, { json: { roundIndex: 5 } });
  expect(stale.status).toBe(409);
  expect(stale.json.error).toMatchObject({ code: 'INVALID_STATE', message: 'round 5 is not open; the open round is 0', details: { reason: 'ROUND_NOT_OPEN' } });
  const close = await api.req('POST', `/api/v1/experiments/${experimentId}/close-round`, { json: { roundIndex: 0, reason: 'enough' } });
  expect(close.status).toBe(200);
  const cancel = await api.req('POST', `/api/v1/experiments/${experimentId}/cancel`);
  expect(cancel.status).toBe(200);
  expect(await handle.result()).toMatchObject({ status: 'cancelled' });
  const again = await api.req('POST', `/api/v1/experiments/${experimentId}/pause`);
  expect(again.status).toBe(409);

  const trail = await api.req('GET', `/api/v1/experiments/${experimentId}/audit`);
  const steering = trail.json.events.filter((e: { action: string }) => e.action.endsWith('_requested')).map((e: { action: string; data: { accepted: boolean } }) => [e.action, e.data.accepted]);
  expect(steering).toEqual([
    ['experiment.pause_requested', true],
    ['experiment.resume_requested', true],
    ['experiment.extend_rounds_requested', true],
    ['experiment.close_round_requested', false],
    ['experiment.close_round_requested', true],
    ['experiment.cancel_requested', true],
    ['experiment.pause_requested', false],
  ]);
  expect(trail.json.events.find((e: { action: string }) => e.action === 'experiment.pause_requested').actor).toBe(`labeler:${api.adminId}`);
});

it('coalesces a burst of signals for one workflow into the first and the highest count', async () => {
  const launched = await api.req('POST', '/api/v1/experiments', { json: { spec: 'name: burst\nrounds: { count: 1 }\n' } });
  const handle = kit.client.workflow.getHandle(launched.json.workflowId);
  await kit.waitForStatus(handle as never, (s) => s.phase === 'labeling', 'labeling');
  const signaler = api.app.hone.deps.signaler;
  const before = { ...signaler.stats };
  // Ten notifications in one tick: the first goes out at once, the other nine merge into one follow-up.
  for (const n of [1, 2, 3, 2, 1, 3, 2, 3, 1, 2]) signaler.notify(launched.json.workflowId, 0, n);
  await signaler.drain();
  expect(signaler.stats.requested - before.requested).toBe(10);
  expect(signaler.stats.sent - before.sent).toBe(2);
  expect(signaler.stats.coalesced - before.coalesced).toBe(8);
  const s = await kit.waitForStatus(handle as never, (st) => st.progress.labels?.completedTasks === 3, 'count 3');
  expect(s.phase).toBe('labeling');
  await handle.terminate('test cleanup');
});

it('a signal that cannot be delivered never fails an accepted ranking', async () => {
  // An experiment whose workflow id names no workflow: every signal fails.
  const created = await createExperiment(api.db, { specYaml: 'name: orphan\n', createdBy: 'test', workflowIdFor: (id) => `experiment-${id}-missing` });
  await openRound(created.experiment.id);
  const labeler = await api.req('POST', '/api/v1/labelers', { json: { name: 'orphan-labeler', role: 'labeler' } });
  const failedBefore = api.app.hone.deps.signaler.stats.failed;
  const next = await api.req('GET', `/api/v1/labeling/next?experimentId=${created.experiment.id}`, { token: labeler.json.token });
  const sent = await api.req('POST', `/api/v1/labeling/tasks/${next.json.task.taskId}/ranking`, { token: labeler.json.token, json: { ordering: next.json.task.samples.map((s: { id: string }) => s.id), quality: 2, flags } });
  expect(sent.status).toBe(201);
  await api.app.hone.drain();
  expect(api.app.hone.deps.signaler.stats.failed).toBe(failedBefore + 1);
  expect(api.logs.some((l) => l.includes('ranking signal not delivered'))).toBe(true);
  expect(await api.db.ranking.count({ where: { task: { round: { experimentId: created.experiment.id } } } })).toBe(1);
});

it('a server that starts tells each waiting workflow its round’s count (signals a crashed predecessor never sent)', async () => {
  const launched = await api.req('POST', '/api/v1/experiments', { json: { spec: 'name: resignalled\nrounds: { count: 1, promptsPerRound: 4, completionsPerPrompt: 3 }\n' } });
  const experimentId = launched.json.experiment.id;
  const handle = kit.client.workflow.getHandle(launched.json.workflowId);
  await openRound(experimentId);
  await kit.waitForStatus(handle as never, (s) => s.phase === 'labeling' && s.progress.labels !== undefined, 'labeling');
  // Two rankings stored, as by an API that died before its signals went out: the workflow has not heard of them.
  const l = await createLabeler(api.db, { name: 'crash-witness', role: 'labeler', actor: 'test' });
  for (let i = 0; i < 2; i++) {
    const t = (await claimNextTask(api.db, { labelerId: l.labeler.id, experimentId }))!;
    await submitRanking(api.db, { taskId: t.taskId, labelerId: l.labeler.id, ordering: t.samples.map((s) => s.id), quality: 3, flags });
  }
  expect((await handle.query(statusQuery)).progress.labels?.completedTasks).toBe(0);

  const server = await startServer({ deps: { db: api.db, temporalClient: kit.client, artifacts: api.artifacts, config: { webDistDir: null } }, port: 0 });
  try {
    const s = await kit.waitForStatus(handle as never, (st) => st.progress.labels?.completedTasks === 2, 'count 2 from the starting server');
    expect(s.phase).toBe('labeling');
    expect(server.app.hone.deps.signaler.stats.sent).toBeGreaterThanOrEqual(1);
  } finally {
    await server.close();
    await handle.terminate('test cleanup');
  }
});
