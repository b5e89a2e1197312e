import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { loadConfig } from '@app/config';
import { createTestDatabase, type TestDatabase } from './test-database';
import { type RunningAdmin, startAdmin } from '../../apps/admin/src/admin.bootstrap';

export interface AdminReply {
  status: number;
  headers: Headers;
  text: string;
  /** The parsed JSON when the answer is JSON, else the text. */
  // Tests read arbitrary JSON; typing every response would only restate the assertions.
  body: any;
}

export interface AdminCallOptions {
  body?: unknown;
  /** A request body sent as is (malformed JSON tests). */
  raw?: string;
  /** The bearer token: the app's by default, null for none. */
  token?: string | null;
}

export interface AdminTestApp {
  /** The admin token, known when the spec is collected (it.each tables may use it). */
  readonly token: string;
  readonly db: TestDatabase;
  readonly admin: RunningAdmin;
  /** A connection to the test database, for seeding and checking rows. */
  readonly pg: Client;
  readonly url: string;
  call(method: string, path: string, options?: AdminCallOptions): Promise<AdminReply>;
  get(path: string, token?: string | null): Promise<AdminReply>;
}

/**
 * Registers beforeAll/afterAll that boot the admin app the way production does (startAdmin)
 * on a fresh migrated database, with a random admin token. `env` adds to the environment the
 * configuration is read from (called in beforeAll); `seed` fills the database before the tests.
 */
export function useAdminApp(setup: { env?: () => Record<string, string>; seed?: (pg: Client) => Promise<void> } = {}): AdminTestApp {
  const token = `admin-${randomUUID()}`;
  let db: TestDatabase | undefined;
  let admin: RunningAdmin | undefined;
  let pg: Client | undefined;
  const ready = <T>(v: T | undefined, name: string): T => {
    if (v === undefined) throw new Error(`the admin test app has no ${name} outside its tests`);
    return v;
  };

  beforeAll(async () => {
    db = await createTestDatabase();
    const config = loadConfig({ ...db.appEnv, DATABASE_URL: db.url, ADMIN_TOKEN: token, ADMIN_PORT: '0', HOST: '127.0.0.1', ...setup.env?.() });
    admin = await startAdmin(config, { logger: false });
    pg = new Client({ connectionString: db.url });
    await pg.connect();
    await setup.seed?.(pg);
  });

  afterAll(async () => {
    await pg?.end();
    await admin?.close();
    await db?.drop();
  });

  const app: AdminTestApp = {
    token,
    get db() {
      return ready(db, 'database');
    },
    get admin() {
      return ready(admin, 'server');
    },
    get pg() {
      return ready(pg, 'database connection');
    },
    get url() {
      return ready(admin, 'server').url;
    },
    async call(method, path, options = {}) {
      const headers: Record<string, string> = {};
      const bearer = options.token === undefined ? token : options.token;
      if (bearer !== null) headers.authorization = `Bearer ${bearer}`;
      let payload: string | undefined;
      if (options.raw !== undefined || options.body !== undefined) {
        headers['content-type'] = 'application/json';
        payload = options.raw ?? JSON.stringify(options.body);
      }
      const res = await fetch(`${app.url}${path}`, { method, headers, body: payload });
      const text = await res.text();
      return { status: res.status, headers: res.headers, text, body: text && res.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text };
    },
    get(path, bearer) {
      return app.call('GET', path, { token: bearer });
    },
  };
  return app;
}
