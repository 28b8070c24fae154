import type { Context } from '@temporalio/activity';
import type { ResolvedActivityDeps } from './activity-deps';
import { permanentFailure, throwIfCancelled } from './activity-failure';
import { findArtifactByKey, loadArtifact, storeArtifact, type ArtifactCache, type ParentRef, type StoredArtifact } from './artifact-io';
import type { PpoHeartbeat } from './experiment-activity-types';
import type { PolicyTrainer, StepValues } from './experiment-engine';
import { ProgressReporter } from './progress-reporter';

/** What one chunk of policy training (PPO iterations or DPO steps of one round) needs. */
export interface ResumableTrainingArgs<M> {
  trainer: 'ppo' | 'dpo';
  /** Metric/audit wording of a unit. */
  unit: 'iteration' | 'step';
  experimentId: string;
  idempotencyKey: string;
  roundIndex: number;
  actor: string;
  /** Units [from, to) of `total` for the round. */
  from: number;
  to: number;
  total: number;
  /** Save the trainer state every this many units (and always at `to`). */
  checkpointEvery: number;
  /** The previous chunk's final state (absent for the round's first chunk, which starts from `startPolicyId`). */
  chunkStartCheckpointId?: string;
  /** The round's starting policy (lineage role `init`). */
  startPolicyId: string;
  /** Further lineage of every checkpoint and of the policy (reference, reward model, rankings, …). */
  parents: ParentRef[];
  /** Opens the engine's trainer on a saved state, or fresh when `state` is undefined. */
  open(state: Uint8Array | undefined): Promise<PolicyTrainer<M>>;
}

export interface ResumableTrainingResult<M> {
  policyArtifactId: string;
  checkpointArtifactId: string;
  done: number;
  /** Set when this attempt continued from a checkpoint of an earlier attempt of the same step. */
  resumedFrom?: number;
  metrics: M;
}

/** What a trainer heartbeats (the contract's PpoHeartbeat; DPO uses the same shape with steps). */
export type TrainingHeartbeat = PpoHeartbeat & { attempt?: number };

const pad = (n: number) => String(n).padStart(6, '0');

/** Store keys of one training step's outputs, all derived from its idempotency key. */
export const trainingKeys = {
  checkpoint: (idempotencyKey: string, unitsDone: number) => `${idempotencyKey}/checkpoint-${pad(unitsDone)}`,
  policy: (idempotencyKey: string) => `${idempotencyKey}/policy`,
};

interface ResumePoint {
  checkpoint?: StoredArtifact;
  units: number;
  source: 'fresh' | 'chunk-start' | 'heartbeat' | 'checkpoint';
}

/**
 * Runs policy training units [from, to) as one durable step:
 * - heartbeats after every unit with `{ iteration, iterationsTotal, checkpointArtifactId }`;
 * - saves the trainer state every `checkpointEvery` units to `<key>/checkpoint-<n>` (registered with lineage);
 * - on a retry, continues from the newest checkpoint this step saved — the one named by the last heartbeat, or the
 *   newest registered for the key when the heartbeat did not get through — and records that resume as a metric
 *   row and a `training.resumed` audit event;
 * - on cancellation (the workflow's cancel, or a worker shutting down) stops between units, saves the state if a
 *   unit finished since the last save, and rethrows the cancellation;
 * - writes the resulting policy to `<key>/policy` and returns it with the last unit's metrics. A retry of a step
 *   that had finished returns the stored result without training.
 */
export async function runResumableTraining<M>(ctx: Context, deps: ResolvedActivityDeps, cache: ArtifactCache, a: ResumableTrainingArgs<M>): Promise<ResumableTrainingResult<M>> {
  if (!(a.from >= 0 && a.from < a.to && a.to <= a.total)) throw permanentFailure('INVALID_ARGUMENT', `${a.trainer}: ${a.unit}s [${a.from}, ${a.to}) are not within 0..${a.total}`);
  if (!(Number.isInteger(a.checkpointEvery) && a.checkpointEvery >= 1)) throw permanentFailure('INVALID_ARGUMENT', `${a.trainer}: checkpointEvery must be a positive integer (got ${a.checkpointEvery})`);
  const ckptKind = `${a.trainer}_checkpoint`;
  const finished = await findArtifactByKey(deps, trainingKeys.policy(a.idempotencyKey));
  const finalCkpt = finished && (await findArtifactByKey(deps, trainingKeys.checkpoint(a.idempotencyKey, a.to)));
  if (finished && finalCkpt) {
    return { policyArtifactId: finished.id, checkpointArtifactId: finalCkpt.id, done: a.to, resumedFrom: finished.summary.resumedFrom as number | undefined, metrics: finished.summary.metrics as M };
  }

  const start = await resumePoint(ctx, deps, a, ckptKind);
  const state = start.checkpoint ? (await loadArtifact(deps, cache, start.checkpoint.id, [ckptKind])).body : undefined;
  const progress = new ProgressReporter(ctx, deps, { experimentId: a.experimentId, roundIndex: a.roundIndex, actor: a.actor }, a.trainer);
  let trainer = await a.open(state);
  try {
    if (trainer.done !== start.units) {
      throw permanentFailure('ARTIFACT_CORRUPT', `${a.trainer} state ${start.checkpoint?.id ?? '(fresh)'} is at ${a.unit} ${trainer.done}, expected ${start.units}`, { checkpointArtifactId: start.checkpoint?.id });
    }
    const resumed = start.source === 'heartbeat' || start.source === 'checkpoint';
    if (resumed) {
      progress.addPoints([{ name: `${a.trainer}/resumed_at_${a.unit}`, step: start.units, value: ctx.info.attempt }]);
      await progress.flush({
        action: 'training.resumed',
        subject: { type: 'artifact', id: start.checkpoint!.id },
        data: { trainer: a.trainer, idempotencyKey: a.idempotencyKey, attempt: ctx.info.attempt, [`from${cap(a.unit)}`]: start.units, chunk: [a.from, a.to], source: start.source },
      });
      deps.logger.info('training resumed from checkpoint', { trainer: a.trainer, key: a.idempotencyKey, attempt: ctx.info.attempt, units: start.units, source: start.source });
    } else if (ctx.info.attempt > 1) {
      await progress.flush({
        action: 'training.restarted',
        subject: { type: 'experiment', id: a.experimentId },
        data: { trainer: a.trainer, idempotencyKey: a.idempotencyKey, attempt: ctx.info.attempt, reason: `no checkpoint of this step was saved before the previous attempt ended; starting at ${a.unit} ${a.from}` },
      });
    }

    let lastCkpt = start.checkpoint;
    // The metrics of the last unit done (kept with each checkpoint, for a retry that resumes at `to` exactly).
    let lastMetrics = start.checkpoint?.summary.metrics as M | undefined;
    let lastCkptUnits = start.units;
    const beat = () => progress.beat({ iteration: trainer.done, iterationsTotal: a.total, checkpointArtifactId: lastCkpt?.id, attempt: ctx.info.attempt } satisfies TrainingHeartbeat);
    beat();

    const saveCheckpoint = async (): Promise<void> => {
      const units = trainer.done;
      const parents: ParentRef[] = [{ artifactId: lastCkpt?.id ?? a.startPolicyId, role: lastCkpt ? 'resumed_from' : 'init' }, ...a.parents];
      const body = await trainer.saveState();
      // Metric rows of the units up to here first, the checkpoint after: a retry resumes from the newest checkpoint,
      // so a worker killed between the two writes must not leave a checkpoint whose units have no metrics (a unit
      // re-run after a lost checkpoint writes its rows again, and the first ones stay: skipDuplicates).
      await progress.flush();
      const stored = await storeArtifact(
        deps,
        { key: trainingKeys.checkpoint(a.idempotencyKey, units), kind: ckptKind, experimentId: a.experimentId, parents, createdByActivity: a.idempotencyKey, actor: a.actor, summary: { [a.unit]: units, total: a.total, roundIndex: a.roundIndex, metrics: lastMetrics } },
        body,
      );
      if (stored.adopted) {
        // An earlier attempt saved different bytes for this unit: continue from those, so everything after
        // derives from what is stored.
        await trainer.close();
        trainer = await a.open(stored.body);
        lastMetrics = (stored.artifact.summary.metrics as M | undefined) ?? lastMetrics;
      }
      lastCkpt = stored.artifact;
      lastCkptUnits = units;
      beat();
    };

    // False while a unit runs and after one failed: a unit that failed half-way leaves no state worth saving. One
    // that stopped because of the abort left the state as it was (the engine port promises that), so it is clean.
    let clean = true;
    try {
      while (trainer.done < a.to) {
        throwIfCancelled(ctx);
        clean = false;
        const { metrics, values } = await trainer.step(ctx.cancellationSignal).catch((e: unknown) => {
          if (ctx.cancellationSignal.aborted) clean = true;
          throw e;
        });
        clean = true;
        lastMetrics = metrics;
        progress.addPoints(namedValues(`${a.trainer}/iter`, trainer.done, values));
        beat();
        if (trainer.done % a.checkpointEvery === 0 || trainer.done === a.to) await saveCheckpoint();
      }
    } catch (e) {
      if (ctx.cancellationSignal.aborted && clean && trainer.done > lastCkptUnits) {
        // A worker shutting down cancels its activities: keep the work done so far for the next attempt.
        await saveCheckpoint().catch((err: unknown) => deps.logger.warn('could not save a checkpoint on cancellation', { key: a.idempotencyKey, error: err }));
      }
      throw e;
    }
    if (lastCkptUnits !== a.to) await saveCheckpoint(); // resumed at `to` exactly, with the state saved but no policy yet
    if (lastMetrics === undefined) throw permanentFailure('ARTIFACT_CORRUPT', `${a.trainer}: checkpoint ${lastCkpt?.id} at ${a.unit} ${a.to} carries no metrics of its last ${a.unit}`);
    const policyBody = await trainer.exportPolicy();
    const policy = await storeArtifact(
      deps,
      {
        key: trainingKeys.policy(a.idempotencyKey),
        kind: 'policy',
        experimentId: a.experimentId,
        parents: [{ artifactId: a.startPolicyId, role: 'init' }, { artifactId: lastCkpt!.id, role: 'state' }, ...a.parents],
        createdByActivity: a.idempotencyKey,
        actor: a.actor,
        summary: { source: a.trainer, roundIndex: a.roundIndex, [a.unit]: a.to, total: a.total, metrics: lastMetrics, resumedFrom: resumed ? start.units : undefined },
      },
      policyBody,
    );
    await progress.flush();
    return { policyArtifactId: policy.artifact.id, checkpointArtifactId: lastCkpt!.id, done: a.to, resumedFrom: resumed ? start.units : undefined, metrics: policy.artifact.summary.metrics as M };
  } finally {
    await trainer.close();
  }
}

/** The newest state to continue from: this step's own checkpoints first, else the chunk start, else fresh. */
async function resumePoint<M>(ctx: Context, deps: ResolvedActivityDeps, a: ResumableTrainingArgs<M>, ckptKind: string): Promise<ResumePoint> {
  const unitsOf = (c: StoredArtifact) => Number(c.summary[a.unit]);
  let best: ResumePoint | undefined;
  const hb = ctx.info.heartbeatDetails as Partial<TrainingHeartbeat> | undefined;
  if (typeof hb?.checkpointArtifactId === 'string') {
    const row = await deps.db.artifact.findUnique({ where: { id: hb.checkpointArtifactId } });
    // Only a checkpoint this very step saved (a stale detail from another step must not leak in).
    if (row && row.createdByActivity === a.idempotencyKey && row.kind === ckptKind) {
      const c = (await findArtifactByKey(deps, row.key))!;
      best = { checkpoint: c, units: unitsOf(c), source: 'heartbeat' };
    }
  }
  // The heartbeat naming the newest checkpoint may not have reached the server before the worker died.
  const rows = await deps.db.artifact.findMany({ where: { createdByActivity: a.idempotencyKey, kind: ckptKind }, select: { key: true } });
  for (const r of rows) {
    const c = (await findArtifactByKey(deps, r.key))!;
    const units = unitsOf(c);
    if (Number.isInteger(units) && units > a.from && units <= a.to && (!best || units > best.units)) best = { checkpoint: c, units, source: best && best.units === units ? best.source : 'checkpoint' };
  }
  if (best && best.units > a.from) return best;
  if (a.chunkStartCheckpointId) {
    const row = await deps.db.artifact.findUnique({ where: { id: a.chunkStartCheckpointId } });
    if (!row) throw permanentFailure('ARTIFACT_NOT_FOUND', `checkpoint ${a.chunkStartCheckpointId} to start ${a.trainer} ${a.unit} ${a.from} from is not registered`);
    const c = (await findArtifactByKey(deps, row.key))!;
    if (row.kind !== ckptKind || unitsOf(c) !== a.from) {
      throw permanentFailure('INVALID_ARGUMENT', `checkpoint ${row.id} is a ${row.kind} at ${a.unit} ${unitsOf(c)}; ${a.trainer} ${a.unit} ${a.from} needs a ${ckptKind} at ${a.from}`);
    }
    return { checkpoint: c, units: a.from, source: 'chunk-start' };
  }
  if (a.from !== 0) throw permanentFailure('INVALID_ARGUMENT', `${a.trainer} ${a.unit} ${a.from} > 0 needs the previous chunk's checkpoint (resumeFromCheckpointId)`);
  return { units: 0, source: 'fresh' };
}

function namedValues(prefix: string, step: number, values: StepValues): { name: string; step: number; value: number }[] {
  return Object.entries(values)
    .filter(([name, v]) => Number.isFinite(v) && /^[a-z0-9_]+$/.test(name))
    .map(([name, value]) => ({ name: `${prefix}/${name}`, step, value }));
}

function cap(s: string): string {
  return s[0].toUpperCase() + s.slice(1);
}
