import type { Db, Prisma } from '../db';
import { AppError } from '../errors';

export interface MetricView {
  /** 1-based round number; 0 = before the first round (e.g. SFT). */
  round: number;
  name: string;
  step: number;
  value: number;
  at: Date;
}

/** An experiment's metrics, by name, round and step; optionally only names starting with `prefix` (e.g. `eval/`). */
export async function listMetrics(db: Db, input: { experimentId: string; prefix?: string; name?: string }): Promise<MetricView[]> {
  const exists = await db.experiment.count({ where: { id: input.experimentId } });
  if (!exists) throw new AppError('NOT_FOUND', `experiment ${input.experimentId} not found`, { experimentId: input.experimentId });
  const where: Prisma.MetricWhereInput = { experimentId: input.experimentId };
  if (input.name) where.name = input.name;
  else if (input.prefix) where.name = { startsWith: input.prefix };
  const rows = await db.metric.findMany({ where, orderBy: [{ name: 'asc' }, { round: 'asc' }, { step: 'asc' }] });
  return rows.map((m) => ({ round: m.round, name: m.name, step: m.step, value: m.value, at: m.at }));
}
