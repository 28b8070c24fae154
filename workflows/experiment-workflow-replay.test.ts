/**
 * Replays recorded histories (workflows/__fixtures__, made by scripts/record-workflow-histories.ts) against today's
 * workflow code. A change that would make experiments already in flight non-deterministic fails here, before it
 * reaches a worker. No server is needed: replay runs in the worker alone.
 */
import { readFile, readdir } from 'node:fs/promises';
import * as path from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { DefaultLogger, Worker, bundleWorkflowCode, type ReplayResult } from '@temporalio/worker';
import { bundleOnce } from '../test/experiment-test-kit';
import { installQuietRuntime } from '../test/temporal-test-env';

const FIXTURES = path.join(__dirname, '__fixtures__');

interface Fixture {
  file: string;
  workflowId: string;
  history: ReturnType<typeof historyFromJSON>;
}

async function loadFixtures(): Promise<Fixture[]> {
  const files = (await readdir(FIXTURES)).filter((f) => f.endsWith('.json')).sort();
  return Promise.all(
    files.map(async (file) => {
      const history = historyFromJSON(JSON.parse(await readFile(path.join(FIXTURES, file), 'utf8')));
      const started = history.events?.[0]?.workflowExecutionStartedEventAttributes;
      // The started event does not name the workflow id; the input's experiment id gives it back.
      const input = JSON.parse(Buffer.from(started?.input?.payloads?.[0]?.data ?? []).toString('utf8')) as { experimentId: string };
      return { file, workflowId: `experiment-${input.experimentId}`, history };
    }),
  );
}

async function replay(fixtures: Fixture[], workflowBundle: Awaited<ReturnType<typeof bundleOnce>>): Promise<Map<string, ReplayResult>> {
  const results = new Map<string, ReplayResult>();
  const byRun = new Map(fixtures.map((f) => [f.history.events?.[0]?.workflowExecutionStartedEventAttributes?.originalExecutionRunId ?? '', f.file]));
  for await (const result of Worker.runReplayHistories({ workflowBundle }, fixtures.map((f) => ({ workflowId: f.workflowId, history: f.history })))) {
    results.set(byRun.get(result.runId) ?? result.runId, result);
  }
  return results;
}

let fixtures: Fixture[];
beforeAll(async () => {
  installQuietRuntime(); // the altered bundle fails on purpose; keep its warnings out of the output
  fixtures = await loadFixtures();
});

describe('experimentWorkflow replays its recorded histories', () => {
  it('has fixtures for every representative scenario', () => {
    const scenarios = new Set(fixtures.map((f) => f.file.replace(/\.run\d+\.json$/, '')));
    expect([...scenarios].sort()).toEqual(['cancelled', 'deadline', 'dpo', 'failed', 'later-rounds', 'long-wait', 'steered', 'two-rounds']);
    // continue-as-new chains (between rounds and mid-labeling) are covered by their second runs
    expect(fixtures.map((f) => f.file)).toEqual(expect.arrayContaining(['two-rounds.run2.json', 'long-wait.run2.json', 'later-rounds.run2.json']));
  });

  it('replays every history without a determinism error', async () => {
    const results = await replay(fixtures, await bundleOnce());
    expect(results.size).toBe(fixtures.length);
    const errors = [...results].filter(([, r]) => r.error).map(([file, r]) => `${file}: ${r.error?.message}`);
    expect(errors).toEqual([]);
  });

  it('would catch a non-deterministic change (a workflow that starts with a timer)', async () => {
    const altered = await bundleWorkflowCode({ workflowsPath: require.resolve('../test/nondeterministic-experiment-workflow'), logger: new DefaultLogger('WARN') });
    const results = await replay(fixtures, altered);
    expect(results.size).toBe(fixtures.length);
    for (const [file, r] of results) expect({ file, failed: r.error !== undefined }).toEqual({ file, failed: true });
  });
});
