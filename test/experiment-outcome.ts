/**
 * What an experiment's run produced that must be the same when the run is repeated: every metric but the wall-clock
 * timings (`…_seconds`) and the record of a resume, and the bytes (sha256) of every model. Keys are shown with the
 * experiment id replaced, so two experiments' outcomes compare with `toEqual`. The reproducibility tests use it:
 * a second demo run (apps/cli/hone-cli.test.ts) and a run whose worker was killed (test/durability).
 */
import type { Db } from '../lib/db';

export interface ExperimentOutcome {
  metrics: { round: number; name: string; step: number; value: number }[];
  /** [key with `<experiment>` for the id, sha256], sorted by key. */
  models: [string, string][];
}

/** Metrics that describe how a run went, not what it computed. */
const incidental = (name: string): boolean => name.endsWith('seconds') || name === 'ppo/resumed_at_iteration';

export async function experimentOutcome(db: Db, experimentId: string): Promise<ExperimentOutcome> {
  const metrics = await db.metric.findMany({ where: { experimentId }, select: { round: true, name: true, step: true, value: true } });
  const models = await db.artifact.findMany({ where: { experimentId, kind: { in: ['policy', 'reward_model'] } }, select: { key: true, sha256: true } });
  return {
    metrics: metrics.filter((m) => !incidental(m.name)).sort((a, b) => `${a.round}/${a.name}/${a.step}`.localeCompare(`${b.round}/${b.name}/${b.step}`)),
    models: models.map((a): [string, string] => [a.key.replace(experimentId, '<experiment>'), a.sha256]).sort(([a], [b]) => a.localeCompare(b)),
  };
}
