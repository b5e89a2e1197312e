/** Nearest-rank percentile (p in 0..100) of a sample; null for an empty one. */
export function percentile(values: readonly number[], p: number): number | null {
  const finite = values.filter((v) => Number.isFinite(v));
  if (finite.length === 0) return null;
  const sorted = [...finite].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

export interface Ranked {
  label: string;
  value: number;
  share: number;
}

/** The top `n` entries by value, with each one's share of the largest (for bar widths). */
export function topBy<T>(rows: readonly T[], value: (row: T) => number, label: (row: T) => string, n = 5): Ranked[] {
  const sorted = rows
    .map((row) => ({ label: label(row), value: value(row) }))
    .filter((r) => r.value > 0)
    .sort((a, b) => b.value - a.value)
    .slice(0, n);
  const max = sorted[0]?.value ?? 0;
  return sorted.map((r) => ({ ...r, share: max > 0 ? r.value / max : 0 }));
}
