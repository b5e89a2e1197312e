import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { GATEWAY_MAIN as MAIN, startGatewayProcess } from '../support/gateway-process';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Client } from 'pg';
import { generateVirtualKeySecret } from '@app/common/virtual-keys/virtual-key-secret';
import { createFakeUpstream, type FakeUpstream } from '../../apps/fake-upstream/src/fake-upstream';
import { expectedCost, expectedRows, LOAD_PRICE, planRequests, runLoad } from '../support/load';
import { createTestDatabase, type TestDatabase } from '../support/test-database';
import { describeWhen, NEEDS_BUILD } from '../support/describe-when';

const CONCURRENCY = 50;

describeWhen(existsSync(MAIN), NEEDS_BUILD)('SIGTERM mid-load (the built gateway process; `npm test` builds it first)', () => {
  let db: TestDatabase;
  let upstream: FakeUpstream;

  beforeAll(async () => {
    db = await createTestDatabase();
    upstream = await createFakeUpstream();
  });
  afterAll(async () => {
    await upstream?.close();
    await db?.drop();
  });

  it('finishes what is in flight, refuses the rest, and every answered request has its rows', async () => {
    const pg = new Client({ connectionString: db.url });
    await pg.connect();
    const { secret, hash } = generateVirtualKeySecret();
    const keyId: string = (await pg.query(`INSERT INTO virtual_keys (name, key_hash, key_prefix) VALUES ('sigterm', $1, $2) RETURNING id`, [hash, secret.slice(0, 10)])).rows[0].id;

    const dir = mkdtempSync(path.join(tmpdir(), 'gw-sigterm-'));
    const file = path.join(dir, 'gateway.json');
    // The upstream timeout is far above what a loaded machine needs to answer, so an answered
    // request never also leaves a timeout row; the dead provider refuses connections at once.
    const fast = { max_retries: 0, timeout_ms: 60_000 };
    writeFileSync(file, JSON.stringify({
      providers: {
        openai: { base_url: `${upstream.url}/v1`, keys: [{ value: 'sk-up' }], ...fast },
        dead: { kind: 'openai-compatible', base_url: 'http://127.0.0.1:9/v1', keys: [{ value: 'x' }], ...fast },
      },
      // Logs are only flushed every minute: the rows the test finds were flushed by the shutdown.
      server: { log_flush_interval_ms: 60_000 },
      pricing: { 'openai/gpt-4o-mini': LOAD_PRICE },
    }));
    const gw = await startGatewayProcess({ ...db.appEnv, GATEWAY_CONFIG: file, DATABASE_URL: db.url, GATEWAY_PORT: '0', HOST: '127.0.0.1', DATA_DIR: dir });

    let signalled = false;
    const results = await runLoad(`${gw.url}/v1`, secret, planRequests(400), CONCURRENCY, (done) => {
      if (done === 120 && !signalled) {
        signalled = true;
        gw.child.kill('SIGTERM');
      }
    });
    expect(await gw.exited).toBe(0);

    const answered = results.filter((r) => r.status !== 0);
    expect(answered.length).toBeGreaterThanOrEqual(120);
    expect(answered.length).toBeLessThan(400); // the rest were refused once it stopped accepting
    // The load sends its own ids as x-request-id: the log keeps them as client_request_id.
    const rows: { request_id: string; status: string; cost_usd: string | null }[] = (
      await pg.query(`SELECT client_request_id AS request_id, status, cost_usd FROM request_logs WHERE virtual_key_id = $1`, [keyId])
    ).rows;
    await pg.end();
    const byRequest = new Map<string, typeof rows>();
    for (const row of rows) byRequest.set(row.request_id, [...(byRequest.get(row.request_id) ?? []), row]);
    for (const r of answered) {
      const mine = byRequest.get(r.id) ?? [];
      expect({ id: r.id, rows: mine.length }).toEqual({ id: r.id, rows: expectedRows(r) });
      if (r.status === 200) {
        const success = mine.filter((m) => m.status === 'success');
        expect({ id: r.id, success: success.length, cost: success[0]?.cost_usd }).toEqual({ id: r.id, success: 1, cost: expectedCost(r.input, r.output) });
      }
    }
    // Every row is one the load caused, and a request nobody got an answer to has none, beyond
    // those cut at the very moment of exit: at most one per concurrent client, each within its plan.
    const sent = new Map(results.map((r) => [r.id, r]));
    expect([...byRequest.keys()].filter((id) => !sent.has(id))).toEqual([]);
    const cut = results.filter((r) => r.status === 0 && byRequest.has(r.id));
    expect(cut.length).toBeLessThanOrEqual(CONCURRENCY);
    for (const r of cut) expect(byRequest.get(r.id)!.length).toBeLessThanOrEqual(expectedRows(r));
  });
});
