import type { Db } from '../db';
import { AppError } from '../errors';
import { experimentView, roundView, type ExperimentDetailView } from './views';

/** One experiment with its spec and rounds; NOT_FOUND if there is none with this id. */
export async function getExperiment(db: Db, experimentId: string): Promise<ExperimentDetailView> {
  const e = await db.experiment.findUnique({ where: { id: experimentId }, include: { rounds: { orderBy: { index: 'asc' } } } });
  if (!e) throw new AppError('NOT_FOUND', `experiment ${experimentId} not found`, { experimentId });
  return { ...experimentView(e), specYaml: e.specYaml, spec: e.spec, rounds: e.rounds.map(roundView) };
}
