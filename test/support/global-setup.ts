import { runMigrations, startEmbeddedPostgres } from '@app/database';
import { testEnv } from './test-env.config';

/**
 * Without DATABASE_URL the suite runs on one embedded Postgres started here, in Jest's
 * parent process: PGlite loads its WASM through dynamic import, which Jest's module VM
 * refuses. Workers inherit the URL through the environment.
 */
export default async function globalSetup(): Promise<void> {
  if (testEnv.databaseUrl) return;
  const embedded = await startEmbeddedPostgres();
  await runMigrations(embedded.url);
  (globalThis as { __embeddedPg?: { stop(): Promise<void> } }).__embeddedPg = embedded;
  setEmbeddedUrl(embedded.url);
}

function setEmbeddedUrl(url: string): void {
  process.env.EMBEDDED_TEST_DATABASE_URL = url;
}
