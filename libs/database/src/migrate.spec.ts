import { migrationBudgetMs } from './migrate';

describe('start-up migrations', () => {
  it("stop waiting before the start-up watchdog's limit, so that their own reason is what the process says", () => {
    expect(migrationBudgetMs(120_000)).toBe(119_500);
    expect(migrationBudgetMs(1_500)).toBe(1_000);
    // A budget nearly spent keeps half of it, and none is none.
    expect(migrationBudgetMs(600)).toBe(300);
    expect(migrationBudgetMs(0)).toBe(0);
  });
});
