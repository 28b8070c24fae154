/**
 * Durability (a): `kill -9` of the worker process in the middle of `runPpoEpochs`.
 *
 * Real processes throughout (`hone up` with its supervised worker, the API, a Temporal dev server, Postgres) and the
 * real engine on a tiny model: the point is that PPO continues from a checkpoint the real trainer wrote, so the
 * trainer state (weights, optimizer, RNG, KL controller) must survive the round trip through the artifact store.
 * The experiment must complete with PPO resumed from its last checkpoint — visible as a `training.resumed` audit
 * event and a `ppo/resumed_at_iteration` metric row at an iteration > 0 — and nothing recorded twice. A second run of
 * the same spec without a kill must then end with the same models (sha256) and the same metrics.
 */
import type { LabelerEvent } from '../../apps/cli/simulated-labelers';
import { experimentOutcome } from '../experiment-outcome';
import { DurableStack, FAST_TUNING } from './durable-stack';
import { checkExperimentIntegrity } from './experiment-integrity';

jest.setTimeout(300_000);

const PPO_ITERATIONS = 8;
const SPEC = `
name: durable-worker-kill
seed: 11
model:
  sft:
    steps: 30
    batch: 8
    architecture: { context: 48, width: 32, layers: 1, heads: 2 }
rounds:
  count: 1
  promptsPerRound: 6
  completionsPerPrompt: 3
  sampling: { maxNewTokens: 16 }
labeling:
  quorum: 100%
  deadline: 10m
  overlap: 0
  assignmentExpiry: 1m
  resyncEvery: 2s
  simulated: { labelers: 2, noise: 0.1 }
rewardModel: { steps: 20, batch: 4 }
ppo:
  iterations: ${PPO_ITERATIONS}
  epochs: 1
  promptsPerIteration: 4
  minibatch: 4
  checkpointEvery: 2
  iterationsPerActivity: ${PPO_ITERATIONS}
evaluation: { heldoutPrompts: 8 }
`;

let stack: DurableStack;

beforeAll(async () => {
  stack = await DurableStack.start({ label: 'worker-kill', engine: 'real', tuning: { ...FAST_TUNING, heartbeatTimeoutMs: 6_000 } });
});

afterAll(async () => {
  await stack?.stop();
});

it('completes an experiment whose worker is killed with SIGKILL during PPO, resuming PPO from its last checkpoint', async () => {
  const experimentId = await stack.launch(SPEC);
  const stop = new AbortController();
  const events: LabelerEvent[] = [];
  const labeling = stack.label(experimentId, { labelers: 2, seed: 11, signal: stop.signal, onEvent: (e) => events.push(e) });
  try {
    // The first checkpoint of the PPO step, while that step is still running (its policy not yet written).
    const checkpoint = await stack.waitFor('the first PPO checkpoint', () => stack.db.artifact.findFirst({ where: { experimentId, kind: 'ppo_checkpoint' } }).then((a) => a ?? undefined), 240_000);
    const ppoKey = checkpoint.createdByActivity!;
    const finishedEarly = await stack.db.artifact.count({ where: { key: `${ppoKey}/policy` } });
    if (finishedEarly > 0) throw new Error(`PPO step ${ppoKey} finished before the worker could be killed: give it more iterations`);
    const startsBefore = stack.workerStarts();
    const killed = stack.killWorker();
    const killedAt = Date.now();

    // `hone up` notices and starts a new worker; Temporal notices the missing heartbeats and retries the step there.
    await stack.waitForWorkerPolling(startsBefore);
    expect(stack.workerPid()).not.toBe(killed);
    const status = await stack.waitForEnd(experimentId, 240_000);
    expect({ status, error: (await stack.db.experiment.findUniqueOrThrow({ where: { id: experimentId } })).error }).toEqual({ status: 'completed', error: null });
    await labeling;

    // PPO resumed from a checkpoint of its own step at an iteration > 0, on a later attempt: audit + metric row.
    // On a loaded machine the new worker's first attempt may itself miss a heartbeat deadline and be retried: every
    // resume must then be of this step, from one of its checkpoints, on a later attempt than the one before.
    const resumed = await stack.db.auditEvent.findMany({ where: { experimentId, action: 'training.resumed' }, orderBy: { id: 'asc' } });
    expect(resumed.length).toBeGreaterThanOrEqual(1);
    type Resume = { trainer: string; idempotencyKey: string; attempt: number; fromIteration: number; source: string };
    const all = resumed.map((r) => r.data as Resume);
    for (const [i, r] of all.entries()) {
      expect(r).toMatchObject({ trainer: 'ppo', idempotencyKey: ppoKey });
      expect(r.fromIteration).toBeGreaterThan(0);
      if (i > 0) {
        expect(r.attempt).toBeGreaterThan(all[i - 1].attempt);
        expect(r.fromIteration).toBeGreaterThanOrEqual(all[i - 1].fromIteration);
      }
    }
    const data = all[0];
    expect(data).toMatchObject({ trainer: 'ppo', idempotencyKey: ppoKey });
    expect(data.attempt).toBeGreaterThanOrEqual(2);
    expect(data.fromIteration).toBeGreaterThan(0);
    expect(data.fromIteration).toBeLessThan(PPO_ITERATIONS);
    expect(['heartbeat', 'checkpoint']).toContain(data.source);
    const resumedFrom = await stack.db.artifact.findUniqueOrThrow({ where: { id: resumed[0].subjectId } });
    expect(resumedFrom).toMatchObject({ kind: 'ppo_checkpoint', createdByActivity: ppoKey, key: `${ppoKey}/checkpoint-${String(data.fromIteration).padStart(6, '0')}` });
    // "Last checkpoint": nothing newer of that step existed when the new attempt looked (newer ones are its own).
    const newer = await stack.db.artifact.findMany({ where: { createdByActivity: ppoKey, kind: 'ppo_checkpoint', createdAt: { lt: resumed[0].at } } });
    expect(newer.map((a) => a.key).sort().pop()).toBe(resumedFrom.key);
    const resumeMetric = await stack.db.metric.findMany({ where: { experimentId, name: 'ppo/resumed_at_iteration' } });
    // One row per iteration resumed at (the first resume at an iteration keeps its row).
    const firstAt = new Map<number, number>();
    for (const r of all) if (!firstAt.has(r.fromIteration)) firstAt.set(r.fromIteration, r.attempt);
    expect(resumeMetric.map((m) => ({ step: m.step, value: m.value })).sort((a, b) => a.step - b.step)).toEqual([...firstAt].map(([step, value]) => ({ step, value })));
    expect(await stack.db.auditEvent.count({ where: { experimentId, action: 'training.restarted' } })).toBe(0);
    process.stderr.write(`[durable worker-kill] killed at ${checkpoint.key.slice(-6)} ; resumed at iteration ${data.fromIteration} (attempt ${data.attempt}, from the ${data.source}) ${((resumed[0].at.getTime() - killedAt) / 1000).toFixed(1)} s after the kill; ${all.length} resume(s)\n`);

    // Nothing twice: checkpoints once per iteration, every iteration's metrics once, counters equal rows, lineage.
    const checkpoints = await stack.db.artifact.findMany({ where: { createdByActivity: ppoKey, kind: 'ppo_checkpoint' }, select: { key: true } });
    expect(checkpoints.map((c) => c.key.slice(-6)).sort()).toEqual(['000002', '000004', '000006', '000008']);
    const report = await checkExperimentIntegrity(stack.db, experimentId, { completionsPerPrompt: 3, ppoIterations: PPO_ITERATIONS, artifactsRoot: stack.artifactsRoot });
    expect(report.problems).toEqual([]);
    expect(report.facts.artifactsByKind).toMatchObject({ policy: 2, ppo_checkpoint: 4 });
    // Every ranking a labeler was told was accepted is stored.
    const accepted = new Set(events.flatMap((e) => (e.type === 'submitted' ? [`${e.taskId}/${e.labeler}`] : [])));
    expect(accepted.size).toBe(report.facts.rounds[0].rankings);

    // The kill changed nothing: the same spec run again without one trains the same models, byte for byte, and
    // records the same metrics (the iterations redone after the resume recompute what the lost ones had).
    const control = await stack.launch(SPEC);
    const controlStop = new AbortController();
    const controlLabeling = stack.label(control, { labelers: 2, seed: 11, signal: controlStop.signal });
    try {
      expect(await stack.waitForEnd(control, 240_000)).toBe('completed');
    } finally {
      controlStop.abort();
      await controlLabeling.catch(() => undefined);
    }
    const killedRun = await experimentOutcome(stack.db, experimentId);
    expect(killedRun.metrics.some((m) => m.name.startsWith('ppo/iter/'))).toBe(true);
    expect(await experimentOutcome(stack.db, control)).toEqual(killedRun);
  } catch (e) {
    (e as Error).message += stack.logs();
    throw e;
  } finally {
    stop.abort();
    await labeling.catch(() => undefined);
  }
});
