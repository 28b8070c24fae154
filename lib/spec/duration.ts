/**
 * Durations as people write them in specs: `2d`, `30m`, `1h30m`, `45s`, `500ms`, `1w`.
 *
 * A bare number is refused on purpose: `deadline: 30` could mean seconds, minutes or days, and a labeling deadline
 * that is off by a factor of 60 is an expensive mistake.
 */

const UNIT_MS = { w: 604_800_000, d: 86_400_000, h: 3_600_000, m: 60_000, s: 1_000, ms: 1 } as const;
type Unit = keyof typeof UNIT_MS;

// Units must appear largest first and at most once, so `30m1h` and `1m1m` are rejected as likely typos.
const UNIT_ORDER: readonly Unit[] = ['w', 'd', 'h', 'm', 's', 'ms'];
const PART = /(\d+(?:\.\d+)?)(ms|w|d|h|m|s)/y;

/**
 * Parses a duration string into milliseconds. Returns an error message (never throws) so callers can attach the
 * spec path to it.
 */
export function parseDuration(text: string): { ok: true; ms: number } | { ok: false; error: string } {
  const trimmed = text.trim();
  const hint = "write a number with a unit (ms, s, m, h, d, w), e.g. '30m', '2d', '1h30m'";
  if (trimmed === '') return { ok: false, error: `empty duration: ${hint}` };
  PART.lastIndex = 0;
  let total = 0;
  let lastUnit = -1;
  while (PART.lastIndex < trimmed.length) {
    const start = PART.lastIndex;
    const match = PART.exec(trimmed);
    if (!match) return { ok: false, error: `cannot read '${trimmed}' as a duration at '${trimmed.slice(start)}': ${hint}` };
    const unit = match[2] as Unit;
    const order = UNIT_ORDER.indexOf(unit);
    if (order <= lastUnit) return { ok: false, error: `'${trimmed}': units must go from largest to smallest, each once` };
    lastUnit = order;
    total += Number(match[1]) * UNIT_MS[unit];
  }
  if (!Number.isFinite(total)) return { ok: false, error: `'${trimmed}' is too large` };
  return { ok: true, ms: Math.round(total) };
}

/** Formats milliseconds compactly (`93_600_000` → `1d2h`), the inverse of {@link parseDuration} for whole units. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`formatDuration: expected a non-negative finite number of ms, got ${ms}`);
  if (ms === 0) return '0s';
  let rest = Math.round(ms);
  let out = '';
  for (const unit of UNIT_ORDER) {
    const size = UNIT_MS[unit];
    const n = Math.floor(rest / size);
    if (n > 0) {
      out += `${n}${unit}`;
      rest -= n * size;
    }
  }
  return out;
}
