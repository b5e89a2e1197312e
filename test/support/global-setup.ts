import { EmbeddedTestDatabases } from './embedded-test-databases';
import { exportToWorkers, testEnv } from './test-env.config';

/**
 * Without DATABASE_URL the suite runs on embedded Postgres instances kept here, in Jest's
 * parent process: PGlite loads its WASM through dynamic import, which Jest's module VM
 * refuses. Workers ask for a database of their own through the service's URL.
 */
export default async function globalSetup(): Promise<void> {
  if (testEnv.databaseUrl) return;
  const service = new EmbeddedTestDatabases();
  exportToWorkers('EMBEDDED_TEST_DATABASES_URL', await service.start());
  (globalThis as { __embeddedDatabases?: EmbeddedTestDatabases }).__embeddedDatabases = service;
}
