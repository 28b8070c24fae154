import { AppError } from '../errors';

/** A ranking as submitted: sample ids best → worst; an inner array is a group judged equal (a tie). */
export type RankingOrdering = readonly (string | readonly string[])[];

export interface NormalizedOrdering {
  /** Groups best → worst; ids inside a group sorted, so equal rankings have one form. */
  groups: string[][];
  /** The groups flattened: every sample id once, best first. */
  flat: string[];
  /** Groups of two or more (what is stored as `ties`). */
  ties: string[][];
}

/**
 * Checks a submitted ordering against the task's samples and puts it in canonical form: exactly the task's K
 * sample ids, each once. Throws `VALIDATION_FAILED` naming the first problem.
 */
export function normalizeOrdering(ordering: RankingOrdering, sampleIds: readonly string[], taskId: string): NormalizedOrdering {
  const groups = ordering.map((g) => (typeof g === 'string' ? [g] : [...g].sort()));
  if (groups.some((g) => g.length === 0)) throw new AppError('VALIDATION_FAILED', 'ordering contains an empty tie group', { field: 'ordering' });
  const flat = groups.flat();
  const known = new Set(sampleIds);
  const seen = new Set<string>();
  for (const id of flat) {
    if (!known.has(id)) throw new AppError('VALIDATION_FAILED', `sample ${JSON.stringify(id)} is not one of task ${taskId}'s samples`, { field: 'ordering', sampleId: id });
    if (seen.has(id)) throw new AppError('VALIDATION_FAILED', `sample ${id} appears more than once in ordering; rank each sample exactly once`, { field: 'ordering', sampleId: id });
    seen.add(id);
  }
  if (flat.length !== sampleIds.length) {
    const missing = sampleIds.filter((id) => !seen.has(id));
    throw new AppError('VALIDATION_FAILED', `ordering ranks ${flat.length} samples but task ${taskId} has K=${sampleIds.length}; missing ${missing.join(', ')}`, { field: 'ordering', k: sampleIds.length, missing });
  }
  if (groups.length === 1 && sampleIds.length > 1) throw new AppError('VALIDATION_FAILED', 'ordering ties every sample; rank at least two groups', { field: 'ordering' });
  return { groups, flat, ties: groups.filter((g) => g.length > 1) };
}

/** The grouped form back from stored `ordering` (flat) + `ties`. */
export function groupedOrdering(flat: readonly string[], ties: readonly (readonly string[])[]): (string | string[])[] {
  const groupOf = new Map<string, readonly string[]>();
  for (const g of ties) for (const id of g) groupOf.set(id, g);
  const out: (string | string[])[] = [];
  const done = new Set<string>();
  for (const id of flat) {
    if (done.has(id)) continue;
    const g = groupOf.get(id);
    if (g) {
      out.push([...g].sort());
      for (const x of g) done.add(x);
    } else {
      out.push(id);
      done.add(id);
    }
  }
  return out;
}

/** 0-based rank of each sample (tied samples share the best rank of their group), from the groups. */
export function ranksOf(groups: readonly (string | readonly string[])[]): Map<string, number> {
  const rank = new Map<string, number>();
  groups.forEach((g, i) => {
    for (const id of typeof g === 'string' ? [g] : g) rank.set(id, i);
  });
  return rank;
}
