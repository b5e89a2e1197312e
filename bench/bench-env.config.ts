// Benchmark-only environment.
export const benchEnv = {
  databaseUrl: process.env.DATABASE_URL || undefined,
  rows: Number(process.env.BENCH_LOG_ROWS || 1_000_000),
};
