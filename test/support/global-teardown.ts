import type { EmbeddedTestDatabases } from './embedded-test-databases';

export default async function globalTeardown(): Promise<void> {
  await (globalThis as { __embeddedDatabases?: EmbeddedTestDatabases }).__embeddedDatabases?.stop();
}
