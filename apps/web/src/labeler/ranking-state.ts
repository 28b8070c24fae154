/**
 * The labeler's ranking of one task as a pure value: completions best → worst, with ties between neighbours.
 *
 * Model: a flat `order` of sample ids and, for each gap between neighbours, whether they are tied. Moving a
 * completion takes it out (its former neighbours stay tied only if they were tied through it) and puts it back
 * untied, so "move up" always ranks it strictly above the one it passed, also out of a tie group. Ties are made and
 * undone only by {@link toggleTie} on one gap. Every function returns a new value.
 */

export interface RankingState {
  /** Sample ids, best first. */
  order: string[];
  /** `tied[i]`: order[i] and order[i + 1] are judged equal. Length order.length - 1. */
  tied: boolean[];
}

/** A fresh ranking in the order the server chose to show (it shuffles per task). */
export function initialRanking(sampleIds: readonly string[]): RankingState {
  return { order: [...sampleIds], tied: new Array(Math.max(0, sampleIds.length - 1)).fill(false) };
}

function remove(s: RankingState, i: number): RankingState {
  const order = s.order.filter((_, j) => j !== i);
  const tied = [...s.tied];
  if (i === 0) tied.splice(0, 1);
  else if (i === s.order.length - 1) tied.splice(i - 1, 1);
  else tied.splice(i - 1, 2, s.tied[i - 1] && s.tied[i]);
  return { order, tied };
}

function insertUntied(s: RankingState, id: string, at: number): RankingState {
  const order = [...s.order];
  order.splice(at, 0, id);
  const tied = [...s.tied];
  // The gap the id lands in becomes two untied gaps.
  if (s.order.length === 0) return { order, tied: [] };
  if (at === 0) tied.splice(0, 0, false);
  else if (at >= s.order.length) tied.push(false);
  else tied.splice(at - 1, 1, false, false);
  return { order, tied };
}

/** Moves the completion at `from` so that it ends at index `to` (clamped), untied from its new neighbours. */
export function moveTo(s: RankingState, from: number, to: number): RankingState {
  if (from < 0 || from >= s.order.length) return s;
  const target = Math.max(0, Math.min(s.order.length - 1, to));
  if (target === from && !s.tied[from - 1] && !s.tied[from]) return s;
  const id = s.order[from];
  return insertUntied(remove(s, from), id, target);
}

/** One place up (towards best); at the top it only unties. */
export function moveUp(s: RankingState, index: number): RankingState {
  return moveTo(s, index, index - 1);
}

/** One place down (towards worst); at the bottom it only unties. */
export function moveDown(s: RankingState, index: number): RankingState {
  return moveTo(s, index, index + 1);
}

/** Ties or unties the completions at `index` and `index + 1`. */
export function toggleTie(s: RankingState, index: number): RankingState {
  if (index < 0 || index >= s.tied.length) return s;
  const tied = [...s.tied];
  tied[index] = !tied[index];
  return { order: s.order, tied };
}

/** The ranks people see: standard competition ranking (1, 2, 2, 4 for best, a tie, then the rest). */
export function displayRanks(s: RankingState): number[] {
  const ranks: number[] = [];
  for (let i = 0; i < s.order.length; i++) ranks.push(i > 0 && s.tied[i - 1] ? ranks[i - 1] : i + 1);
  return ranks;
}

/** Whether the completion at `index` shares its rank with a neighbour. */
export function isTied(s: RankingState, index: number): boolean {
  return Boolean(s.tied[index - 1] || s.tied[index]);
}

/** The API's `ordering`: ids best → worst, a tie group as an inner array. */
export function toOrdering(s: RankingState): (string | string[])[] {
  const out: (string | string[])[] = [];
  let group: string[] = [];
  s.order.forEach((id, i) => {
    group.push(id);
    if (!s.tied[i]) {
      out.push(group.length === 1 ? group[0] : group);
      group = [];
    }
  });
  return out;
}

/** Where a dragged item would land for a pointer at `y`, given the items' vertical midpoints (top to bottom). */
export function dropIndex(midpoints: readonly number[], y: number, from: number): number {
  let slot = midpoints.findIndex((m) => y < m);
  if (slot === -1) slot = midpoints.length;
  // `slot` counts positions before the pointer including the dragged item itself; remove it.
  return slot > from ? slot - 1 : slot;
}
