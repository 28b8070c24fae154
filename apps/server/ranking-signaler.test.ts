/**
 * The signal sender against the real workflow on a real dev server: a count for a workflow with no signal in flight
 * goes out at once, whatever the follow-up interval; counts that arrive while one is in flight merge into one
 * follow-up, started no sooner than the interval after it; the last count always arrives, and the workflow's history
 * holds exactly the signals that were sent.
 */
import { ExperimentTestKit } from '../../test/experiment-test-kit';
import { rankingSubmittedSignal } from '../../workflows/experiment-contract';
import { silentLogger } from './logger';
import { RankingSignaler } from './ranking-signaler';

let kit: ExperimentTestKit;
beforeAll(async () => {
  kit = await ExperimentTestKit.start();
});
afterAll(async () => {
  await kit?.stop();
});

async function signalsInHistory(workflowId: string): Promise<number> {
  const history = await kit.client.workflow.getHandle(workflowId).fetchHistory();
  return (history.events ?? []).filter((e) => e.workflowExecutionSignaledEventAttributes?.signalName === rankingSubmittedSignal.name).length;
}

it('sends at once when idle, merges what arrives while a signal is in flight into one follow-up, and delivers the last count', async () => {
  const { handle, experimentId } = await kit.startExperiment('signaller', { spec: 'rounds: { count: 1 }', scenario: { taskCount: 60, quorum: 60 } });
  await kit.waitForLabeling(handle, 0);
  // A follow-up interval far longer than a signal's round trip: an idle notify must not wait for it.
  const INTERVAL_MS = 3_000;
  const signaler = new RankingSignaler(kit.client, silentLogger, 5_000, INTERVAL_MS);

  // Idle: the signal starts inside notify() itself, not after any interval.
  kit.backend.completeTasks(experimentId, 0, 1);
  signaler.notify(handle.workflowId, 0, 1);
  expect(signaler.stats).toMatchObject({ requested: 1, sentAtOnce: 1, followUps: 0, coalesced: 0 });
  await signaler.drain();
  // Idle again right after it returned: again at once (no spacing when nothing is in flight).
  kit.backend.completeTasks(experimentId, 0, 1);
  signaler.notify(handle.workflowId, 0, 2);
  expect(signaler.stats).toMatchObject({ requested: 2, sentAtOnce: 2 });
  // In flight: ten more counts in the same tick wait as ONE follow-up holding the highest count.
  for (const n of [3, 5, 4, 7, 6, 12, 8, 9, 10, 11]) signaler.notify(handle.workflowId, 0, n);
  expect(signaler.stats).toMatchObject({ requested: 12, sentAtOnce: 2, coalesced: 9 });
  kit.backend.completeTasks(experimentId, 0, 10);
  await signaler.drain();
  expect(signaler.stats).toMatchObject({ sent: 3, failed: 0, followUps: 1 });
  await kit.waitForStatus(handle, (st) => st.progress.labels?.completedTasks === 12, 'count 12');

  // Under load: what arrives while the follow-up waits out its interval merges into it too. One at once, one follow-up
  // holding the last count, started no sooner than the interval after the first (20 counts over ~0.4 s).
  const before = { ...signaler.stats };
  const t0 = performance.now();
  signaler.notify(handle.workflowId, 0, 13);
  for (let n = 14; n <= 33; n++) {
    kit.backend.completeTasks(experimentId, 0, 1);
    signaler.notify(handle.workflowId, 0, n);
    await new Promise((r) => setTimeout(r, 20));
  }
  kit.backend.completeTasks(experimentId, 0, 1);
  await signaler.drain();
  expect(performance.now() - t0).toBeGreaterThanOrEqual(INTERVAL_MS); // the follow-up waited its interval
  expect({ sent: signaler.stats.sent - before.sent, followUps: signaler.stats.followUps - before.followUps, coalesced: signaler.stats.coalesced - before.coalesced }).toEqual({ sent: 2, followUps: 1, coalesced: 19 });
  await kit.waitForStatus(handle, (st) => st.progress.labels?.completedTasks === 33, 'count 33');

  // A stream with gaps: whether each count goes at once or merges depends on the round trip; either way every count
  // is sent or merged, and the last one arrives.
  for (let n = 34; n <= 52; n++) {
    kit.backend.completeTasks(experimentId, 0, 1);
    signaler.notify(handle.workflowId, 0, n);
    await new Promise((r) => setTimeout(r, 5));
  }
  await signaler.drain();
  const s = signaler.stats;
  expect(s.requested).toBe(52);
  expect(s.sentAtOnce + s.followUps + s.coalesced).toBe(s.requested);
  expect(s.sent).toBe(s.sentAtOnce + s.followUps);
  expect(s.failed).toBe(0);
  const status = await kit.waitForStatus(handle, (st) => st.progress.labels?.completedTasks === 52, 'the last count, 52');
  expect(status.phase).toBe('labeling');
  expect(await signalsInHistory(handle.workflowId)).toBe(s.sent);
  await handle.terminate('test cleanup');
});
