/**
 * `POST /labeling/tasks/{id}/ranking?next=true`: the ranking is stored as without the flag, and the response also
 * carries the caller's next task — the labeling UI's one round trip per task. A failed claim never fails the
 * submission.
 */
import { seedLabelingRoundFor } from '../api-test-fixtures';
import { createTestApi, type TestApi } from '../test-support';

let api: TestApi;
beforeAll(async () => {
  api = await createTestApi('submit_next');
});
afterAll(async () => {
  await api?.close();
});

const flags = { followsInstruction: true, hallucination: false, harmful: false };
const order = (task: { samples: { id: string }[] }) => task.samples.map((s) => s.id);

it('stores the ranking and hands out the next task in the same response, then null when the round is done', async () => {
  const seeded = await seedLabelingRoundFor(api, { prompts: 2, k: 3 });
  const l = await api.req('POST', '/api/v1/labelers', { json: { name: 'nexter', role: 'labeler', scopes: [seeded.experimentId] } });
  const token = l.json.token;
  const first = (await api.req('GET', '/api/v1/labeling/next', { token })).json.task;
  const a = await api.req('POST', `/api/v1/labeling/tasks/${first.taskId}/ranking?next=true`, { token, json: { ordering: order(first), quality: 4, flags } });
  expect(a.status).toBe(201);
  expect(a.json).toMatchObject({ replayed: false, taskCompleted: true, counts: { completedTasks: 1, taskCount: 2 }, next: { task: { experimentId: seeded.experimentId, resumed: false, k: 3 } } });
  const second = a.json.next.task;
  expect(second.taskId).not.toBe(first.taskId);
  expect(await api.db.ranking.count({ where: { taskId: first.taskId } })).toBe(1);
  // The claim is real: asking again returns the same task as resumed.
  expect((await api.req('GET', '/api/v1/labeling/next', { token })).json.task).toMatchObject({ taskId: second.taskId, resumed: true });

  // A replay of the first submission (its response lost) is a replay, and the held task comes back with it.
  const replay = await api.req('POST', `/api/v1/labeling/tasks/${first.taskId}/ranking?next=true`, { token, json: { ordering: order(first), quality: 4, flags } });
  expect(replay.status).toBe(200);
  expect(replay.json).toMatchObject({ replayed: true, next: { task: { taskId: second.taskId, resumed: true } } });
  expect(await api.db.ranking.count({ where: { taskId: first.taskId } })).toBe(1);

  const b = await api.req('POST', `/api/v1/labeling/tasks/${second.taskId}/ranking?next=true&experimentId=${seeded.experimentId}`, { token, json: { ordering: order(second), quality: 5, flags } });
  expect(b.status).toBe(201);
  expect(b.json.next).toEqual({ task: null });
  // Without the flag the answer has no `next` at all (unchanged behaviour).
  const plain = await api.req('POST', `/api/v1/labeling/tasks/${second.taskId}/ranking`, { token, json: { ordering: order(second), quality: 5, flags } });
  expect(plain.status).toBe(200);
  expect(plain.json).not.toHaveProperty('next');
});

it('reports a failed claim beside the stored ranking instead of failing the request', async () => {
  const seeded = await seedLabelingRoundFor(api, { prompts: 2, k: 2 });
  const other = await seedLabelingRoundFor(api, { prompts: 1, k: 2 });
  const l = await api.req('POST', '/api/v1/labelers', { json: { name: 'narrow', role: 'labeler', scopes: [seeded.experimentId] } });
  const task = (await api.req('GET', '/api/v1/labeling/next', { token: l.json.token })).json.task;
  const r = await api.req('POST', `/api/v1/labeling/tasks/${task.taskId}/ranking?next=true&experimentId=${other.experimentId}`, { token: l.json.token, json: { ordering: order(task), quality: 2, flags } });
  expect(r.status).toBe(201);
  expect(r.json.next).toMatchObject({ task: null, error: { code: 'FORBIDDEN', message: expect.stringContaining(other.experimentId) } });
  expect(await api.db.ranking.count({ where: { taskId: task.taskId } })).toBe(1);
});

it('validates the flag and documents it', async () => {
  const seeded = await seedLabelingRoundFor(api, { prompts: 1, k: 2 });
  const l = await api.req('POST', '/api/v1/labelers', { json: { name: 'flagger', role: 'labeler' } });
  const task = (await api.req('GET', `/api/v1/labeling/next?experimentId=${seeded.experimentId}`, { token: l.json.token })).json.task;
  const before = await api.db.ranking.count();
  const bad = await api.req('POST', `/api/v1/labeling/tasks/${task.taskId}/ranking?next=yes`, { token: l.json.token, json: { ordering: order(task), quality: 2, flags } });
  expect(bad.status).toBe(400);
  expect(bad.json.error).toMatchObject({ code: 'VALIDATION_FAILED', message: expect.stringContaining('next') });
  expect(await api.db.ranking.count()).toBe(before);
  const doc = (await api.req('GET', '/api/v1/openapi.json', { token: null })).json;
  const op = doc.paths['/api/v1/labeling/tasks/{taskId}/ranking'].post;
  expect(op.parameters.map((p: { in: string; name: string }) => `${p.in}:${p.name}`)).toEqual(['path:taskId', 'query:next', 'query:experimentId']);
  expect(op.responses['201'].content['application/json'].schema.properties.next).toBeDefined();
});
