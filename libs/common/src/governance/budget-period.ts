export type BudgetPeriod = '1h' | '1d' | '1w' | '1M' | 'total';

export const BUDGET_PERIODS: readonly BudgetPeriod[] = ['1h', '1d', '1w', '1M', 'total'];

/**
 * Budgets reset on calendar boundaries in UTC (the top of the hour, midnight, Monday 00:00,
 * the 1st of the month), so every replica and the admin app agree on the current period
 * without coordination. `total` never resets.
 */
export function periodStart(period: BudgetPeriod, now: Date): Date {
  const d = new Date(now.getTime());
  switch (period) {
    case '1h':
      d.setUTCMinutes(0, 0, 0);
      return d;
    case '1d':
      d.setUTCHours(0, 0, 0, 0);
      return d;
    case '1w': {
      d.setUTCHours(0, 0, 0, 0);
      const sinceMonday = (d.getUTCDay() + 6) % 7;
      d.setUTCDate(d.getUTCDate() - sinceMonday);
      return d;
    }
    case '1M':
      d.setUTCHours(0, 0, 0, 0);
      d.setUTCDate(1);
      return d;
    case 'total':
      return new Date(0);
  }
}

/** When the current period ends (null for `total`). */
export function periodEnd(period: BudgetPeriod, now: Date): Date | null {
  const start = periodStart(period, now);
  switch (period) {
    case '1h':
      return new Date(start.getTime() + 3_600_000);
    case '1d':
      return new Date(start.getTime() + 86_400_000);
    case '1w':
      return new Date(start.getTime() + 7 * 86_400_000);
    case '1M':
      return new Date(Date.UTC(start.getUTCFullYear(), start.getUTCMonth() + 1, 1));
    case 'total':
      return null;
  }
}
