import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { runMigrations } from '@app/database';
import { testEnv } from './test-env.config';

export interface TestDatabase {
  url: string;
  /** Environment an app under test needs for this database, besides DATABASE_URL. */
  appEnv: Record<string, string>;
  drop(): Promise<void>;
}

/**
 * A fresh, migrated database per test file: a new database on the server named by
 * DATABASE_URL (CI: PostgreSQL 15), otherwise the shared in-memory embedded Postgres.
 */
export async function createTestDatabase(): Promise<TestDatabase> {
  const serverUrl = testEnv.databaseUrl;
  if (!serverUrl) {
    // The embedded server has one database for all files (see global-setup): tests scope
    // their assertions to the keys and requests they create.
    const url = testEnv.embeddedDatabaseUrl;
    if (!url) throw new Error('no DATABASE_URL and no embedded test database (global-setup did not run)');
    // One connection per app, as `npm start` runs on it (see apps/launcher): the embedded server
    // can interleave the protocol messages of concurrent connections.
    return { url, appEnv: { DATABASE_POOL_SIZE: '1' }, drop: async () => undefined };
  }
  const name = `gw_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  const admin = new Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  await runMigrations(url.toString());
  return {
    url: url.toString(),
    appEnv: {},
    async drop() {
      const c = new Client({ connectionString: serverUrl });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}
