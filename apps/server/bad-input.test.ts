/**
 * Table-driven bad input against the HTTP API: every case must be refused with the right 4xx status, error code
 * and a message that says what is wrong, and must leave the database exactly as it was (row counts and a
 * checksum of every table labeling touches; only a token's lastUsedAt may move, by design).
 */
import { labelingSnapshot, seedLabelingRound } from '../../lib/domain/test-support';
import { closeLabelingRound, submitRanking } from '../../lib/domain';
import { createTestApi, type ReqOptions, type TestApi } from './test-support';

let api: TestApi;
/** Tokens and ids the cases use, made in beforeAll. */
const f = {} as {
  experimentId: string;
  otherExperimentId: string;
  labeler: string;
  labelerId: string;
  other: string;
  scopedElsewhere: string;
  revoked: string;
  disabled: string;
  /** A task the labeler holds (active claim) in the open round. */
  task: string;
  sampleIds: string[];
  /** A task another labeler holds. */
  othersTask: string;
  othersSampleIds: string[];
  /** A task the labeler already ranked. */
  rankedTask: string;
  rankedOrdering: string[];
  /** A task the labeler held in a round that has since closed. */
  closedTask: string;
  closedSampleIds: string[];
  /** A task in the experiment the scoped-elsewhere labeler may not touch. */
  outOfScopeTask: string;
  outOfScopeSampleIds: string[];
};

const flags = { followsInstruction: true, hallucination: false, harmful: false };

beforeAll(async () => {
  api = await createTestApi('bad_input');
  const db = api.db;
  const r = await seedLabelingRound(db, { prompts: 6, k: 4, name: 'bad-input' });
  const closed = await seedLabelingRound(db, { prompts: 2, k: 4, name: 'closed-round' });
  f.experimentId = r.experimentId;
  f.otherExperimentId = closed.experimentId;
  const mk = async (name: string, scopes: '*' | string[]) => (await api.req('POST', '/api/v1/labelers', { json: { name, role: 'labeler', scopes } })).json;
  const me = await mk('bad-labeler', '*');
  f.labeler = me.token;
  f.labelerId = me.labeler.id;
  f.other = (await mk('other-labeler', '*')).token;
  f.scopedElsewhere = (await mk('scoped-elsewhere', [closed.experimentId])).token;
  const rev = await mk('revoked-labeler', '*');
  f.revoked = rev.token;
  await api.req('POST', `/api/v1/labelers/${rev.labeler.id}/rotate-token`);
  const dis = await mk('disabled-labeler', '*');
  f.disabled = dis.token;
  await api.req('POST', `/api/v1/labelers/${dis.labeler.id}/disable`);

  const next = async (token: string, experimentId: string) => (await api.req('GET', `/api/v1/labeling/next?experimentId=${experimentId}`, { token })).json.task;
  // The labeler ranks one task, holds another; the other labeler holds a third.
  const first = await next(f.labeler, r.experimentId);
  f.rankedTask = first.taskId;
  f.rankedOrdering = first.samples.map((s: { id: string }) => s.id);
  await submitRanking(db, { taskId: first.taskId, labelerId: f.labelerId, ordering: f.rankedOrdering, quality: 5, flags });
  const held = await next(f.labeler, r.experimentId);
  f.task = held.taskId;
  f.sampleIds = held.samples.map((s: { id: string }) => s.id);
  const others = await next(f.other, r.experimentId);
  f.othersTask = others.taskId;
  f.othersSampleIds = others.samples.map((s: { id: string }) => s.id);
  // In the second experiment: the labeler held a task, then the round closed; another task stays out of scope.
  const inClosed = await next(f.labeler, closed.experimentId);
  f.closedTask = inClosed.taskId;
  f.closedSampleIds = inClosed.samples.map((s: { id: string }) => s.id);
  await closeLabelingRound(db, { experimentId: closed.experimentId, roundIndex: 0, reason: 'deadline', actor: 'test' });
  const third = await seedLabelingRound(db, { prompts: 1, k: 4, name: 'out-of-scope' });
  const oos = await next(f.other, third.experimentId);
  f.outOfScopeTask = oos.taskId;
  f.outOfScopeSampleIds = oos.samples.map((s: { id: string }) => s.id);
});
afterAll(async () => {
  await api?.close();
});

interface Case {
  name: string;
  request: () => { method: string; url: string; opts: ReqOptions };
  status: number;
  code: string;
  message: RegExp;
}

const submit = (body: unknown, o: { token?: () => string; task?: () => string; raw?: string; headers?: Record<string, string> } = {}) => () => {
  const opts: ReqOptions = { token: o.token ? o.token() : f.labeler, headers: o.headers };
  if (o.raw !== undefined) {
    opts.body = o.raw;
    opts.headers = { 'content-type': 'application/json', ...o.headers };
  } else {
    opts.json = body;
  }
  return { method: 'POST', url: `/api/v1/labeling/tasks/${o.task ? o.task() : f.task}/ranking`, opts };
};
const valid = () => ({ ordering: f.sampleIds, quality: 5, flags });
const get = (url: () => string, token?: () => string | null) => () => ({ method: 'GET', url: url(), opts: { token: token ? token() : f.labeler } });
const SQL = `'; DROP TABLE "Ranking"; --`;

const cases: Case[] = [
  // ---- body syntax
  { name: 'malformed JSON', request: submit(undefined, { raw: '{"ordering": [' }), status: 400, code: 'VALIDATION_FAILED', message: /not valid JSON/ },
  { name: 'a JSON array instead of an object', request: submit([1, 2]), status: 400, code: 'VALIDATION_FAILED', message: /expected object/ },
  { name: 'JSON null', request: submit(null), status: 400, code: 'VALIDATION_FAILED', message: /expected object/ },
  { name: 'an empty body', request: submit(undefined, { raw: '' }), status: 400, code: 'VALIDATION_FAILED', message: /request body is required/ },
  { name: 'NaN (not JSON) as quality', request: submit(undefined, { raw: '{"ordering":[],"quality":NaN,"flags":{}}' }), status: 400, code: 'VALIDATION_FAILED', message: /not valid JSON/ },
  { name: 'a text/plain body', request: submit(undefined, { raw: JSON.stringify({ ordering: [], quality: 5, flags }), headers: { 'content-type': 'text/plain' } }), status: 400, code: 'VALIDATION_FAILED', message: /Content-Type must be application\/json/ },
  { name: 'an oversized body (Content-Length)', request: submit({ ...{ ordering: [], quality: 5, flags }, note: 'x'.repeat(70 * 1024) }), status: 413, code: 'PAYLOAD_TOO_LARGE', message: /larger than 65536 bytes/ },
  {
    name: 'an oversized streamed body (no Content-Length)',
    request: () => ({
      method: 'POST',
      url: `/api/v1/labeling/tasks/${f.task}/ranking`,
      opts: {
        token: f.labeler,
        headers: { 'content-type': 'application/json' },
        body: new ReadableStream({
          start(c) {
            for (let i = 0; i < 20; i++) c.enqueue(new TextEncoder().encode('x'.repeat(8 * 1024)));
            c.close();
          },
        }),
      },
    }),
    status: 413,
    code: 'PAYLOAD_TOO_LARGE',
    message: /larger than/,
  },
  // ---- ranking content
  { name: 'wrong K (3 of 4 samples)', request: () => submit({ ...valid(), ordering: f.sampleIds.slice(0, 3) })(), status: 400, code: 'VALIDATION_FAILED', message: /ranks 3 samples but task .* has K=4; missing/ },
  { name: 'wrong K (5 entries for K=4)', request: () => submit({ ...valid(), ordering: [...f.sampleIds, f.othersSampleIds[0]] })(), status: 400, code: 'VALIDATION_FAILED', message: /is not one of task/ },
  { name: 'a repeated sample id', request: () => submit({ ...valid(), ordering: [f.sampleIds[0], f.sampleIds[0], f.sampleIds[1], f.sampleIds[2]] })(), status: 400, code: 'VALIDATION_FAILED', message: /appears more than once/ },
  { name: 'an unknown sample id', request: () => submit({ ...valid(), ordering: [...f.sampleIds.slice(0, 3), 'not-a-sample'] })(), status: 400, code: 'VALIDATION_FAILED', message: /"not-a-sample" is not one of task/ },
  { name: 'a SQL-looking sample id', request: () => submit({ ...valid(), ordering: [...f.sampleIds.slice(0, 3), SQL] })(), status: 400, code: 'VALIDATION_FAILED', message: /is not one of task/ },
  { name: 'another task’s sample ids', request: () => submit({ ...valid(), ordering: f.othersSampleIds })(), status: 400, code: 'VALIDATION_FAILED', message: /is not one of task/ },
  { name: 'an empty ordering', request: () => submit({ ...valid(), ordering: [] })(), status: 400, code: 'VALIDATION_FAILED', message: /ordering/ },
  { name: 'everything tied', request: () => submit({ ...valid(), ordering: [f.sampleIds] })(), status: 400, code: 'VALIDATION_FAILED', message: /ties every sample/ },
  { name: 'an empty tie group', request: () => submit({ ...valid(), ordering: [...f.sampleIds, []] })(), status: 400, code: 'VALIDATION_FAILED', message: /ordering\[4\]/ },
  { name: 'quality 0', request: () => submit({ ...valid(), quality: 0 })(), status: 400, code: 'VALIDATION_FAILED', message: /quality: .*>=1/ },
  { name: 'quality -3', request: () => submit({ ...valid(), quality: -3 })(), status: 400, code: 'VALIDATION_FAILED', message: /quality/ },
  { name: 'quality 7.5', request: () => submit({ ...valid(), quality: 7.5 })(), status: 400, code: 'VALIDATION_FAILED', message: /quality: .*expected int, received number/ },
  { name: 'quality 1e400 (Infinity)', request: submit(undefined, { raw: '{"ordering":[],"quality":1e400,"flags":{}}' }), status: 400, code: 'VALIDATION_FAILED', message: /quality/ },
  { name: 'quality as a string', request: () => submit({ ...valid(), quality: '5' })(), status: 400, code: 'VALIDATION_FAILED', message: /quality: .*expected number/ },
  { name: 'a flag as a string', request: () => submit({ ...valid(), flags: { ...flags, harmful: 'no' } })(), status: 400, code: 'VALIDATION_FAILED', message: /flags.harmful: .*expected boolean/ },
  { name: 'a flag missing', request: () => submit({ ...valid(), flags: { followsInstruction: true, hallucination: false } })(), status: 400, code: 'VALIDATION_FAILED', message: /flags.harmful/ },
  { name: 'ordering as a string', request: () => submit({ ...valid(), ordering: f.sampleIds.join(',') })(), status: 400, code: 'VALIDATION_FAILED', message: /ordering: .*expected array/ },
  { name: 'an extra field', request: () => submit({ ...valid(), approved: true })(), status: 400, code: 'VALIDATION_FAILED', message: /Unrecognized key.*"approved"/ },
  { name: 'an extra field inside flags', request: () => submit({ ...valid(), flags: { ...flags, toxic: false } })(), status: 400, code: 'VALIDATION_FAILED', message: /Unrecognized key.*"toxic"/ },
  { name: 'a negative durationMs', request: () => submit({ ...valid(), durationMs: -1 })(), status: 400, code: 'VALIDATION_FAILED', message: /durationMs/ },
  { name: 'a clientRequestId with spaces', request: () => submit({ ...valid(), clientRequestId: 'a b' })(), status: 400, code: 'VALIDATION_FAILED', message: /clientRequestId/ },
  // ---- odd text
  { name: 'a NUL byte in the note', request: () => submit({ ...valid(), note: 'fine\u0000then not' })(), status: 400, code: 'VALIDATION_FAILED', message: /note: contains a control character/ },
  { name: 'a lone surrogate in the note', request: () => submit(undefined, { raw: `{"ordering":${JSON.stringify(f.sampleIds)},"quality":5,"flags":${JSON.stringify(flags)},"note":"bad \\ud800 half"}` })(), status: 400, code: 'VALIDATION_FAILED', message: /invalid Unicode/ },
  { name: 'a 2001-character note of RTL and zero-width text', request: () => submit({ ...valid(), note: '\u202e\u200b'.repeat(1000) + 'x' })(), status: 400, code: 'VALIDATION_FAILED', message: /note: must be at most 2000 characters/ },
  { name: 'a SQL-looking note beside a bad quality', request: () => submit({ ...valid(), note: SQL, quality: 9 })(), status: 400, code: 'VALIDATION_FAILED', message: /quality/ },
  { name: 'a SQL-looking task id', request: () => submit(valid(), { task: () => encodeURIComponent(SQL) })(), status: 400, code: 'VALIDATION_FAILED', message: /invalid path: taskId/ },
  { name: 'a SQL-looking experimentId in the query', request: get(() => `/api/v1/labeling/next?experimentId=${encodeURIComponent(`x' OR '1'='1`)}`), status: 400, code: 'VALIDATION_FAILED', message: /invalid query: experimentId/ },
  // ---- state
  { name: 'a ranking for a closed round', request: () => submit({ ...valid(), ordering: f.closedSampleIds }, { task: () => f.closedTask })(), status: 409, code: 'INVALID_STATE', message: /round 0 of experiment .* is closed \(deadline\)/ },
  { name: 'a ranking of another labeler’s task', request: () => submit({ ...valid(), ordering: f.othersSampleIds }, { task: () => f.othersTask })(), status: 403, code: 'FORBIDDEN', message: /not assigned to you/ },
  { name: 'a replay with different content', request: () => submit({ ordering: [...f.rankedOrdering].reverse(), quality: 5, flags }, { task: () => f.rankedTask })(), status: 409, code: 'CONFLICT', message: /already ranked task .* differently/ },
  { name: 'an unknown task', request: () => submit(valid(), { task: () => '0190a000-0000-7000-8000-000000000000' })(), status: 404, code: 'NOT_FOUND', message: /task 0190a000-.* not found/ },
  // ---- credentials and scope
  { name: 'no token', request: () => submit(valid(), { token: () => null as unknown as string })(), status: 401, code: 'UNAUTHENTICATED', message: /missing Authorization header/ },
  { name: 'a Basic Authorization header', request: () => submit(valid(), { headers: { authorization: 'Basic dXNlcjpwYXNz' } })(), status: 401, code: 'UNAUTHENTICATED', message: /malformed Authorization header/ },
  { name: 'a malformed token', request: () => submit(valid(), { token: () => 'hone_short' })(), status: 401, code: 'UNAUTHENTICATED', message: /malformed API token/ },
  { name: 'an unknown token', request: () => submit(valid(), { token: () => `hone_${'Q'.repeat(43)}` })(), status: 401, code: 'UNAUTHENTICATED', message: /unknown API token/ },
  { name: 'a revoked token', request: () => submit(valid(), { token: () => f.revoked })(), status: 401, code: 'UNAUTHENTICATED', message: /was revoked/ },
  { name: 'a disabled labeler', request: () => submit(valid(), { token: () => f.disabled })(), status: 401, code: 'UNAUTHENTICATED', message: /labeler disabled-labeler is disabled/ },
  { name: 'a task outside the token’s scope', request: () => submit({ ...valid(), ordering: f.outOfScopeSampleIds }, { token: () => f.scopedElsewhere, task: () => f.outOfScopeTask })(), status: 403, code: 'FORBIDDEN', message: /not scoped to experiment/ },
  { name: 'next task of an experiment outside the scope', request: get(() => `/api/v1/labeling/next?experimentId=${f.experimentId}`, () => f.scopedElsewhere), status: 403, code: 'FORBIDDEN', message: /not scoped to experiment/ },
  { name: 'reading an experiment outside the scope', request: get(() => `/api/v1/experiments/${f.experimentId}`, () => f.scopedElsewhere), status: 403, code: 'FORBIDDEN', message: /not scoped to experiment/ },
  { name: 'a labeler creating a labeler', request: () => ({ method: 'POST', url: '/api/v1/labelers', opts: { token: f.labeler, json: { name: 'sneaky', role: 'admin' } } }), status: 403, code: 'FORBIDDEN', message: /needs an admin token/ },
  { name: 'a labeler launching an experiment', request: () => ({ method: 'POST', url: '/api/v1/experiments', opts: { token: f.labeler, json: { spec: 'name: x\n' } } }), status: 403, code: 'FORBIDDEN', message: /needs an admin token/ },
  // ---- queries and other endpoints
  { name: 'an unknown query parameter', request: get(() => `/api/v1/labeling/next?experimentId=${f.experimentId}&debug=1`), status: 400, code: 'VALIDATION_FAILED', message: /Unrecognized key.*"debug"/ },
  { name: 'a repeated query parameter', request: get(() => `/api/v1/labeling/next?experimentId=${f.experimentId}&experimentId=${f.experimentId}`), status: 400, code: 'VALIDATION_FAILED', message: /given 2 times/ },
  { name: 'a non-numeric round index', request: get(() => `/api/v1/experiments/${f.experimentId}/rounds/abc/progress`), status: 400, code: 'VALIDATION_FAILED', message: /roundIndex must be a non-negative integer/ },
  { name: 'a round that does not exist', request: get(() => `/api/v1/experiments/${f.experimentId}/rounds/7/progress`), status: 404, code: 'NOT_FOUND', message: /has no round 7/ },
  { name: 'a labeler name with a NUL byte', request: () => ({ method: 'POST', url: '/api/v1/labelers', opts: { token: api.adminToken, json: { name: 'a\u0000b', role: 'labeler' } } }), status: 400, code: 'VALIDATION_FAILED', message: /name: contains a control character/ },
  { name: 'a labeler without a role', request: () => ({ method: 'POST', url: '/api/v1/labelers', opts: { token: api.adminToken, json: { name: 'no-role' } } }), status: 400, code: 'VALIDATION_FAILED', message: /role/ },
  { name: 'a labeler name taken already', request: () => ({ method: 'POST', url: '/api/v1/labelers', opts: { token: api.adminToken, json: { name: 'bad-labeler', role: 'labeler' } } }), status: 409, code: 'CONFLICT', message: /exists already/ },
  { name: 'a labeler scoped to a missing experiment', request: () => ({ method: 'POST', url: '/api/v1/labelers', opts: { token: api.adminToken, json: { name: 'lost', role: 'labeler', scopes: ['0190a000-0000-7000-8000-00000000dead'] } } }), status: 404, code: 'NOT_FOUND', message: /scoped experiment .* not found/ },
  { name: 'an invalid spec', request: () => ({ method: 'POST', url: '/api/v1/experiments', opts: { token: api.adminToken, json: { spec: 'name: ok\nrounds: { count: 0 }\n' } } }), status: 400, code: 'VALIDATION_FAILED', message: /request body:2:\d+ rounds.count: .*1/ },
  { name: 'a spec that is not YAML', request: () => ({ method: 'POST', url: '/api/v1/experiments', opts: { token: api.adminToken, json: { spec: 'name: [unclosed' } } }), status: 400, code: 'VALIDATION_FAILED', message: /\(yaml\)/ },
  { name: 'an oversized spec', request: () => ({ method: 'POST', url: '/api/v1/experiments', opts: { token: api.adminToken, json: { spec: `name: big\ndescription: ${'y'.repeat(400 * 1024)}\n` } } }), status: 413, code: 'PAYLOAD_TOO_LARGE', message: /larger than 307200 bytes/ },
  { name: 'extend-rounds by 0', request: () => ({ method: 'POST', url: `/api/v1/experiments/${f.experimentId}/extend-rounds`, opts: { token: api.adminToken, json: { additionalRounds: 0 } } }), status: 400, code: 'VALIDATION_FAILED', message: /additionalRounds/ },
  { name: 'a body on a bodiless endpoint', request: () => ({ method: 'POST', url: `/api/v1/experiments/${f.experimentId}/start`, opts: { token: api.adminToken, json: { now: true } } }), status: 400, code: 'VALIDATION_FAILED', message: /takes no request body/ },
  { name: 'starting an experiment that is not pending', request: () => ({ method: 'POST', url: `/api/v1/experiments/${f.experimentId}/start`, opts: { token: api.adminToken } }), status: 409, code: 'INVALID_STATE', message: /is running; only a pending experiment can be started/ },
];

describe('bad input', () => {
  it('has at least 30 cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(30);
    expect(new Set(cases.map((c) => c.name)).size).toBe(cases.length);
  });

  it.each(cases.map((c) => [c.name, c] as const))('refuses %s, changing nothing', async (_name, c) => {
    const before = await labelingSnapshot(api.db);
    const { method, url, opts } = c.request();
    const r = await api.req(method, url, opts);
    expect({ status: r.status, code: r.json?.error?.code }).toEqual({ status: c.status, code: c.code });
    expect(r.json.error.message).toMatch(c.message);
    expect(r.headers.get('content-type')).toMatch(/^application\/json/);
    if (c.status === 401) expect(r.headers.get('www-authenticate')).toBe('Bearer realm="hone"');
    expect(await labelingSnapshot(api.db)).toEqual(before);
  });
});
