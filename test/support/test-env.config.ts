// Test-only environment: the one place tests read (and, for Jest's workers, write) process.env.
export const testEnv = {
  databaseUrl: process.env.DATABASE_URL || undefined,
  /** Set by global-setup when the suite runs on embedded databases: hands each test file its own. */
  embeddedDatabasesUrl: process.env.EMBEDDED_TEST_DATABASES_URL || undefined,
  redisUrl: process.env.REDIS_URL || undefined,
  /** The fuzz suite's seed (test/hostile/fuzz.e2e-spec.ts), to reproduce or vary a run. */
  fuzzSeed: process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : undefined,
  /** CI=true: tools CI installs (chromium, docker-compose) must be there; locally their tests skip. */
  ci: process.env.CI === 'true',
  /** Child processes get this PATH and nothing else of the test's environment. */
  path: process.env.PATH ?? '',
};

/** global-setup runs in Jest's parent: its environment is what the workers inherit. */
export function exportToWorkers(name: string, value: string): void {
  process.env[name] = value;
}
