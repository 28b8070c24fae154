import type { Db } from '../db';
import { AppError } from '../errors';
import { roundView, type RoundView } from './views';

/** An experiment's rounds, first first; NOT_FOUND for an unknown experiment. */
export async function listRounds(db: Db, experimentId: string): Promise<RoundView[]> {
  const e = await db.experiment.findUnique({ where: { id: experimentId }, include: { rounds: { orderBy: { index: 'asc' } } } });
  if (!e) throw new AppError('NOT_FOUND', `experiment ${experimentId} not found`, { experimentId });
  return e.rounds.map(roundView);
}
