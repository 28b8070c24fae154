/** `[██████░░░░░░] 12/24 (50%)` — a text progress bar that fits any terminal. */
export function progressBar(done: number, total: number, width = 24): string {
  const frac = total > 0 ? Math.max(0, Math.min(1, done / total)) : 0;
  const full = Math.round(frac * width);
  return `[${'█'.repeat(full)}${'░'.repeat(width - full)}] ${done}/${total} (${Math.round(frac * 100)}%)`;
}

/** Seconds as `1h02m`, `3m05s` or `42s`. */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s >= 3600) return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
  if (s >= 60) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${s}s`;
}

/** A number with at most `digits` decimals, no trailing zeros. */
export function num(v: number | null | undefined, digits = 3): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '—';
  return String(Number(v.toFixed(digits)));
}
