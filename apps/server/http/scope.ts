import type { Principal } from '../../../lib/auth';
import { AppError } from '../../../lib/errors';

/** Admins see everything; a labeler only the experiments in their token's scope (FORBIDDEN otherwise). */
export function assertExperimentAccess(p: Principal, experimentId: string): void {
  if (p.role === 'admin' || p.scope === '*' || p.scope.includes(experimentId)) return;
  throw new AppError('FORBIDDEN', `your token is not scoped to experiment ${experimentId}`, { experimentId });
}

/** The scope to filter lists by: undefined = everything. */
export function listScope(p: Principal): string[] | undefined {
  return p.role === 'admin' || p.scope === '*' ? undefined : p.scope;
}
