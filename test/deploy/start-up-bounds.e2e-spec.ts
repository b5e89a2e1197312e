import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Client } from 'pg';
import { ADMIN_MAIN, GATEWAY_MAIN } from '../support/gateway-process';
import { createTestDatabase, type TestDatabase } from '../support/test-database';
import { testEnv } from '../support/test-env.config';
import { describeWhen, NEEDS_BUILD, NEEDS_DATABASE_URL } from '../support/describe-when';

// The lock runMigrations takes (libs/database/src/migrate.ts).
const MIGRATION_LOCK_ID = 7_420_001;

/** Runs an app to its exit: its code, its output and how long it took. */
function runToExit(main: string, env: Record<string, string>): Promise<{ code: number | null; output: string; ms: number }> {
  const started = Date.now();
  const child = spawn(process.execPath, [main], { env: { PATH: testEnv.path, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr.on('data', (c: Buffer) => (output += c.toString()));
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, output, ms: Date.now() - started })));
}

/** A start-up that cannot finish says why and exits non-zero within STARTUP_TIMEOUT_MS. */
describeWhen(existsSync(GATEWAY_MAIN), NEEDS_BUILD)('a start-up that cannot finish', () => {
  const base = () => ({ GATEWAY_PORT: '0', ADMIN_PORT: '0', HOST: '127.0.0.1', ADMIN_TOKEN: 'start-up-bounds-token', DATA_DIR: mkdtempSync(path.join(tmpdir(), 'gw-bounds-')), STARTUP_TIMEOUT_MS: '2000' });

  it('exits 1 naming the database it waited for when nothing answers', async () => {
    const run = await runToExit(GATEWAY_MAIN, { ...base(), DATABASE_URL: 'postgres://postgres@127.0.0.1:9/nowhere' });
    expect(run.code).toBe(1);
    expect(run.output).toContain('waiting for the database at 127.0.0.1:9/nowhere');
    expect(run.output).toMatch(/gateway: the database at 127\.0\.0\.1:9\/nowhere did not answer in time/);
    expect(run.ms).toBeLessThan(60_000);
  }, 90_000);

  describeWhen(testEnv.databaseUrl, NEEDS_DATABASE_URL)('behind another process holding the migration lock', () => {
    let db: TestDatabase;
    let holder: Client;
    beforeAll(async () => {
      db = await createTestDatabase({ migrated: false });
      holder = new Client({ connectionString: db.url, application_name: 'stuck-migrator' });
      await holder.connect();
      await holder.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_ID]);
    });
    afterAll(async () => {
      await holder?.end();
      await db?.drop();
    });

    it('says it is waiting and for whom, then exits 1 when the bound is reached', async () => {
      const run = await runToExit(ADMIN_MAIN, { ...base(), DATABASE_URL: db.url });
      expect(run.code).toBe(1);
      expect(run.output).toMatch(/admin: waiting for another process to finish applying migrations \(held by server pid \d+ \(stuck-migrator\)/);
      expect(run.output).toContain("admin: gave up waiting for another process's migrations");
      expect(run.ms).toBeLessThan(60_000);
    }, 90_000);
  });
});
