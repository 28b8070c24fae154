import { actorOf } from '../../../lib/auth';
import { createExperiment, getExperiment, listExperiments, parseInput } from '../../../lib/domain';
import { AppError } from '../../../lib/errors';
import type { ExperimentSpec } from '../../../lib/spec';
import { cancelUpdate, closeRoundUpdate, experimentWorkflowId, extendRoundsUpdate, pauseUpdate, resumeUpdate } from '../../../workflows/experiment-contract';
import { jsonResponse } from '../http/json';
import { isJsonContentType, parseJson } from '../http/read-body';
import { defineRoute, type RouteSpec } from '../http/route';
import { assertExperimentAccess, listScope } from '../http/scope';
import * as s from '../schemas';
import { liveStatus } from '../temporal/live-status';
import { startExperimentWorkflow } from '../temporal/start-experiment-workflow';
import { steerExperiment } from '../temporal/steer-experiment';
import type { ResolvedDeps } from '../resolved-deps';

const YAML_TYPES = /^(application\/(x-)?yaml|text\/(x-)?yaml|text\/plain)\s*(;|$)/i;

/** The experiment or NOT_FOUND. */
function experimentOrThrow(deps: ResolvedDeps, experimentId: string) {
  return getExperiment(deps.db, experimentId);
}

const launch = defineRoute({
  method: 'post',
  path: '/api/v1/experiments',
  operationId: 'launchExperiment',
  summary: 'Launch an experiment from a spec',
  description:
    'Body: `{ "spec": "<YAML text>" | { …spec as JSON… }, "start": true }` as application/json, or the YAML itself as application/yaml. ' +
    "Records the experiment (status pending) and starts its workflow (id `experiment-<id>`, task queue hone-control). An invalid spec is 400 with every problem in `details.issues`.",
  tags: ['experiments'],
  access: 'admin',
  rawBody: { contentTypes: ['application/json', 'application/yaml'], schema: s.launchBody },
  bodyLimit: (d) => d.config.specBodyLimitBytes,
  responses: { 201: { description: 'recorded and started', schema: s.launchResponse } },
  errors: [400, 503],
  async handle({ c, deps, principal }) {
    const ct = c.req.header('content-type');
    const text = await c.req.text();
    let specYaml: string;
    let start = true;
    if (text.trim() === '') throw new AppError('VALIDATION_FAILED', 'request body is required: { "spec": "<YAML>" } as JSON, or the YAML itself as application/yaml');
    if (isJsonContentType(ct)) {
      const body = parseInput(s.launchBody, parseJson(text), 'request body');
      specYaml = typeof body.spec === 'string' ? body.spec : JSON.stringify(body.spec, null, 2);
      start = body.start ?? true;
    } else if (ct && YAML_TYPES.test(ct)) {
      specYaml = text;
    } else {
      throw new AppError('VALIDATION_FAILED', `Content-Type must be application/json or application/yaml (got ${JSON.stringify(ct ?? '')})`);
    }
    const created = await createExperiment(deps.db, { specYaml, createdBy: actorOf(principal), workflowIdFor: experimentWorkflowId, source: 'request body' });
    const workflowId = created.experiment.workflowId as string;
    const started = start ? await startExperimentWorkflow(deps, created.experiment.id, created.spec) : { workflowId, runId: null, started: false };
    return jsonResponse(201, { experiment: created.experiment, specHash: created.specHash, workflowId, runId: started.runId, started: started.started }, { location: `/api/v1/experiments/${created.experiment.id}` });
  },
});

const start = defineRoute({
  method: 'post',
  path: '/api/v1/experiments/{experimentId}/start',
  operationId: 'startExperiment',
  summary: "Start a recorded experiment's workflow (after a launch with start: false, or one Temporal refused)",
  tags: ['experiments'],
  access: 'admin',
  params: s.experimentParams,
  responses: { 200: { description: 'started (or running already)', schema: s.launchResponse.omit({ specHash: true }) } },
  errors: [404, 409, 503],
  async handle({ deps, params }) {
    const e = await experimentOrThrow(deps, params.experimentId);
    if (e.status !== 'pending') throw new AppError('INVALID_STATE', `experiment ${e.id} is ${e.status}; only a pending experiment can be started`);
    const started = await startExperimentWorkflow(deps, e.id, e.spec as ExperimentSpec);
    const { specYaml: _y, spec: _s, rounds: _r, ...experiment } = e;
    return jsonResponse(200, { experiment, workflowId: started.workflowId, runId: started.runId, started: started.started });
  },
});

const list = defineRoute({
  method: 'get',
  path: '/api/v1/experiments',
  operationId: 'listExperiments',
  summary: 'List experiments, newest first (a labeler sees the ones in scope)',
  tags: ['experiments'],
  access: 'authenticated',
  query: s.listExperimentsQuery,
  responses: { 200: { description: 'a page', schema: s.experimentPage } },
  errors: [400],
  async handle({ deps, principal, query }) {
    return jsonResponse(200, await listExperiments(deps.db, { status: query.status, limit: query.limit, cursor: query.cursor, experimentIds: listScope(principal) }));
  },
});

const get = defineRoute({
  method: 'get',
  path: '/api/v1/experiments/{experimentId}',
  operationId: 'getExperiment',
  summary: "An experiment with its spec, rounds and the workflow's live status",
  description: "`live` is the workflow's status query (phase, round, progress) when the workflow answers in time; otherwise null, and the database status applies.",
  tags: ['experiments'],
  access: 'authenticated',
  params: s.experimentParams,
  responses: { 200: { description: 'the experiment', schema: s.experimentDetailSchema } },
  errors: [404],
  async handle({ deps, principal, params }) {
    assertExperimentAccess(principal, params.experimentId);
    const experiment = await experimentOrThrow(deps, params.experimentId);
    // A pending experiment may have a workflow already (it records `running` in its first step): ask anyway.
    const status = experiment.workflowId ? await liveStatus(deps, experiment.workflowId) : { live: null, liveError: 'the experiment has no workflow' };
    const ui = deps.config.temporalUiUrl && experiment.workflowId ? `${deps.config.temporalUiUrl.replace(/\/$/, '')}/namespaces/${encodeURIComponent(deps.config.temporalNamespace)}/workflows/${encodeURIComponent(experiment.workflowId)}` : undefined;
    return jsonResponse(200, { experiment, ...status, ...(ui ? { temporalUiUrl: ui } : {}) });
  },
});

/** The five steering endpoints share their shape. */
function steering(
  name: 'pause' | 'resume' | 'cancel' | 'extend-rounds' | 'close-round',
  summary: string,
): RouteSpec {
  const body = name === 'extend-rounds' ? s.extendRoundsBody : name === 'close-round' ? s.closeRoundBody : s.steerBody;
  return defineRoute({
    method: 'post',
    path: `/api/v1/experiments/{experimentId}/${name}`,
    operationId: `${name.replace(/-(\w)/g, (_m, ch: string) => ch.toUpperCase())}Experiment`,
    summary,
    description: 'Sent to the workflow as an Update; a rejection by the workflow (finished, no open round, bad argument) is answered with its reason. Recorded in the audit trail.',
    tags: ['steering'],
    access: 'admin',
    params: s.experimentParams,
    body,
    bodyOptional: name !== 'extend-rounds',
    responses: { 200: { description: "the workflow's answer", schema: s.steerResponse } },
    errors: [400, 404, 409, 503],
    async handle({ deps, principal, params, body: b }) {
      const e = await experimentOrThrow(deps, params.experimentId);
      if (!e.workflowId) throw new AppError('INVALID_STATE', `experiment ${e.id} has no workflow; start it first`);
      const actor = actorOf(principal);
      const reason = (b as { reason?: string }).reason;
      const common = { experimentId: e.id, workflowId: e.workflowId, actor, reason };
      const by = { by: actor, reason };
      let result: unknown;
      switch (name) {
        case 'pause':
          result = await steerExperiment(deps, { ...common, action: 'pause', update: pauseUpdate, arg: by });
          break;
        case 'resume':
          result = await steerExperiment(deps, { ...common, action: 'resume', update: resumeUpdate, arg: by });
          break;
        case 'cancel':
          result = await steerExperiment(deps, { ...common, action: 'cancel', update: cancelUpdate, arg: by });
          break;
        case 'extend-rounds':
          result = await steerExperiment(deps, { ...common, action: 'extend_rounds', update: extendRoundsUpdate, arg: { ...by, additionalRounds: (b as { additionalRounds: number }).additionalRounds } });
          break;
        case 'close-round':
          result = await steerExperiment(deps, { ...common, action: 'close_round', update: closeRoundUpdate, arg: { ...by, roundIndex: (b as { roundIndex?: number }).roundIndex } });
          break;
      }
      return jsonResponse(200, { experimentId: e.id, action: name, result });
    },
  }) as RouteSpec;
}

export const experimentRoutes: RouteSpec[] = [
  launch as RouteSpec,
  start as RouteSpec,
  list as RouteSpec,
  get as RouteSpec,
  steering('pause', 'Pause at the next step boundary (an open labeling round stops handing out tasks; its deadline stops running)'),
  steering('resume', 'Resume a paused experiment'),
  steering('cancel', 'Cancel the experiment (the running step is cancelled)'),
  steering('extend-rounds', 'Add rounds to a running experiment'),
  steering('close-round', 'Close the open labeling round now, with the rankings so far'),
];
