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
 * A fresh, migrated database of its own for each call: a new database on the server named by
 * DATABASE_URL (CI: PostgreSQL 15), otherwise an embedded Postgres instance of its own from
 * the service global-setup runs. `migrated: false` leaves it empty (Postgres only), for
 * start-up tests. Call drop() in afterAll.
 */
export async function createTestDatabase(options: { migrated?: boolean } = {}): Promise<TestDatabase> {
  const serverUrl = testEnv.databaseUrl;
  if (!serverUrl) {
    if (options.migrated === false) throw new Error('an empty database needs DATABASE_URL (embedded test databases come migrated)');
    return embeddedTestDatabase();
  }
  const name = `gw_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  const admin = new Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  if (options.migrated !== false) await runMigrations(url.toString());
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

async function embeddedTestDatabase(): Promise<TestDatabase> {
  const service = testEnv.embeddedDatabasesUrl;
  if (!service) throw new Error('no DATABASE_URL and no embedded test databases (global-setup did not run)');
  const res = await fetch(`${service}/databases`, { method: 'POST' });
  if (!res.ok) throw new Error(`embedded test database: ${res.status} ${await res.text()}`);
  const { id, url } = (await res.json()) as { id: number; url: string };
  return {
    url,
    // One connection per app, as `npm start` runs on it (see apps/launcher): the embedded server
    // can interleave the protocol messages of concurrent connections.
    appEnv: { DATABASE_POOL_SIZE: '1' },
    async drop() {
      await fetch(`${service}/databases/${id}`, { method: 'DELETE' });
    },
  };
}
