import { costBreakdown } from './cost';
import { formatMs, formatUsd } from './format';
import { percentile, topBy } from './stats';
import { bucketStarts, RANGE_PRESETS, resolveRange } from './time-range';

describe('dashboard numbers', () => {
  it('computes nearest-rank percentiles', () => {
    const values = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(values, 50)).toBe(50);
    expect(percentile(values, 95)).toBe(95);
    expect(percentile([7], 95)).toBe(7);
    expect(percentile([], 50)).toBeNull();
  });

  it('ranks the top entries with shares of the largest', () => {
    const rows = [{ k: 'a', v: 1 }, { k: 'b', v: 4 }, { k: 'c', v: 0 }, { k: 'd', v: 2 }];
    expect(topBy(rows, (r) => r.v, (r) => r.k, 2)).toEqual([
      { label: 'b', value: 4, share: 1 },
      { label: 'd', value: 2, share: 0.5 },
    ]);
  });

  it('formats money and durations for people', () => {
    expect(formatUsd(0)).toBe('$0.00');
    expect(formatUsd(0.0000042)).toBe('$0.0000042');
    expect(formatUsd(12.5)).toBe('$12.50');
    expect(formatUsd(1234.4)).toBe('$1,234');
    expect(formatUsd(null)).toBe('—');
    expect(formatMs(850)).toBe('850 ms');
    expect(formatMs(1500)).toBe('1.50 s');
  });

  it('lists every hour of a range, so quiet hours chart as zero', () => {
    const range = resolveRange(RANGE_PRESETS[1], Date.parse('2026-01-02T10:30:00Z'));
    expect(range.to).toBe('2026-01-02T10:31:00.000Z');
    const starts = bucketStarts(range, 'hour');
    expect(starts).toHaveLength(25);
    expect(new Date(starts[0]).toISOString()).toBe('2026-01-01T10:00:00.000Z');
  });

  it('splits a cost into input, cached input and output at the list price', () => {
    const lines = costBreakdown(
      { input_tokens: 1_000_000, cached_tokens: 400_000, output_tokens: 100_000, reasoning_tokens: 0 },
      { id: 'openai/gpt-4o-mini', provider: 'openai', model: 'gpt-4o-mini', input_per_mtok: '0.15', output_per_mtok: '0.6', cached_input_per_mtok: '0.075' },
    );
    expect(lines?.map((l) => [l.label, l.tokens, Number(l.usd.toFixed(6))])).toEqual([
      ['Input', 600_000, 0.09],
      ['Cached input', 400_000, 0.03],
      ['Output', 100_000, 0.06],
    ]);
    expect(costBreakdown({ input_tokens: 1, cached_tokens: 0, output_tokens: 1, reasoning_tokens: 0 }, undefined)).toBeNull();
  });
});
