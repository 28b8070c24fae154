/**
 * Metric rows (name, round, step, value) → per-round series for the admin plots. A round's value of a metric is
 * the one at its last step (training metrics are logged at the step a round's training ended). Pure.
 */
import type { MetricPoint } from '../api/types';

export interface RoundSeries {
  /** Round numbers on the x axis (0 = before the first round, e.g. the SFT baseline), ascending. */
  rounds: number[];
  /** name → value per entry of `rounds` (null where the round has no value). */
  values: Record<string, (number | null)[]>;
}

/** The last-step value of each metric per round, over every round any of `names` appears in. */
export function perRoundSeries(points: readonly MetricPoint[], names: readonly string[]): RoundSeries {
  const wanted = new Set(names);
  const last = new Map<string, { step: number; value: number }>();
  const roundSet = new Set<number>();
  for (const p of points) {
    if (!wanted.has(p.name)) continue;
    roundSet.add(p.round);
    const k = `${p.name}\u0000${p.round}`;
    const prev = last.get(k);
    if (!prev || p.step >= prev.step) last.set(k, { step: p.step, value: p.value });
  }
  const rounds = [...roundSet].sort((a, b) => a - b);
  const values: Record<string, (number | null)[]> = {};
  for (const n of names) values[n] = rounds.map((r) => last.get(`${n}\u0000${r}`)?.value ?? null);
  return { rounds, values };
}

/** Axis label of a round number. */
export function roundLabel(round: number): string {
  return round === 0 ? 'start' : `round ${round}`;
}

/** Whether any value is present. */
export function hasValues(s: RoundSeries, names: readonly string[]): boolean {
  return names.some((n) => s.values[n]?.some((v) => v !== null));
}
