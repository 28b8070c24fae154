import { AppError } from '../../errors';
import type { Db, Tx } from '../../db';
import type { Round } from '../../db/generated/client';
import { roundNumber } from '../views';

/** The round row for (experiment, 0-based roundIndex), or NOT_FOUND naming both. */
export async function findRound(tx: Tx | Db, experimentId: string, roundIndex: number): Promise<Round> {
  const round = await tx.round.findUnique({ where: { experimentId_index: { experimentId, index: roundNumber(roundIndex) } } });
  if (!round) {
    const exists = await tx.experiment.count({ where: { id: experimentId } });
    throw exists
      ? new AppError('NOT_FOUND', `experiment ${experimentId} has no round ${roundIndex} (0-based) yet`, { experimentId, roundIndex })
      : new AppError('NOT_FOUND', `experiment ${experimentId} not found`, { experimentId });
  }
  return round;
}

/** Checks a 0-based round index argument. */
export function checkRoundIndex(roundIndex: unknown): number {
  if (typeof roundIndex !== 'number' || !Number.isInteger(roundIndex) || roundIndex < 0 || roundIndex > 100_000) {
    throw new AppError('VALIDATION_FAILED', `roundIndex must be an integer ≥ 0 (0-based) (got ${JSON.stringify(roundIndex)})`);
  }
  return roundIndex;
}
