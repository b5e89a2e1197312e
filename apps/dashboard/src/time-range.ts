import type { UsageGroup } from './api-types';

export type RangeId = '1h' | '24h' | '7d' | '30d';

export interface RangePreset {
  id: RangeId;
  label: string;
  ms: number;
  /** The time bucket that gives a readable number of points for this span. */
  defaultGroup: Extract<UsageGroup, 'hour' | 'day'>;
}

const HOUR = 3_600_000;

export const RANGE_PRESETS: readonly RangePreset[] = [
  { id: '1h', label: 'Last hour', ms: HOUR, defaultGroup: 'hour' },
  { id: '24h', label: 'Last 24 hours', ms: 24 * HOUR, defaultGroup: 'hour' },
  { id: '7d', label: 'Last 7 days', ms: 7 * 24 * HOUR, defaultGroup: 'day' },
  { id: '30d', label: 'Last 30 days', ms: 30 * 24 * HOUR, defaultGroup: 'day' },
];

export function rangePreset(id: string): RangePreset {
  return RANGE_PRESETS.find((r) => r.id === id) ?? RANGE_PRESETS[1];
}

export interface TimeRange {
  from: string;
  to: string;
}

/** Ends at the next whole minute so that requests made a moment ago are inside the range. */
export function resolveRange(preset: RangePreset, now: number = Date.now()): TimeRange {
  const to = Math.ceil((now + 1) / 60_000) * 60_000;
  return { from: new Date(to - preset.ms).toISOString(), to: new Date(to).toISOString() };
}

/**
 * Every bucket start between from and to (UTC hours or days), so that quiet periods show as
 * zero instead of the line jumping over them; the API omits buckets without traffic.
 */
export function bucketStarts(range: TimeRange, group: 'hour' | 'day'): number[] {
  const step = group === 'hour' ? HOUR : 24 * HOUR;
  const from = new Date(range.from).getTime();
  const to = new Date(range.to).getTime();
  const first = Math.floor(from / step) * step;
  const starts: number[] = [];
  for (let t = first; t < to && starts.length < 1000; t += step) starts.push(t);
  return starts;
}
