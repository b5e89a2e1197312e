import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Client } from 'pg';
import { ADMIN_MAIN, type AppProcess, GATEWAY_MAIN, startAppProcess, stopProcesses } from '../support/gateway-process';
import { createTestDatabase, type TestDatabase } from '../support/test-database';
import { testEnv } from '../support/test-env.config';
import { describeWhen, NEEDS_BUILD, NEEDS_DATABASE_URL } from '../support/describe-when';

const ROUNDS = Array.from({ length: 10 }, (_, i) => i + 1);

/**
 * "Any number of gateway and admin processes may start at once against a fresh database":
 * three gateways and one admin app, started in the same moment on an empty database, all
 * come up, with each migration applied once. Separate processes share only Postgres.
 */
describeWhen(testEnv.databaseUrl && existsSync(GATEWAY_MAIN), `${NEEDS_DATABASE_URL}, or ${NEEDS_BUILD}`)('a cold start of three gateways and one admin at once', () => {
  let db: TestDatabase | undefined;
  let running: AppProcess[] = [];

  afterEach(async () => {
    // Start-up is the subject here: no need to wait for graceful stops.
    await stopProcesses(running, 0);
    running = [];
    await db?.drop();
    db = undefined;
  });

  it.each(ROUNDS)('round %i: every process is ready and each migration ran once', async () => {
    db = await createTestDatabase({ migrated: false });
    const dir = mkdtempSync(path.join(tmpdir(), 'gw-cold-'));
    const env = { DATABASE_URL: db.url, GATEWAY_PORT: '0', ADMIN_PORT: '0', HOST: '127.0.0.1', ADMIN_TOKEN: 'cold-start-admin-token', DATA_DIR: dir, STARTUP_TIMEOUT_MS: '100000' };
    const starts = [GATEWAY_MAIN, GATEWAY_MAIN, GATEWAY_MAIN, ADMIN_MAIN].map((main) => startAppProcess(main, env));
    const settled = await Promise.allSettled(starts);
    running = settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
    for (const s of settled) if (s.status === 'rejected') throw s.reason;

    for (const p of running) expect((await fetch(`${p.url}/ready`)).status).toBe(200);
    const pg = new Client({ connectionString: db.url });
    await pg.connect();
    try {
      const { rows } = await pg.query<{ name: string; n: string }>('SELECT name, count(*) AS n FROM migrations GROUP BY name');
      expect(rows.length).toBeGreaterThanOrEqual(5);
      for (const r of rows) expect(Number(r.n)).toBe(1);
    } finally {
      await pg.end();
    }
    // Exactly one process applied them; any other that found them pending said it was waiting.
    const outputs = running.map((p) => p.output());
    expect(outputs.filter((o) => o.includes('migrations applied'))).toHaveLength(1);
  }, 120_000);
});
