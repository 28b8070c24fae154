import { Rng, type Seed } from '../util/rng';

/**
 * Splits items into train and held-out sets by a key (the prompt), seeded: all items that share a key land on the
 * same side, so held-out accuracy measures generalisation to prompts the model never trained on, not to another
 * labeler's ranking of a prompt it saw. At least one key goes to each side when there are two or more keys and
 * 0 < heldoutShare < 1.
 */
export function splitByKey<T>(items: readonly T[], keyOf: (item: T) => string, heldoutShare: number, seed: Seed): { train: T[]; heldout: T[] } {
  if (!(heldoutShare >= 0 && heldoutShare < 1)) throw new RangeError(`splitByKey: heldoutShare must be in [0, 1), got ${heldoutShare}`);
  const keys = [...new Set(items.map(keyOf))].sort();
  Rng.fromSeed(seed).fork('split-by-key').shuffle(keys);
  let nHeld = Math.round(keys.length * heldoutShare);
  if (heldoutShare > 0 && keys.length >= 2) nHeld = Math.min(keys.length - 1, Math.max(1, nHeld));
  const held = new Set(keys.slice(0, nHeld));
  const train: T[] = [];
  const heldout: T[] = [];
  for (const it of items) (held.has(keyOf(it)) ? heldout : train).push(it);
  return { train, heldout };
}
