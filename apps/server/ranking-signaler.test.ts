/**
 * The signal coalescer against the real workflow on a real dev server: with a minimum interval, a stream of
 * submissions costs the workflow one signal per interval, and the last count always arrives.
 */
import { ExperimentTestKit } from '../../test/experiment-test-kit';
import { silentLogger } from './logger';
import { RankingSignaler } from './ranking-signaler';

let kit: ExperimentTestKit;
beforeAll(async () => {
  kit = await ExperimentTestKit.start();
});
afterAll(async () => {
  await kit?.stop();
});

it('spaces signals to one workflow by the minimum interval, merging what arrives meanwhile, and delivers the last count', async () => {
  const { handle, experimentId } = await kit.startExperiment('spaced', { spec: 'rounds: { count: 1 }', scenario: { taskCount: 40, quorum: 40 } });
  await kit.waitForLabeling(handle, 0);
  const signaler = new RankingSignaler(kit.client, silentLogger, 5_000, 300);
  const t0 = performance.now();
  // 30 submissions over ~0.6 s, one every 20 ms.
  for (let n = 1; n <= 30; n++) {
    kit.backend.completeTasks(experimentId, 0, 1);
    signaler.notify(handle.workflowId, 0, n);
    await new Promise((r) => setTimeout(r, 20));
  }
  await signaler.drain();
  const took = performance.now() - t0;
  // The first goes at once; then at most one per 300 ms: ~0.6 s of traffic needs 3–4 signals, not 30.
  expect(signaler.stats.requested).toBe(30);
  expect(signaler.stats.sent).toBeGreaterThanOrEqual(2);
  expect(signaler.stats.sent).toBeLessThanOrEqual(Math.ceil(took / 300) + 1);
  expect(signaler.stats.failed).toBe(0);
  const s = await kit.waitForStatus(handle, (st) => st.progress.labels?.completedTasks === 30, 'the last count');
  expect(s.phase).toBe('labeling');
  await handle.terminate('test cleanup');
});
