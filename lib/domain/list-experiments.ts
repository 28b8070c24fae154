import type { Db, Prisma } from '../db';
import { AppError } from '../errors';
import { experimentView, type ExperimentStatusName, type ExperimentView } from './views';

export interface ListExperimentsInput {
  status?: ExperimentStatusName;
  /** Only these experiments (a labeler's scope); undefined = all. */
  experimentIds?: readonly string[];
  /** Page size, 1–200 (default 50). */
  limit?: number;
  /** `nextCursor` of the previous page. */
  cursor?: string;
}

export interface ExperimentPage {
  items: ExperimentView[];
  /** Pass as `cursor` for the next page; null on the last page. */
  nextCursor: string | null;
}

/** Experiments, newest first (ids are time-ordered UUIDv7, so the id is the cursor). */
export async function listExperiments(db: Db, input: ListExperimentsInput = {}): Promise<ExperimentPage> {
  const limit = input.limit ?? 50;
  if (!Number.isInteger(limit) || limit < 1 || limit > 200) throw new AppError('VALIDATION_FAILED', `limit must be an integer 1–200 (got ${limit})`);
  const where: Prisma.ExperimentWhereInput = {};
  if (input.status) where.status = input.status;
  if (input.experimentIds) where.id = { in: [...input.experimentIds] };
  if (input.cursor) where.AND = [{ id: { lt: input.cursor } }];
  const rows = await db.experiment.findMany({ where, orderBy: { id: 'desc' }, take: limit + 1 });
  const page = rows.slice(0, limit);
  return { items: page.map(experimentView), nextCursor: rows.length > limit ? page[page.length - 1].id : null };
}
