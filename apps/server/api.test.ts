/**
 * The HTTP API in process (`app.request()`), against a real Postgres and the test run's Temporal dev server (on
 * which no worker runs: workflows start but do not advance, which is what launch and timeout paths need).
 */
import { createHash } from 'node:crypto';
import { experimentWorkflowId } from '../../workflows/experiment-contract';
import { registerArtifact, seedLabelingRoundFor } from './api-test-fixtures';
import { createTestApi, type TestApi } from './test-support';

let api: TestApi;
beforeAll(async () => {
  api = await createTestApi('api');
});
afterAll(async () => {
  await api?.close();
});

const flags = { followsInstruction: true, hallucination: false, harmful: false };

describe('system', () => {
  it('answers /healthz without a token', async () => {
    const r = await api.req('GET', '/healthz', { token: null });
    expect(r.status).toBe(200);
    expect(r.json).toEqual({ ok: true, database: 'ok', temporal: 'ok' });
    expect(r.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('serves an OpenAPI 3.1 document generated from the request schemas', async () => {
    const r = await api.req('GET', '/api/v1/openapi.json', { token: null });
    expect(r.status).toBe(200);
    const doc = r.json;
    expect(doc.openapi).toBe('3.1.0');
    const ops = Object.values(doc.paths as Record<string, Record<string, { operationId: string }>>).flatMap((p) => Object.values(p).map((o) => o.operationId));
    expect(ops).toEqual(expect.arrayContaining(['launchExperiment', 'getExperiment', 'pauseExperiment', 'closeRoundExperiment', 'nextTask', 'submitRanking', 'roundAgreement', 'createLabeler', 'artifactLineage', 'auditTrail', 'health']));
    const submit = doc.paths['/api/v1/labeling/tasks/{taskId}/ranking'].post;
    const body = submit.requestBody.content['application/json'].schema;
    expect(body.additionalProperties).toBe(false); // unknown fields are rejected, and documented so
    expect(body.required).toEqual(expect.arrayContaining(['ordering', 'quality', 'flags']));
    expect(body.properties.quality).toMatchObject({ type: 'integer', minimum: 1, maximum: 7 });
    expect(submit.responses['409'].content['application/json'].schema.$ref).toBe('#/components/schemas/ErrorResponse');
    expect(submit.security).toEqual([{ bearerAuth: [] }]);
    expect(doc.paths['/api/v1/experiments/{experimentId}/rounds/{roundIndex}/progress'].get.parameters.map((p: { name: string; in: string }) => `${p.in}:${p.name}`)).toEqual(['path:experimentId', 'path:roundIndex']);
    expect(doc.components.schemas.ErrorResponse.properties.error.properties.code.enum).toContain('CONFLICT');
  });

  it('answers unknown routes with a JSON 404', async () => {
    const r = await api.req('GET', '/api/v1/nope');
    expect(r.status).toBe(404);
    expect(r.json.error).toMatchObject({ code: 'NOT_FOUND', message: expect.stringContaining('no route GET /api/v1/nope') });
  });
});

describe('experiments', () => {
  it('launches from YAML in JSON: records the experiment and starts its workflow under the contract id', async () => {
    const r = await api.req('POST', '/api/v1/experiments', { json: { spec: 'name: launched\nrounds: { count: 1 }\n' } });
    expect(r.status).toBe(201);
    const id = r.json.experiment.id;
    expect(r.json).toMatchObject({ started: true, workflowId: experimentWorkflowId(id), experiment: { name: 'launched', status: 'pending', createdBy: `labeler:${api.adminId}` } });
    expect(r.headers.get('location')).toBe(`/api/v1/experiments/${id}`);
    const desc = await api.temporalClient.workflow.getHandle(experimentWorkflowId(id)).describe();
    expect(desc.status.name).toBe('RUNNING');
    expect(desc.taskQueue).toBe('hone-control');
    await api.temporalClient.workflow.getHandle(experimentWorkflowId(id)).terminate('test cleanup');
  });

  it('launches from raw YAML and from a JSON object; start: false records only; /start starts later', async () => {
    const yaml = await api.req('POST', '/api/v1/experiments', { body: 'name: raw-yaml\n', headers: { 'content-type': 'application/yaml' } });
    expect(yaml.status).toBe(201);
    await api.temporalClient.workflow.getHandle(yaml.json.workflowId).terminate('test cleanup');
    const obj = await api.req('POST', '/api/v1/experiments', { json: { spec: { name: 'as-object', seed: 3 }, start: false } });
    expect(obj.status).toBe(201);
    expect(obj.json).toMatchObject({ started: false, runId: null, experiment: { name: 'as-object', seed: 3 } });
    const started = await api.req('POST', `/api/v1/experiments/${obj.json.experiment.id}/start`);
    expect(started.status).toBe(200);
    expect(started.json.started).toBe(true);
    const again = await api.req('POST', `/api/v1/experiments/${obj.json.experiment.id}/start`);
    expect(again.json.started).toBe(false); // idempotent: the workflow exists
    await api.temporalClient.workflow.getHandle(obj.json.workflowId).terminate('test cleanup');
  });

  it('gets an experiment with the database status when the workflow does not answer in time', async () => {
    const r = await api.req('POST', '/api/v1/experiments', { json: { spec: 'name: no-worker\n' } });
    const got = await api.req('GET', `/api/v1/experiments/${r.json.experiment.id}`);
    expect(got.status).toBe(200);
    expect(got.json.experiment).toMatchObject({ id: r.json.experiment.id, status: 'pending', spec: { name: 'no-worker' }, specYaml: 'name: no-worker\n', rounds: [] });
    expect(got.json.live).toBeNull();
    expect(got.json.liveError).toMatch(/workflow status unavailable/);
    // Steering needs the workflow to answer: without a worker it times out as 503.
    const pause = await api.req('POST', `/api/v1/experiments/${r.json.experiment.id}/pause`, { json: { reason: 'lunch' } });
    expect(pause.status).toBe(503);
    expect(pause.json.error).toMatchObject({ code: 'DEPENDENCY_UNAVAILABLE', message: expect.stringContaining('did not answer') });
    await api.temporalClient.workflow.getHandle(r.json.workflowId).terminate('test cleanup');
    // A finished workflow: the update is refused as 409 and the refusal is in the audit trail.
    const done = await api.req('POST', `/api/v1/experiments/${r.json.experiment.id}/resume`);
    expect(done.status).toBe(409);
    expect(done.json.error.message).toMatch(/no running workflow/);
    const trail = await api.req('GET', `/api/v1/experiments/${r.json.experiment.id}/audit`);
    expect(trail.json.events.map((e: { action: string }) => e.action)).toEqual(['experiment.created', 'experiment.resume_requested']);
    expect(trail.json.events[1].data).toMatchObject({ accepted: false, rejection: 'WORKFLOW_NOT_FOUND' });
    expect(typeof trail.json.events[0].id).toBe('number');
  });

  it('lists experiments newest first and only those in a labeler’s scope', async () => {
    const a = await api.req('POST', '/api/v1/experiments', { json: { spec: 'name: scope-a\n', start: false } });
    await api.req('POST', '/api/v1/experiments', { json: { spec: 'name: scope-b\n', start: false } });
    const l = await api.req('POST', '/api/v1/labelers', { json: { name: 'scoped-lister', role: 'labeler', scopes: [a.json.experiment.id] } });
    const mine = await api.req('GET', '/api/v1/experiments', { token: l.json.token });
    expect(mine.json.items.map((e: { name: string }) => e.name)).toEqual(['scope-a']);
    const all = await api.req('GET', '/api/v1/experiments?limit=2');
    expect(all.json.items).toHaveLength(2);
    expect(all.json.items[0].name).toBe('scope-b');
    expect(all.json.nextCursor).toEqual(expect.any(String));
    expect((await api.req('GET', `/api/v1/experiments/${a.json.experiment.id}`, { token: l.json.token })).status).toBe(200);
  });
});

describe('labeling over HTTP', () => {
  it('creates a labeler, serves the next task, stores a ranking once, replays it, and reports progress', async () => {
    const seeded = await seedLabelingRoundFor(api, { prompts: 3, overlap: 1 });
    const created = await api.req('POST', '/api/v1/labelers', { json: { name: 'http-labeler', role: 'labeler', scopes: [seeded.experimentId] } });
    expect(created.status).toBe(201);
    expect(created.headers.get('cache-control')).toBe('no-store');
    const token = created.json.token;
    expect(token).toMatch(/^hone_[A-Za-z0-9_-]{43}$/);
    expect((await api.req('GET', '/api/v1/me', { token })).json).toMatchObject({ name: 'http-labeler', role: 'labeler', scope: [seeded.experimentId] });

    const next = await api.req('GET', `/api/v1/labeling/next?experimentId=${seeded.experimentId}`, { token });
    expect(next.status).toBe(200);
    const task = next.json.task;
    expect(task).toMatchObject({ experimentId: seeded.experimentId, roundIndex: 0, round: 1, k: 4, resumed: false, requiredLabels: 2 });
    expect(task.samples).toHaveLength(4);
    const ordering = [task.samples[1].id, [task.samples[0].id, task.samples[3].id], task.samples[2].id];
    const note = `Beide okay 👍 — עברית ‏\u200b; '); DROP TABLE "Ranking"; --`;
    const sent = await api.req('POST', `/api/v1/labeling/tasks/${task.taskId}/ranking`, { token, json: { ordering, quality: 6, flags, note, clientRequestId: 'c-1', durationMs: 1234 } });
    expect(sent.status).toBe(201);
    expect(sent.json).toMatchObject({ replayed: false, taskCompleted: false, counts: { taskCount: 3, completedTasks: 0, rankings: 1 } });
    expect(sent.json.ranking.note).toBe(note);
    expect(await api.db.ranking.count()).toBe(1);
    const replay = await api.req('POST', `/api/v1/labeling/tasks/${task.taskId}/ranking`, { token, json: { ordering, quality: 6, flags, note, clientRequestId: 'c-2' } });
    expect(replay.status).toBe(200);
    expect(replay.json).toMatchObject({ replayed: true, ranking: { id: sent.json.ranking.id } });
    expect(await api.db.ranking.count()).toBe(1);

    const progress = await api.req('GET', `/api/v1/experiments/${seeded.experimentId}/rounds/0/progress`, { token });
    expect(progress.json).toMatchObject({ done: 0, rankings: 1, taskCount: 3, overlapTasks: 3 });
    expect(progress.json.perLabeler.map((p: { name: string }) => p.name)).toEqual(['http-labeler']);
    const agreement = await api.req('GET', `/api/v1/experiments/${seeded.experimentId}/rounds/0/agreement`, { token });
    expect(agreement.json).toMatchObject({ tasks: 0, reference: { agreement: 0.726, plusMinus: 0.015 } });
    const rounds = await api.req('GET', `/api/v1/experiments/${seeded.experimentId}/rounds`, { token });
    expect(rounds.json.items).toMatchObject([{ roundIndex: 0, round: 1, status: 'open', tasksTotal: 3, rankingsReceived: 1 }]);
    // A labeler cannot read the audit trail or create labelers.
    expect((await api.req('GET', `/api/v1/experiments/${seeded.experimentId}/audit`, { token })).status).toBe(403);
  });

  it('returns task: null when there is nothing to rank', async () => {
    const l = await api.req('POST', '/api/v1/labelers', { json: { name: 'idle', role: 'labeler', scopes: '*' } });
    const seeded = await seedLabelingRoundFor(api, { prompts: 1 });
    await api.req('POST', '/api/v1/labelers', { json: { name: 'idle-2', role: 'labeler' } });
    const first = await api.req('GET', `/api/v1/labeling/next?experimentId=${seeded.experimentId}`, { token: l.json.token });
    await api.req('POST', `/api/v1/labeling/tasks/${first.json.task.taskId}/ranking`, { token: l.json.token, json: { ordering: first.json.task.samples.map((s: { id: string }) => s.id), quality: 3, flags } });
    const none = await api.req('GET', `/api/v1/labeling/next?experimentId=${seeded.experimentId}`, { token: l.json.token });
    expect(none.status).toBe(200);
    expect(none.json).toEqual({ task: null });
  });

  it('disabling and rotating tokens take effect at once', async () => {
    const c = await api.req('POST', '/api/v1/labelers', { json: { name: 'rotator', role: 'labeler' } });
    const rotated = await api.req('POST', `/api/v1/labelers/${c.json.labeler.id}/rotate-token`);
    expect(rotated.status).toBe(200);
    expect((await api.req('GET', '/api/v1/me', { token: c.json.token })).json.error.message).toMatch(/revoked/);
    expect((await api.req('GET', '/api/v1/me', { token: rotated.json.token })).status).toBe(200);
    const disabled = await api.req('POST', `/api/v1/labelers/${c.json.labeler.id}/disable`, { json: { reason: 'left' } });
    expect(disabled.json.labeler.disabled).toBe(true);
    const me = await api.req('GET', '/api/v1/me', { token: rotated.json.token });
    expect(me.status).toBe(401);
    expect(me.json.error.message).toMatch(/disabled/);
    const list = await api.req('GET', '/api/v1/labelers');
    expect(list.json.items.find((l: { name: string }) => l.name === 'rotator')).toMatchObject({ disabled: true, stats: { rankings: 0 } });
  });
});

describe('artifacts and metrics', () => {
  it('serves metadata, lineage (bigint sizes as numbers) and, for admins, the verified bytes', async () => {
    const seeded = await seedLabelingRoundFor(api, { prompts: 1 });
    const bytes = Buffer.from('{"weights":[1,2,3]}');
    const put = await api.artifacts.put(`exp/${seeded.experimentId}/policy1.json`, bytes, { contentType: 'application/json' });
    const child = await registerArtifact(api, { key: put.key, uri: put.uri, sha256: put.sha256, bytes: put.bytes, kind: 'policy', experimentId: seeded.experimentId, parents: [{ artifactId: seeded.policyArtifactId, role: 'init' }] });
    const meta = await api.req('GET', `/api/v1/artifacts/${child}`);
    expect(meta.json).toMatchObject({ id: child, bytes: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex'), parents: [{ artifactId: seeded.policyArtifactId, role: 'init' }] });
    const lineage = await api.req('GET', `/api/v1/artifacts/${child}/lineage`);
    expect(lineage.json.nodes.map((n: { id: string; depth: number }) => [n.id, n.depth])).toEqual([
      [child, 0],
      [seeded.policyArtifactId, 1],
    ]);
    const list = await api.req('GET', `/api/v1/experiments/${seeded.experimentId}/artifacts?kind=policy`);
    expect(list.json.items).toHaveLength(2);
    const content = await api.req('GET', `/api/v1/artifacts/${child}/content`);
    expect(content.status).toBe(200);
    expect(content.text).toBe(bytes.toString());
    expect(content.headers.get('x-sha256')).toBe(put.sha256);
    expect(content.headers.get('content-type')).toBe('application/json');
    const labeler = await api.req('POST', '/api/v1/labelers', { json: { name: 'art-reader', role: 'labeler', scopes: [seeded.experimentId] } });
    expect((await api.req('GET', `/api/v1/artifacts/${child}`, { token: labeler.json.token })).status).toBe(200);
    expect((await api.req('GET', `/api/v1/artifacts/${child}/content`, { token: labeler.json.token })).status).toBe(403);
    const metrics = await api.req('GET', `/api/v1/experiments/${seeded.experimentId}/metrics?prefix=eval/`);
    expect(metrics.json).toEqual({ items: [] });
  });
});

describe('logging', () => {
  it('never writes a token or an Authorization header to the log', async () => {
    const c = await api.req('POST', '/api/v1/labelers', { json: { name: 'secret-keeper', role: 'labeler' } });
    await api.req('GET', '/api/v1/me', { token: c.json.token });
    await api.req('GET', '/api/v1/me', { token: `hone_${'x'.repeat(43)}` });
    await api.req('GET', `/api/v1/nope?token=${c.json.token}`, { token: c.json.token });
    const all = api.logs.join('');
    expect(api.logs.length).toBeGreaterThan(3);
    expect(all).not.toContain(c.json.token);
    expect(all).not.toContain(api.adminToken);
    expect(all).not.toContain(c.json.token.slice(5));
    expect(all.toLowerCase()).not.toContain('bearer ');
    expect(JSON.parse(api.logs[api.logs.length - 1])).toMatchObject({ level: 'info', msg: 'request', status: 404 });
  });
});
