// Test-only environment: the one place tests read process.env.
export const testEnv = {
  databaseUrl: process.env.DATABASE_URL || undefined,
  /** Set by global-setup when the suite runs on the embedded database. */
  embeddedDatabaseUrl: process.env.EMBEDDED_TEST_DATABASE_URL || undefined,
  redisUrl: process.env.REDIS_URL || undefined,
  /** The fuzz suite's seed (test/hostile/fuzz.e2e-spec.ts), to reproduce or vary a run. */
  fuzzSeed: process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : undefined,
  /** Child processes get this PATH and nothing else of the test's environment. */
  path: process.env.PATH ?? '',
};
