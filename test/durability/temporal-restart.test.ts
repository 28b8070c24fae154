/**
 * Durability (b): the Temporal dev server stops and starts again on the same SQLite file, twice in one experiment —
 * once while a labeling round is open, for longer than the API waits for a signal (the labelers submit the whole
 * round while it is down, so the API gives up its ranking signals and the workflow must learn the count from the
 * database), and once while `runPpoEpochs` runs (its heartbeats fail meanwhile).
 *
 * Real processes (`hone up` with the API and its worker, Postgres, the dev server); the scripted engine, because
 * the test is about the platform's connections, not the ML: its steps take a fixed time, so the outage can be
 * placed inside a training step. The experiment must complete; the worker must carry on without being restarted
 * (the SDK's native connection rides out the outage); the API's client must reconnect: its status queries answer
 * again and its ranking signals reach the workflow after the restarts.
 */
import { Client, Connection } from '@temporalio/client';
import { experimentWorkflowId } from '../../workflows/experiment-contract';
import type { ExperimentDetail } from '../../apps/cli/api-types';
import { DurableStack, FAST_TUNING } from './durable-stack';
import { checkExperimentIntegrity } from './experiment-integrity';

jest.setTimeout(300_000);

const PPO_ITERATIONS = 40;
const SPEC = `
name: durable-temporal-restart
seed: 12
rounds:
  count: 2
  promptsPerRound: 8
  completionsPerPrompt: 3
labeling:
  quorum: 100%
  deadline: 10m
  overlap: 0.25
  assignmentExpiry: 1m
  resyncEvery: 2s
ppo:
  iterations: ${PPO_ITERATIONS}
  checkpointEvery: 4
  iterationsPerActivity: ${PPO_ITERATIONS}
evaluation: { heldoutPrompts: 8 }
`;
/** Scripted trainer step: 40 iterations ≈ 6 s, long enough to hold a whole outage inside one PPO step. */
const STEP_MS = 150;
/** How long Temporal stays down: past the API's 5 s signal timeout during labeling; briefly during training. */
const DOWN_MS = { labeling: 7_000, training: 2_500 };

let stack: DurableStack;

beforeAll(async () => {
  stack = await DurableStack.start({ label: 'temporal-restart', engine: 'scripted', scriptedStepMs: STEP_MS, tuning: FAST_TUNING });
});

afterAll(async () => {
  await stack?.stop();
});

it('completes an experiment across two Temporal restarts; the worker and the API reconnect on their own', async () => {
  const experimentId = await stack.launch(SPEC);
  const workflowId = experimentWorkflowId(experimentId);
  const stop = new AbortController();
  let labeling: Promise<unknown> = Promise.resolve();
  const restarts: { stoppingAt: number; stoppedAt: number; startedAt: number }[] = [];
  /** Stops the dev server, runs `whileDown`, keeps it down for at least DOWN_MS, starts it on the same file. */
  const restartTemporal = async (downMs: number, whileDown: () => Promise<void> = async () => undefined) => {
    const stoppingAt = Date.now();
    await stack.stopTemporal();
    const stoppedAt = Date.now();
    await whileDown();
    await new Promise((r) => setTimeout(r, Math.max(0, downMs - (Date.now() - stoppedAt))));
    await stack.startTemporal();
    restarts.push({ stoppingAt, stoppedAt, startedAt: Date.now() });
  };
  try {
    // ---------------------------------------------------------------- outage 1: during labeling
    const round1 = await stack.waitFor('round 1 to open for labeling', () => stack.db.round.findFirst({ where: { experimentId, index: 1, status: 'open' } }).then((r) => r ?? undefined), 120_000);
    await restartTemporal(DOWN_MS.labeling, async () => {
      labeling = stack.label(experimentId, { labelers: 3, seed: 12, signal: stop.signal });
      // The API stores every ranking while Temporal is down; its signals are lost.
      await stack.waitFor('every task of round 1 to be ranked while Temporal is down', () => stack.db.round.findUniqueOrThrow({ where: { id: round1.id } }).then((r) => (r.tasksCompleted === r.tasksTotal ? true : undefined)), 60_000);
    });

    // The API gave its signals up; the workflow learns the count from the database (its resync) and moves on.
    await stack.waitFor('round 1 to close after the restart', () => stack.db.round.findUniqueOrThrow({ where: { id: round1.id } }).then((r) => (r.status === 'closed' ? true : undefined)), 120_000);
    expect(stack.apiLog()).toContain('ranking signal not delivered; the workflow will resync from the database');
    // The API's Temporal client reconnected: its status query answers again.
    await stack.waitFor('the API to answer a live status query again', () => stack.api().get<ExperimentDetail>(`/api/v1/experiments/${experimentId}`).then((d) => d.live ?? undefined), 60_000);

    // ---------------------------------------------------------------- outage 2: during runPpoEpochs
    const ckpt = await stack.waitFor('the first PPO checkpoint of round 1', () => stack.db.artifact.findFirst({ where: { experimentId, kind: 'ppo_checkpoint' } }).then((a) => a ?? undefined), 120_000);
    const ppoKey = ckpt.createdByActivity!;
    expect(await stack.db.artifact.count({ where: { key: `${ppoKey}/policy` } })).toBe(0); // still running
    await restartTemporal(DOWN_MS.training);
    const ppoDoneAt = await stack.waitFor('round 1 PPO to finish', () => stack.db.artifact.findUnique({ where: { key: `${ppoKey}/policy` } }).then((a) => a?.createdAt), 120_000);
    // The outage fell inside the PPO step: it ended after the server was told to stop (however long stopping took).
    expect(ppoDoneAt.getTime()).toBeGreaterThan(restarts[1].stoppingAt);

    const status = await stack.waitForEnd(experimentId, 180_000);
    expect({ status, error: (await stack.db.experiment.findUniqueOrThrow({ where: { id: experimentId } })).error }).toEqual({ status: 'completed', error: null });
    await labeling;

    // The worker rode out both outages: still the first worker process.
    expect(stack.workerStarts()).toBe(1);
    // The API's ranking signals reached the workflow after the restarts (round 2's run got them).
    const connection = await Connection.connect({ address: `127.0.0.1:${stack.temporalPort}` });
    try {
      const client = new Client({ connection });
      const history = await client.workflow.getHandle(workflowId).fetchHistory();
      const signals = (history.events ?? []).filter((e) => e.workflowExecutionSignaledEventAttributes?.signalName === 'rankingSubmitted');
      expect(signals.length).toBeGreaterThan(0);
      const firstSignalMs = Number(signals[0].eventTime!.seconds) * 1000 + Math.floor((signals[0].eventTime!.nanos ?? 0) / 1e6);
      expect(firstSignalMs).toBeGreaterThan(restarts[1].startedAt);
    } finally {
      await connection.close();
    }

    const report = await checkExperimentIntegrity(stack.db, experimentId, { completionsPerPrompt: 3, ppoIterations: PPO_ITERATIONS, artifactsRoot: stack.artifactsRoot });
    expect(report.problems).toEqual([]);
    process.stderr.write(`[durable temporal-restart] Temporal down ${restarts.map((r) => `${r.startedAt - r.stoppedAt} ms`).join(' and ')}; training events: ${JSON.stringify(await stack.db.auditEvent.findMany({ where: { experimentId, action: { in: ['training.resumed', 'training.restarted'] } }, select: { action: true, data: true } }))}\n`);
  } catch (e) {
    (e as Error).message += stack.logs();
    throw e;
  } finally {
    stop.abort();
    await labeling.catch(() => undefined);
  }
});
