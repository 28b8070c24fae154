/**
 * Records the histories that the replay test (workflows/experiment-workflow-replay.test.ts) replays.
 *
 *   TEMPORAL_CLI=/path/to/temporal npx tsx scripts/record-workflow-histories.ts [--only name,name]
 *
 * Run it deliberately, when a change to experimentWorkflow is *meant* to alter its commands, and commit the new
 * fixtures together with a note on why old histories no longer replay (in-flight experiments on the old code
 * must then be drained or patched with `patched()`). Regenerating them to silence a failing replay test defeats it.
 * `--only` records just the named scenarios and keeps every other fixture: how a compatible change adds the history
 * of a new path while the old fixtures go on proving that runs recorded on older code still replay.
 */
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { ExperimentTestKit, type ExperimentHandle } from '../test/experiment-test-kit';
import { cancelUpdate, closeRoundUpdate, extendRoundsUpdate, pauseUpdate, resumeUpdate } from '../workflows/experiment-contract';

const FIXTURES = path.join(__dirname, '..', 'workflows', '__fixtures__');

type Scenario = (kit: ExperimentTestKit) => Promise<ExperimentHandle>;

/** Representative runs: every command the workflow can issue appears in at least one. */
const scenarios: Record<string, Scenario> = {
  /** Prepare, 2 rounds with PPO in 2 chunks, continue-as-new between rounds, finalize. */
  'two-rounds': async (kit) => {
    const { experimentId, handle } = await kit.startExperiment('two-rounds', { spec: 'rounds: { count: 2 }\nppo: { iterations: 4, iterationsPerActivity: 2 }' });
    await kit.labelRound(handle, experimentId, 0);
    await kit.labelRound(handle, experimentId, 1);
    return handle;
  },
  /** Signals, a pause and resume inside the labeling wait, extend rounds, close round early, a pause at a boundary. */
  steered: async (kit) => {
    const { experimentId, handle } = await kit.startExperiment('steered', { spec: 'rounds: { count: 1 }\nlabeling: { deadline: 1h }\nppo: { iterations: 2, iterationsPerActivity: 1 }', scenario: { taskCount: 4, trainDelayMs: 500 } });
    await kit.waitForLabeling(handle, 0);
    await kit.submit(handle, experimentId, 0, 1);
    await handle.executeUpdate(pauseUpdate, { args: [{ by: 'recorder' }] });
    await kit.submit(handle, experimentId, 0, 1);
    await handle.executeUpdate(resumeUpdate, { args: [{}] });
    await handle.executeUpdate(extendRoundsUpdate, { args: [{ additionalRounds: 1 }] });
    await handle.executeUpdate(closeRoundUpdate, { args: [{ roundIndex: 0 }] });
    await kit.waitForStatus(handle, (s) => s.phase === 'training', 'training');
    await handle.executeUpdate(pauseUpdate, { args: [{}] });
    await kit.waitForStatus(handle, (s) => s.phase === 'training' && (s.progress.training?.done ?? 0) >= 1, 'first chunk done');
    await handle.executeUpdate(resumeUpdate, { args: [{}] });
    await kit.waitForLabeling(handle, 1);
    await kit.submit(handle, experimentId, 1, 4);
    return handle;
  },
  /** The labeling deadline passes without quorum (with the final resync). */
  deadline: async (kit) => {
    const { handle } = await kit.startExperiment('deadline', { spec: 'rounds: { count: 1 }\nlabeling: { deadline: 2s, resyncEvery: 1s }' });
    return handle;
  },
  /** A long wait that continues-as-new mid-labeling and resumes from the database. */
  'long-wait': async (kit) => {
    const { experimentId, handle } = await kit.startExperiment('long-wait', { spec: 'rounds: { count: 1 }\nlabeling: { deadline: 1h }', scenario: { taskCount: 30 }, tuning: { maxHistoryEvents: 60 } });
    await kit.waitForLabeling(handle, 0);
    for (let i = 0; i < 25; i++) await kit.submit(handle, experimentId, 0, 1);
    await kit.waitForRuns(handle, 2);
    await kit.submit(handle, experimentId, 0, 5);
    return handle;
  },
  /** Cancel while PPO runs. */
  cancelled: async (kit) => {
    const { experimentId, handle } = await kit.startExperiment('cancelled', { spec: 'rounds: { count: 2 }\nppo: { iterations: 1 }', scenario: { trainDelayMs: 60_000 } });
    await kit.labelRound(handle, experimentId, 0);
    await kit.waitForStatus(handle, (s) => s.phase === 'training', 'training');
    await kit.waitForStatus(handle, () => kit.backend.callsOf(experimentId, 'runPpoEpochs').length > 0, 'PPO started');
    await handle.executeUpdate(cancelUpdate, { args: [{ by: 'recorder' }] });
    return handle;
  },
  /** A permanent error fails the step and the workflow. */
  failed: async (kit) => {
    const { experimentId, handle } = await kit.startExperiment('failed', { spec: 'rounds: { count: 1 }', scenario: { failures: { fitRewardModel: { type: 'INSUFFICIENT_RANKINGS' } } } });
    await kit.labelRound(handle, experimentId, 0);
    return handle;
  },
  /** Later rounds with their own PPO length (`ppo.laterRounds`): round 2 runs 2 chunks where round 1 ran 1. */
  'later-rounds': async (kit) => {
    const { experimentId, handle } = await kit.startExperiment('later-rounds', { spec: 'rounds: { count: 2 }\nppo: { iterations: 2, iterationsPerActivity: 2, laterRounds: { iterations: 4, epochs: 1 } }' });
    await kit.labelRound(handle, experimentId, 0);
    await kit.labelRound(handle, experimentId, 1);
    return handle;
  },
  /** The DPO trainer. */
  dpo: async (kit) => {
    const { experimentId, handle } = await kit.startExperiment('dpo', { spec: 'rounds: { count: 1 }\ntrainer: dpo\ndpo: { steps: 20 }' });
    await kit.labelRound(handle, experimentId, 0);
    return handle;
  },
};

async function main(): Promise<void> {
  const at = process.argv.indexOf('--only');
  const only = at >= 0 ? (process.argv[at + 1] ?? '').split(',').filter((n) => n !== '') : Object.keys(scenarios);
  const unknown = only.filter((n) => !(n in scenarios));
  if (unknown.length > 0 || only.length === 0) throw new Error(`--only: unknown scenario(s) ${JSON.stringify(unknown)}; known: ${Object.keys(scenarios).join(', ')}`);
  await mkdir(FIXTURES, { recursive: true });
  const recorded = (f: string) => f.endsWith('.json') && only.includes(f.slice(0, f.indexOf('.run')));
  for (const f of await readdir(FIXTURES)) if (recorded(f)) await rm(path.join(FIXTURES, f));
  const kit = await ExperimentTestKit.start();
  try {
    for (const [name, run] of Object.entries(scenarios).filter(([n]) => only.includes(n))) {
      const handle = await run(kit);
      const outcome = await handle.result().then(
        (r) => r.status,
        (e: unknown) => `failed (${(e as Error).message})`,
      );
      const runs = await kit.runHistories(handle);
      for (const [i, { history }] of runs.entries()) {
        const file = path.join(FIXTURES, `${name}.run${i + 1}.json`);
        await writeFile(file, `${historyToJSON(history)}\n`);
      }
      console.log(`${name}: ${outcome}, ${runs.length} run(s), events ${runs.map((r) => r.history.events?.length).join('+')}`);
    }
  } finally {
    await kit.stop();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
