import { periodEnd, periodStart } from './budget-period';

describe('budget periods (calendar-aligned, UTC)', () => {
  const now = new Date('2026-11-25T21:47:13.123Z'); // a Wednesday

  it.each([
    ['1h', '2026-11-25T21:00:00.000Z', '2026-11-25T22:00:00.000Z'],
    ['1d', '2026-11-25T00:00:00.000Z', '2026-11-26T00:00:00.000Z'],
    ['1w', '2026-11-23T00:00:00.000Z', '2026-11-30T00:00:00.000Z'],
    ['1M', '2026-11-01T00:00:00.000Z', '2026-12-01T00:00:00.000Z'],
  ] as const)('%s', (period, start, end) => {
    expect(periodStart(period, now).toISOString()).toBe(start);
    expect(periodEnd(period, now)!.toISOString()).toBe(end);
  });

  it('weeks start on Monday, also from a Sunday; months roll over the year', () => {
    expect(periodStart('1w', new Date('2026-11-29T23:59:59Z')).toISOString()).toBe('2026-11-23T00:00:00.000Z');
    expect(periodEnd('1M', new Date('2026-12-31T12:00:00Z'))!.toISOString()).toBe('2027-01-01T00:00:00.000Z');
  });

  it('total never resets', () => {
    expect(periodStart('total', now).getTime()).toBe(0);
    expect(periodEnd('total', now)).toBeNull();
  });
});
