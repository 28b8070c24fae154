import { CancelledFailure } from '@temporalio/activity';
import { ScriptedEngine } from '../test/scripted-engine';
import { createActivityTestBed, type ActivityTestBed } from './activity-test-support';
import type { ExperimentActivities, PpoHeartbeat } from './experiment-activity-types';
import { trainingKeys } from './resumable-training';

let bed: ActivityTestBed;

const SPEC = 'rounds: { count: 1, promptsPerRound: 6, completionsPerPrompt: 3 }\nlabeling: { overlap: 0 }\nppo: { iterations: 6, iterationsPerActivity: 6, checkpointEvery: 2, promptsPerIteration: 4, minibatch: 2 }\nevaluation: { heldoutPrompts: 12 }';

/** An experiment through sampling, labeling and the reward model: what a PPO step starts from. */
async function throughRewardModel(acts: ExperimentActivities, spec = SPEC) {
  const { experimentId, key } = await bed.experiment(spec);
  const prep = await bed.run(acts.preparePolicy, { experimentId, idempotencyKey: key('prepare', 'prepare-policy'), seed: 1 });
  const gen = await bed.run(acts.generateSamples, { experimentId, idempotencyKey: key(0, 'generate-samples'), roundIndex: 0, policyArtifactId: prep.policyArtifactId, seed: 2 });
  await bed.run(acts.openLabelingRound, { experimentId, idempotencyKey: key(0, 'open-labeling'), roundIndex: 0, samplesArtifactId: gen.samplesArtifactId, deadlineAt: new Date(Date.now() + 3_600_000).toISOString() });
  await bed.labelEverything(experimentId);
  await bed.run(acts.closeLabelingRound, { experimentId, idempotencyKey: key(0, 'close-labeling'), roundIndex: 0, reason: 'quorum' });
  const rm = await bed.run(acts.fitRewardModel, { experimentId, idempotencyKey: key(0, 'fit-reward-model'), roundIndex: 0, initFromArtifactId: prep.referenceArtifactId, seed: 3 });
  return { experimentId, key, prep, gen, rm };
}

const parentsOf = async (id: string) => (await bed.db.artifactEdge.findMany({ where: { childId: id } })).map((e) => ({ role: e.role, kind: '', id: e.parentId }));
const kindsOf = async (ids: string[]) => new Map((await bed.db.artifact.findMany({ where: { id: { in: ids } } })).map((a) => [a.id, a.kind]));

describe.each([['file'], ['s3']] as const)('train activities (artifacts in a %s store)', (store) => {
  beforeAll(async () => {
    bed = await createActivityTestBed(`train-${store}`, { store });
  });
  afterAll(() => bed.close());

  it('prepare → samples → reward model: artifacts keyed by the step, with lineage, and tiny payloads', async () => {
    const engine = new ScriptedEngine();
    const acts = bed.activities(engine);
    const { experimentId, key, prep, gen, rm } = await throughRewardModel(acts);
    expect(prep.policyArtifactId).toBe(prep.referenceArtifactId); // the SFT policy is the frozen reference
    expect(prep.source).toBe('sft');

    const samples = await bed.db.artifact.findUniqueOrThrow({ where: { id: gen.samplesArtifactId } });
    expect(samples).toMatchObject({ kind: 'samples', key: `${key(0, 'generate-samples')}/samples.json`, createdByActivity: key(0, 'generate-samples') });
    expect(await parentsOf(samples.id)).toEqual([{ role: 'policy', kind: '', id: prep.policyArtifactId }]);
    expect(await bed.db.sample.count({ where: { round: { experimentId } } })).toBe(gen.completions);

    // RM ← rankings of rounds ≤ r (← the sample sets) and ← the SFT policy.
    const rmParents = await parentsOf(rm.rewardModelArtifactId);
    const kinds = await kindsOf(rmParents.map((p) => p.id));
    expect(rmParents.map((p) => `${p.role}:${kinds.get(p.id)}`).sort()).toEqual(['data:rankings', 'init:policy']);
    const rankingsArtifact = rmParents.find((p) => p.role === 'data')!.id;
    expect(await parentsOf(rankingsArtifact)).toEqual([{ role: 'data', kind: '', id: gen.samplesArtifactId }]);
    expect(rm).toMatchObject({ rankingsUsed: gen.prompts, pairsUsed: gen.prompts * 3 });

    // Payloads back to the workflow stay ids and numbers.
    for (const out of [prep, gen, rm]) expect(JSON.stringify(out).length).toBeLessThan(400);

    // SFT progress went to the metrics table (round 0 = before the first round).
    expect(await bed.db.metric.count({ where: { experimentId, round: 0, name: 'sft/loss' } })).toBeGreaterThan(0);
  });

  it('a retried step returns what the first attempt made and writes nothing new', async () => {
    const engine = new ScriptedEngine();
    const acts = bed.activities(engine);
    const { experimentId, key, prep, gen, rm } = await throughRewardModel(acts);
    const before = await bed.db.artifact.count({ where: { experimentId } });
    const events = await bed.db.auditEvent.count({ where: { experimentId } });
    expect(await bed.run(acts.preparePolicy, { experimentId, idempotencyKey: key('prepare', 'prepare-policy'), seed: 1 }, { attempt: 2 })).toEqual(prep);
    expect(await bed.run(acts.generateSamples, { experimentId, idempotencyKey: key(0, 'generate-samples'), roundIndex: 0, policyArtifactId: prep.policyArtifactId, seed: 2 }, { attempt: 2 })).toEqual(gen);
    expect(await bed.run(acts.fitRewardModel, { experimentId, idempotencyKey: key(0, 'fit-reward-model'), roundIndex: 0, initFromArtifactId: prep.referenceArtifactId, seed: 3 }, { attempt: 3 })).toEqual(rm);
    expect(await bed.db.artifact.count({ where: { experimentId } })).toBe(before);
    expect(await bed.db.auditEvent.count({ where: { experimentId } })).toBe(events);
  });

  it('stores a completion with a NUL byte (Postgres text cannot) as U+FFFD, in the rows and the artifact alike', async () => {
    const engine = new ScriptedEngine();
    const acts = bed.activities({
      ...engine,
      trainSft: engine.trainSft.bind(engine),
      generateSamples: async (...a: Parameters<ScriptedEngine['generateSamples']>) => (await engine.generateSamples(...a)).map((it) => ({ ...it, completions: it.completions.map((c, j) => (j === 0 ? { ...c, text: `${c.text}\u0000x` } : c)) })),
    } as unknown as ScriptedEngine);
    const { experimentId, key } = await bed.experiment(SPEC);
    const prep = await bed.run(acts.preparePolicy, { experimentId, idempotencyKey: key('prepare', 'prepare-policy'), seed: 1 });
    const gen = await bed.run(acts.generateSamples, { experimentId, idempotencyKey: key(0, 'generate-samples'), roundIndex: 0, policyArtifactId: prep.policyArtifactId, seed: 2 });
    const rows = await bed.db.sample.findMany({ where: { round: { experimentId }, index: 0 } });
    expect(rows.length).toBe(gen.prompts);
    expect(rows.every((r) => r.completion.endsWith('\uFFFDx'))).toBe(true);
    const artifact = await bed.db.artifact.findUniqueOrThrow({ where: { id: gen.samplesArtifactId } });
    expect((await bed.artifacts.get(artifact.uri)).toString('utf8')).not.toContain('\\u0000');
  });

  it('fitting a reward model with no rankings fails for good with INSUFFICIENT_RANKINGS', async () => {
    const acts = bed.activities(new ScriptedEngine());
    const { experimentId, key } = await bed.experiment(SPEC);
    const prep = await bed.run(acts.preparePolicy, { experimentId, idempotencyKey: key('prepare', 'prepare-policy'), seed: 1 });
    const gen = await bed.run(acts.generateSamples, { experimentId, idempotencyKey: key(0, 'generate-samples'), roundIndex: 0, policyArtifactId: prep.policyArtifactId, seed: 2 });
    await bed.run(acts.openLabelingRound, { experimentId, idempotencyKey: key(0, 'open-labeling'), roundIndex: 0, samplesArtifactId: gen.samplesArtifactId, deadlineAt: new Date().toISOString() });
    await bed.run(acts.closeLabelingRound, { experimentId, idempotencyKey: key(0, 'close-labeling'), roundIndex: 0, reason: 'deadline' });
    await expect(bed.run(acts.fitRewardModel, { experimentId, idempotencyKey: key(0, 'fit-reward-model'), roundIndex: 0, initFromArtifactId: prep.policyArtifactId, seed: 3 })).rejects.toMatchObject({
      type: 'INSUFFICIENT_RANKINGS',
      nonRetryable: true,
    });
  });

  it('an unknown or wrong-kind input artifact is a permanent error naming it', async () => {
    const acts = bed.activities(new ScriptedEngine());
    const { experimentId, key, prep } = await throughRewardModel(acts);
    await expect(bed.run(acts.generateSamples, { experimentId, idempotencyKey: key(1, 'generate-samples'), roundIndex: 1, policyArtifactId: 'no-such-artifact', seed: 2 })).rejects.toMatchObject({ type: 'ARTIFACT_NOT_FOUND', nonRetryable: true });
    const samples = await bed.db.artifact.findFirstOrThrow({ where: { experimentId, kind: 'samples' } });
    await expect(
      bed.run(acts.evaluate, { experimentId, idempotencyKey: key(0, 'evaluate'), roundIndex: 0, policyArtifactId: samples.id, referenceArtifactId: prep.policyArtifactId, rewardModelArtifactId: prep.policyArtifactId, seed: 4 }),
    ).rejects.toMatchObject({ type: 'INVALID_ARGUMENT', nonRetryable: true, message: expect.stringContaining(samples.id) });
  });

  it('PPO heartbeats its progress, checkpoints every N iterations and writes policy_{r+1} with its lineage', async () => {
    const engine = new ScriptedEngine();
    const acts = bed.activities(engine);
    const { experimentId, key, prep, rm } = await throughRewardModel(acts);
    bed.heartbeats.length = 0;
    const k = key(0, 'ppo-0-6');
    const out = await bed.run(acts.runPpoEpochs, { experimentId, idempotencyKey: k, roundIndex: 0, policyArtifactId: prep.policyArtifactId, referenceArtifactId: prep.referenceArtifactId, rewardModelArtifactId: rm.rewardModelArtifactId, fromIteration: 0, toIteration: 6, iterationsTotal: 6, seed: 5 });
    expect(out.iterationsDone).toBe(6);
    expect(out.resumedFromIteration).toBeUndefined();
    const iterations = (bed.heartbeats as PpoHeartbeat[]).map((h) => h.iteration);
    expect(iterations[iterations.length - 1]).toBe(6);
    expect(new Set(iterations)).toEqual(new Set([0, 1, 2, 3, 4, 5, 6]));
    const ckpts = await bed.db.artifact.findMany({ where: { createdByActivity: k, kind: 'ppo_checkpoint' }, orderBy: { key: 'asc' } });
    expect(ckpts.map((c) => c.key)).toEqual([2, 4, 6].map((i) => trainingKeys.checkpoint(k, i)));
    expect(out.checkpointArtifactId).toBe(ckpts[2].id);

    const policyParents = await parentsOf(out.policyArtifactId);
    const kinds = await kindsOf(policyParents.map((p) => p.id));
    expect(policyParents.map((p) => `${p.role}:${kinds.get(p.id)}`).sort()).toEqual(['init:policy', 'reference:policy', 'reward_model:reward_model', 'state:ppo_checkpoint']);
    expect(await bed.db.metric.count({ where: { experimentId, round: 1, name: 'ppo/iter/honour' } })).toBe(6);
  });

  it('PPO killed mid-run resumes from its newest checkpoint on the next attempt, and says so in metrics and audit', async () => {
    // Reference: the same step uninterrupted, in another experiment.
    const ref = await (async () => {
      const acts = bed.activities(new ScriptedEngine());
      const x = await throughRewardModel(acts);
      return bed.run(acts.runPpoEpochs, { experimentId: x.experimentId, idempotencyKey: x.key(0, 'ppo-0-6'), roundIndex: 0, policyArtifactId: x.prep.policyArtifactId, referenceArtifactId: x.prep.referenceArtifactId, rewardModelArtifactId: x.rm.rewardModelArtifactId, fromIteration: 0, toIteration: 6, iterationsTotal: 6, seed: 5 });
    })();

    const engine = new ScriptedEngine({ failBeforeUnit: { unit: 6, times: 1 } });
    const acts = bed.activities(engine);
    const { experimentId, key, prep, rm } = await throughRewardModel(acts);
    const k = key(0, 'ppo-0-6');
    const input = { experimentId, idempotencyKey: k, roundIndex: 0, policyArtifactId: prep.policyArtifactId, referenceArtifactId: prep.referenceArtifactId, rewardModelArtifactId: rm.rewardModelArtifactId, fromIteration: 0, toIteration: 6, iterationsTotal: 6, seed: 5 };
    bed.heartbeats.length = 0;
    await expect(bed.run(acts.runPpoEpochs, input)).rejects.toThrow(/failing before ppo-state unit 6/);
    const last = bed.heartbeats[bed.heartbeats.length - 1] as PpoHeartbeat;
    expect(last.iteration).toBe(5);
    expect(last.checkpointArtifactId).toBeDefined();

    const out = await bed.run(acts.runPpoEpochs, input, { attempt: 2, heartbeatDetails: last });
    expect(out.resumedFromIteration).toBe(4);
    expect(engine.openedStates).toEqual([undefined, 4]); // attempt 2 opened the iteration-4 checkpoint
    expect(engine.unitsStepped).toBe(5 + 2); // iterations 1–5, then 5–6 again: not from scratch

    // Same result as the uninterrupted run (the engine resumes exactly), and one artifact per key.
    const [a, b] = await Promise.all([bed.db.artifact.findUniqueOrThrow({ where: { id: out.policyArtifactId } }), bed.db.artifact.findUniqueOrThrow({ where: { id: ref.policyArtifactId } })]);
    expect(a.sha256).toBe(b.sha256);
    expect(out.metrics).toEqual(ref.metrics);
    const keys = (await bed.db.artifact.findMany({ where: { createdByActivity: k } })).map((x) => x.key);
    expect(new Set(keys).size).toBe(keys.length);
    expect(keys.sort()).toEqual([...[2, 4, 6].map((i) => trainingKeys.checkpoint(k, i)), trainingKeys.policy(k)].sort());

    const resumed = await bed.db.auditEvent.findFirstOrThrow({ where: { experimentId, action: 'training.resumed' } });
    expect(resumed.data).toMatchObject({ trainer: 'ppo', attempt: 2, fromIteration: 4, source: 'heartbeat', idempotencyKey: k });
    expect(await bed.db.metric.findFirstOrThrow({ where: { experimentId, name: 'ppo/resumed_at_iteration' } })).toMatchObject({ step: 4, value: 2, round: 1 });
  });

  it('without heartbeat details (the heartbeat never reached the server) it resumes from the newest checkpoint registered for the step', async () => {
    const engine = new ScriptedEngine({ failBeforeUnit: { unit: 5, times: 1 } });
    const acts = bed.activities(engine);
    const { experimentId, key, prep, rm } = await throughRewardModel(acts);
    const input = { experimentId, idempotencyKey: key(0, 'ppo-0-6'), roundIndex: 0, policyArtifactId: prep.policyArtifactId, referenceArtifactId: prep.referenceArtifactId, rewardModelArtifactId: rm.rewardModelArtifactId, fromIteration: 0, toIteration: 6, iterationsTotal: 6, seed: 5 };
    await expect(bed.run(acts.runPpoEpochs, input)).rejects.toThrow();
    const out = await bed.run(acts.runPpoEpochs, input, { attempt: 2, heartbeatDetails: undefined });
    expect(out.resumedFromIteration).toBe(4);
    const resumed = await bed.db.auditEvent.findFirstOrThrow({ where: { experimentId, action: 'training.resumed' } });
    expect(resumed.data).toMatchObject({ source: 'checkpoint', fromIteration: 4 });
  });

  it('stores a checkpoint only after its iterations’ metric rows, so a worker lost between the two loses none', async () => {
    const acts = bed.activities(new ScriptedEngine());
    const { experimentId, key, prep, rm } = await throughRewardModel(acts);
    const k = key(0, 'ppo-0-6');
    const input = { experimentId, idempotencyKey: k, roundIndex: 0, policyArtifactId: prep.policyArtifactId, referenceArtifactId: prep.referenceArtifactId, rewardModelArtifactId: rm.rewardModelArtifactId, fromIteration: 0, toIteration: 6, iterationsTotal: 6, seed: 5 };
    const iterationsWithRows = async () => (await bed.db.metric.findMany({ where: { experimentId, round: 1, name: 'ppo/iter/honour' } })).map((r) => r.step).sort((a, b) => a - b);
    // At every checkpoint write, note which iterations already have their rows; the process dies at the first
    // write of the iteration-4 checkpoint (after the rows, before the checkpoint: the order under test).
    const put = bed.artifacts.put.bind(bed.artifacts);
    const seenAtCheckpoint: [number, number[]][] = [];
    let died = false;
    const spy = jest.spyOn(bed.artifacts, 'put').mockImplementation(async (objectKey, body, meta) => {
      const units = [2, 4, 6].find((i) => objectKey === trainingKeys.checkpoint(k, i));
      if (units !== undefined) seenAtCheckpoint.push([units, await iterationsWithRows()]);
      if (units === 4 && !died) {
        died = true;
        throw new Error(`worker lost while storing ${objectKey}`);
      }
      return put(objectKey, body, meta);
    });
    try {
      await expect(bed.run(acts.runPpoEpochs, input)).rejects.toThrow(/worker lost/);
      const out = await bed.run(acts.runPpoEpochs, input, { attempt: 2, heartbeatDetails: undefined });
      expect(out.resumedFromIteration).toBe(2); // iterations 3 and 4 ran again and wrote their rows again
    } finally {
      spy.mockRestore();
    }
    const upTo = (n: number) => Array.from({ length: n }, (_, i) => i + 1);
    expect(seenAtCheckpoint).toEqual([[2, upTo(2)], [4, upTo(4)], [4, upTo(4)], [6, upTo(6)]]);
    expect(await iterationsWithRows()).toEqual(upTo(6)); // each once (the rows are unique per step)
  });

  it('the second chunk of a round starts from the first chunk’s checkpoint', async () => {
    const engine = new ScriptedEngine();
    const acts = bed.activities(engine);
    const { experimentId, key, prep, rm } = await throughRewardModel(acts);
    const common = { experimentId, roundIndex: 0, policyArtifactId: prep.policyArtifactId, referenceArtifactId: prep.referenceArtifactId, rewardModelArtifactId: rm.rewardModelArtifactId, iterationsTotal: 6 };
    const first = await bed.run(acts.runPpoEpochs, { ...common, idempotencyKey: key(0, 'ppo-0-3'), fromIteration: 0, toIteration: 3, seed: 5 });
    const second = await bed.run(acts.runPpoEpochs, { ...common, idempotencyKey: key(0, 'ppo-3-6'), fromIteration: 3, toIteration: 6, resumeFromCheckpointId: first.checkpointArtifactId, seed: 6 });
    expect(engine.openedStates).toEqual([undefined, 3]);
    expect(second.iterationsDone).toBe(6);
    expect(await bed.db.auditEvent.count({ where: { experimentId, action: 'training.resumed' } })).toBe(0); // a chunk start is not a resume
    // A wrong chunk-start checkpoint is refused, not silently used.
    await expect(bed.run(acts.runPpoEpochs, { ...common, idempotencyKey: key(0, 'ppo-4-6'), fromIteration: 4, toIteration: 6, resumeFromCheckpointId: first.checkpointArtifactId, seed: 6 })).rejects.toMatchObject({ type: 'INVALID_ARGUMENT', nonRetryable: true });
  });

  it('cancellation stops PPO within a step, saves the finished iterations and rethrows the cancellation', async () => {
    const engine = new ScriptedEngine({ stepDelayMs: 150 });
    const acts = bed.activities(engine);
    const { experimentId, key, prep, rm } = await throughRewardModel(acts);
    const k = key(0, 'ppo-0-6');
    const input = { experimentId, idempotencyKey: k, roundIndex: 0, policyArtifactId: prep.policyArtifactId, referenceArtifactId: prep.referenceArtifactId, rewardModelArtifactId: rm.rewardModelArtifactId, fromIteration: 0, toIteration: 6, iterationsTotal: 6, seed: 5 };
    let cancelledAt = 0;
    const err = await bed
      .run(acts.runPpoEpochs, input, {}, (env) => {
        env.on('heartbeat', (d: PpoHeartbeat) => {
          if (d.iteration === 3 && !cancelledAt) {
            cancelledAt = Date.now();
            env.cancel();
          }
        });
      })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CancelledFailure);
    expect(Date.now() - cancelledAt).toBeLessThan(5_000);
    // Iteration 3 finished before the cancel: it was saved, so a later attempt would not redo it.
    const ckpts = (await bed.db.artifact.findMany({ where: { createdByActivity: k, kind: 'ppo_checkpoint' } })).map((c) => c.key).sort();
    expect(ckpts).toEqual([trainingKeys.checkpoint(k, 2), trainingKeys.checkpoint(k, 3)]);
    expect(await bed.db.artifact.count({ where: { key: trainingKeys.policy(k) } })).toBe(0);
  });

  it('a retry that computes different bytes for a checkpoint an earlier attempt stored keeps the stored ones', async () => {
    const engine = new ScriptedEngine({ nondeterministic: true });
    const acts = bed.activities(engine);
    const { experimentId, key, prep, rm } = await throughRewardModel(acts);
    const k = key(0, 'ppo-0-6');
    // Attempt 1 "died" after writing the bytes of the iteration-2 checkpoint but before registering them.
    const orphan = Buffer.from(JSON.stringify({ kind: 'ppo-state', done: 2, honour: 0.4, rng: { algorithm: 'xoshiro128**', s: [1, 2, 3, 4] }, salt: 999 }));
    await bed.artifacts.put(trainingKeys.checkpoint(k, 2), orphan, { metadata: { summary: JSON.stringify({ iteration: 2, total: 6, roundIndex: 0 }) } });
    const out = await bed.run(acts.runPpoEpochs, { experimentId, idempotencyKey: k, roundIndex: 0, policyArtifactId: prep.policyArtifactId, referenceArtifactId: prep.referenceArtifactId, rewardModelArtifactId: rm.rewardModelArtifactId, fromIteration: 0, toIteration: 6, iterationsTotal: 6, seed: 5 }, { attempt: 2 });
    const ck2 = await bed.db.artifact.findUniqueOrThrow({ where: { key: trainingKeys.checkpoint(k, 2) } });
    expect(ck2.sha256).toBe((await bed.artifacts.head(ck2.uri))!.sha256);
    expect(Buffer.from(await bed.artifacts.get(ck2.uri)).equals(orphan)).toBe(true);
    expect(engine.openedStates).toEqual([undefined, 2]); // re-opened on the stored state
    expect(out.iterationsDone).toBe(6);
  });

  it('DPO trains on the frozen rankings and resumes like PPO; evaluate stores its judgements with lineage', async () => {
    const engine = new ScriptedEngine({ failBeforeUnit: { unit: 4, times: 1 } });
    const acts = bed.activities(engine);
    const spec = `${SPEC.replace(/\nppo:.*\n/, '\n')}\ntrainer: dpo\ndpo: { steps: 5 }`;
    const { experimentId, key, prep, rm } = await throughRewardModel(acts, spec);
    const input = { experimentId, idempotencyKey: key(0, 'dpo-0-5'), roundIndex: 0, policyArtifactId: prep.policyArtifactId, referenceArtifactId: prep.referenceArtifactId, fromStep: 0, toStep: 5, stepsTotal: 5, seed: 7 };
    await expect(bed.run(acts.runDpo, input)).rejects.toThrow();
    const out = await bed.run(acts.runDpo, input, { attempt: 2 });
    expect(out.stepsDone).toBe(5);
    expect(engine.openedStates).toEqual([undefined, 3]); // checkpoints every ceil(5/10) = 1 step
    const parents = await parentsOf(out.policyArtifactId);
    const kinds = await kindsOf(parents.map((p) => p.id));
    expect(parents.map((p) => `${p.role}:${kinds.get(p.id)}`).sort()).toEqual(['data:rankings', 'init:policy', 'reference:policy', 'state:dpo_checkpoint']);

    const ev = await bed.run(acts.evaluate, { experimentId, idempotencyKey: key(0, 'evaluate'), roundIndex: 0, policyArtifactId: out.policyArtifactId, referenceArtifactId: prep.referenceArtifactId, rewardModelArtifactId: rm.rewardModelArtifactId, seed: 8 });
    expect(ev.heldoutPrompts).toBe(12);
    expect(ev.winRateCi95[0]).toBeLessThanOrEqual(ev.winRate);
    expect(ev.winRateCi95[1]).toBeGreaterThanOrEqual(ev.winRate);
    const evalArtifact = await bed.db.artifact.findUniqueOrThrow({ where: { key: `${key(0, 'evaluate')}/evaluation.json` } });
    const evParents = await parentsOf(evalArtifact.id);
    expect(evParents.map((p) => p.role).sort()).toEqual(['policy', 'reference', 'reward_model']);
    expect(await bed.run(acts.evaluate, { experimentId, idempotencyKey: key(0, 'evaluate'), roundIndex: 0, policyArtifactId: out.policyArtifactId, referenceArtifactId: prep.referenceArtifactId, rewardModelArtifactId: rm.rewardModelArtifactId, seed: 8 }, { attempt: 2 })).toEqual(ev);
  });
});
