import { AppError } from '../../errors';
import { Prisma } from '../../db';

/** Which experiments a principal may see: all (`'*'`) or a list of ids. */
export type ExperimentScope = '*' | readonly string[];

/** Whether `experimentId` is inside `scope`. */
export function inScope(scope: ExperimentScope | undefined, experimentId: string): boolean {
  return scope === undefined || scope === '*' || scope.includes(experimentId);
}

/**
 * The experiment ids a query may touch given a scope and an optional single experiment asked for; undefined means
 * "no restriction". Asking for an experiment outside the scope is FORBIDDEN.
 */
export function scopedExperimentIds(scope: ExperimentScope | undefined, experimentId: string | undefined): string[] | undefined {
  if (experimentId !== undefined) {
    if (!inScope(scope, experimentId)) throw new AppError('FORBIDDEN', `your token is not scoped to experiment ${experimentId}`, { experimentId });
    return [experimentId];
  }
  return scope === undefined || scope === '*' ? undefined : [...scope];
}

/** `AND <column> = ANY(ids)` for raw SQL, or nothing when unrestricted. */
export function sqlInIds(column: Prisma.Sql, ids: string[] | undefined): Prisma.Sql {
  return ids === undefined ? Prisma.empty : Prisma.sql`AND ${column} = ANY(${ids}::text[])`;
}
