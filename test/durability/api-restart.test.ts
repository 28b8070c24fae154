/**
 * Durability (c): the API process restarts three times while simulated labelers submit rankings through it —
 * killed with SIGKILL in the middle of the round (requests in flight are cut off, queued signals are lost), stopped
 * gracefully with SIGTERM, and killed again right after the round's last ranking was stored.
 *
 * Real processes (`hone server` as its own process, `hone up --no-api` with the worker, Postgres, the dev server);
 * the scripted engine, because the test is about the API and the labeling records, not the ML. The labelers record
 * every 2xx answer they got. Afterwards: every accepted ranking is stored exactly once, none is stored that nobody
 * was told about, none was accepted twice as new, the counters in Round and RankingTask equal the rows, and the
 * workflow's count reaches quorum — from signals alone: the spec's resync interval is far longer than the test.
 */
import type { LabelerEvent } from '../../apps/cli/simulated-labelers';
import { DurableStack, FAST_TUNING } from './durable-stack';
import { checkExperimentIntegrity } from './experiment-integrity';

jest.setTimeout(300_000);

const SPEC = `
name: durable-api-restart
seed: 13
rounds:
  count: 1
  promptsPerRound: 60
  completionsPerPrompt: 3
labeling:
  quorum: 100%
  deadline: 10m
  overlap: 0.2
  assignmentExpiry: 1m
  resyncEvery: 30m
ppo:
  iterations: 4
  checkpointEvery: 2
  iterationsPerActivity: 4
evaluation: { heldoutPrompts: 8 }
`;
const LABELERS = 4;

let stack: DurableStack;

beforeAll(async () => {
  stack = await DurableStack.start({ label: 'api-restart', engine: 'scripted', api: 'separate', tuning: FAST_TUNING });
});

afterAll(async () => {
  await stack?.stop();
});

it('stores every accepted ranking exactly once across three API restarts, and the workflow reaches quorum', async () => {
  const experimentId = await stack.launch(SPEC);
  const round = await stack.waitFor('the round to open for labeling', () => stack.db.round.findFirst({ where: { experimentId, index: 1, status: 'open' } }).then((r) => r ?? undefined), 120_000);
  const needed = (await stack.db.rankingTask.aggregate({ where: { roundId: round.id }, _sum: { requiredLabels: true } }))._sum.requiredLabels!;
  const stored = () => stack.db.ranking.count({ where: { task: { roundId: round.id } } });

  const stop = new AbortController();
  const events: LabelerEvent[] = [];
  const labeling = stack.label(experimentId, { labelers: LABELERS, seed: 13, signal: stop.signal, onEvent: (e) => events.push(e) });
  const restarts: string[] = [];
  const restartApi = async (signal: NodeJS.Signals, when: string) => {
    const t = Date.now();
    await stack.stopApi(signal);
    await stack.startApi();
    restarts.push(`${signal} ${when}: down ${Date.now() - t} ms`);
  };
  try {
    await stack.waitFor(`a third of the ${needed} rankings`, async () => ((await stored()) >= needed / 3 ? true : undefined), 120_000);
    await restartApi('SIGKILL', `at ${await stored()}/${needed}`);
    await stack.waitFor(`two thirds of the ${needed} rankings`, async () => ((await stored()) >= (2 * needed) / 3 ? true : undefined), 120_000);
    await restartApi('SIGTERM', `at ${await stored()}/${needed}`);
    await stack.waitFor('the last ranking of the round', async () => ((await stored()) === needed ? true : undefined), 120_000);
    await restartApi('SIGKILL', `at ${await stored()}/${needed}`);

    const status = await stack.waitForEnd(experimentId, 120_000);
    expect({ status, error: (await stack.db.experiment.findUniqueOrThrow({ where: { id: experimentId } })).error }).toEqual({ status: 'completed', error: null });
    await labeling;

    // What the labelers were told, against what the database holds.
    const labelerIds = new Map((await stack.db.labeler.findMany({ select: { id: true, name: true } })).map((l) => [l.name, l.id]));
    const submitted = events.flatMap((e) => (e.type === 'submitted' ? [{ key: `${e.taskId}/${labelerIds.get(e.labeler)}`, replayed: e.replayed }] : []));
    const accepted = new Set(submitted.map((s) => s.key));
    const acceptedAsNew = submitted.filter((s) => !s.replayed).map((s) => s.key);
    const rows = await stack.db.ranking.findMany({ where: { task: { roundId: round.id } }, select: { taskId: true, labelerId: true } });
    const storedKeys = rows.map((r) => `${r.taskId}/${r.labelerId}`);
    expect(rows).toHaveLength(needed);
    expect(new Set(storedKeys).size).toBe(rows.length); // none stored twice
    expect([...accepted].filter((k) => !storedKeys.includes(k))).toEqual([]); // none accepted and lost
    expect(storedKeys.filter((k) => !accepted.has(k))).toEqual([]); // none stored without its labeler being told
    expect(acceptedAsNew.length).toBe(new Set(acceptedAsNew).size); // none accepted twice as new (a retry is a replay)

    // Counters equal the rows (Round, RankingTask), the round closed by quorum, every record once.
    const report = await checkExperimentIntegrity(stack.db, experimentId, { completionsPerPrompt: 3, ppoIterations: 4, artifactsRoot: stack.artifactsRoot });
    expect(report.problems).toEqual([]);
    // The workflow's own count reached the quorum: its round summary says so.
    const summary = await stack.db.metric.findMany({ where: { experimentId, round: 1, name: { in: ['labeling/completed_tasks', 'labeling/quorum', 'labeling/rankings'] } } });
    const value = (name: string) => summary.find((m) => m.name === name)?.value;
    expect({ completed: value('labeling/completed_tasks'), quorum: value('labeling/quorum'), rankings: value('labeling/rankings') }).toEqual({ completed: round.tasksTotal, quorum: round.quorum, rankings: needed });
    const retries = events.filter((e) => e.type === 'api-unreachable').length;
    process.stderr.write(`[durable api-restart] ${needed} rankings by ${LABELERS} labelers; restarts: ${restarts.join('; ')}; ${submitted.length - acceptedAsNew.length} replays answered, ${retries} labeler outages seen\n`);
  } catch (e) {
    (e as Error).message += stack.logs();
    throw e;
  } finally {
    stop.abort();
    await labeling.catch(() => undefined);
  }
});
