import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Client } from 'pg';
import { generateVirtualKeySecret } from '@app/common/virtual-keys/virtual-key-secret';
import { createFakeUpstream, type FakeUpstream } from '../../apps/fake-upstream/src/fake-upstream';
import { awayFromMinuteBoundary, eventually, startGatewayHarness, type GatewayHarness } from '../support/gateway-harness';
import { GATEWAY_MAIN, startGatewayProcess } from '../support/gateway-process';
import { createTestDatabase, type TestDatabase } from '../support/test-database';
import { testEnv } from '../support/test-env.config';
import { describeWhen, NEEDS_BUILD, NEEDS_REDIS } from '../support/describe-when';

/**
 * The budget guarantee (README, Governance): admission reserves each request's worst case, so
 * under any concurrency, in one process or across replicas sharing Redis, a budget is overshot
 * by at most one request; tokens per minute likewise.
 */

// $1 per 1M input tokens, $2 per 1M output tokens: costs are easy to check.
const PRICING = { 'openai/gpt-4o-mini': { input_per_mtok: 1, output_per_mtok: 2 } };
const BUDGET_USD = 0.01;
// A cheap call: about 100 bytes in, at most 20 out; it reports 100 in, 20 out ($0.00014).
const CHEAP = (i: number) => JSON.stringify({ model: 'openai/gpt-4o-mini', input: `cheap ${i} [[usage:100,20]]`, max_output_tokens: 20 });
const CHEAP_USD = 100e-6 + 20 * 2e-6;
// Worth more than what is left after the history: up to 8,000 tokens out ($0.016 alone), really 1,000 in and 6,000 out ($0.013).
const DEAR = (i: number) => JSON.stringify({ model: 'openai/gpt-4o-mini', input: `dear ${i} [[usage:1000,6000]] [[delay:50]]`, max_output_tokens: 8000 });
const DEAR_USD = 1000e-6 + 6000 * 2e-6;
// A tenth of the budget, worst case about $0.0011: at most nine fit beside each other.
const TENTH = (i: number) => JSON.stringify({ model: 'openai/gpt-4o-mini', input: `tenth ${i} [[usage:100,400]] [[delay:50]]`, max_output_tokens: 500 });

type Post = (i: number, body: string) => Promise<number>;

async function spentUsd(pg: Client, keyId: string): Promise<number> {
  const r = await pg.query(`SELECT COALESCE(SUM(cost_usd), 0)::float8 AS spent FROM request_logs WHERE virtual_key_id = $1`, [keyId]);
  return r.rows[0].spent as number;
}

/** The scenarios, against whatever `post` reaches (one gateway, or two processes in turn). */
interface Target {
  post: (key: string) => Post;
  pg: Client;
  createKey: (fields: Record<string, unknown>) => Promise<{ id: string; key: string }>;
  /** Resolves once the key's `rows` request-log rows are in the database. */
  logged: (keyId: string, rows: number) => Promise<void>;
}

async function loggedRows(pg: Client, keyId: string, rows: number): Promise<void> {
  await eventually(async () => (await pg.query(`SELECT count(*)::int AS n FROM request_logs WHERE virtual_key_id = $1`, [keyId])).rows[0].n === rows, 5_000);
}

function budgetScenarios(ctx: () => Target) {
  it('after a history of cheap calls, 50 concurrent requests each worth more than what is left admit at most one', async () => {
    const { post, pg, createKey, logged } = ctx();
    const { id, key } = await createKey({ budget_max_usd: BUDGET_USD, budget_period: 'total' });
    const send = post(key);
    for (let i = 0; i < 5; i++) expect(await send(i, CHEAP(i))).toBe(200);
    await logged(id, 5);
    const before = await spentUsd(pg, id);
    expect(before).toBeCloseTo(5 * CHEAP_USD, 8);
    expect(BUDGET_USD - before).toBeLessThan(DEAR_USD);

    const statuses = await Promise.all(Array.from({ length: 50 }, (_, i) => send(i, DEAR(i))));
    expect(statuses.every((s) => s === 200 || s === 402)).toBe(true);
    const served = statuses.filter((s) => s === 200).length;
    expect(served).toBeLessThanOrEqual(1);
    await logged(id, 5 + served);
    expect(await spentUsd(pg, id)).toBeLessThanOrEqual(BUDGET_USD + DEAR_USD);
  });

  it('50 concurrent requests each worth a tenth of the budget never jointly pass it', async () => {
    const { post, pg, createKey, logged } = ctx();
    const { id, key } = await createKey({ budget_max_usd: BUDGET_USD, budget_period: 'total' });
    const send = post(key);
    const statuses = await Promise.all(Array.from({ length: 50 }, (_, i) => send(i, TENTH(i))));
    const served = statuses.filter((s) => s === 200).length;
    expect(statuses.every((s) => s === 200 || s === 402)).toBe(true);
    expect(served).toBeGreaterThan(0);
    await logged(id, served);
    // Each really costs $0.0009 and reserved its worst case: the budget is never passed.
    expect(await spentUsd(pg, id)).toBeLessThanOrEqual(BUDGET_USD);
  });

  it('a burst of 50 requests of 10,000 tokens each passes a 1,000 tokens-per-minute limit at most once', async () => {
    const { post, createKey } = ctx();
    const { key } = await createKey({ rate_limit_tpm: 1_000 });
    const send = post(key);
    await awayFromMinuteBoundary(10_000);
    const body = (i: number) => JSON.stringify({ model: 'openai/gpt-4o-mini', input: `burst ${i} [[usage:2000,8000]] [[delay:50]]`, max_output_tokens: 8000 });
    const statuses = await Promise.all(Array.from({ length: 50 }, (_, i) => send(i, body(i))));
    expect(statuses.every((s) => s === 200 || s === 429)).toBe(true);
    expect(statuses.filter((s) => s === 200).length).toBeLessThanOrEqual(1);
  });
}

describe('the budget guarantee in one gateway (in-process counters)', () => {
  let h: GatewayHarness;
  let pg: Client;

  beforeAll(async () => {
    h = await startGatewayHarness({ pricing: PRICING });
    pg = new Client({ connectionString: h.db.url });
    await pg.connect();
  });
  afterAll(async () => {
    await pg?.end();
    await h?.close();
  });

  budgetScenarios(() => ({
    pg,
    createKey: (fields) => h.createKey(fields),
    logged: (keyId, rows) => loggedRows(pg, keyId, rows),
    post: (key) => (_i, body) => fetch(`${h.url}/v1/responses`, { method: 'POST', headers: { authorization: `Bearer ${key}` }, body }).then(async (r) => (await r.arrayBuffer(), r.status)),
  }));
});

describeWhen(testEnv.redisUrl && existsSync(GATEWAY_MAIN), `${NEEDS_REDIS}, or ${NEEDS_BUILD}`)('the budget guarantee across two gateway processes sharing Redis', () => {
  let db: TestDatabase;
  let upstream: FakeUpstream;
  let pg: Client;
  const gateways: Awaited<ReturnType<typeof startGatewayProcess>>[] = [];

  beforeAll(async () => {
    db = await createTestDatabase();
    upstream = await createFakeUpstream();
    const dir = mkdtempSync(path.join(tmpdir(), 'gw-budget-'));
    const file = path.join(dir, 'gateway.json');
    writeFileSync(
      file,
      JSON.stringify({
        providers: { openai: { base_url: `${upstream.url}/v1`, keys: [{ value: 'sk-up' }], max_retries: 0 } },
        pricing: PRICING,
        server: { key_refresh_ms: 100, log_flush_interval_ms: 20 },
      }),
    );
    const env = { ...db.appEnv, GATEWAY_CONFIG: file, DATABASE_URL: db.url, REDIS_URL: testEnv.redisUrl!, GATEWAY_PORT: '0', HOST: '127.0.0.1', DATA_DIR: dir };
    gateways.push(...(await Promise.all([startGatewayProcess(env), startGatewayProcess(env)])));
    pg = new Client({ connectionString: db.url });
    await pg.connect();
  });
  afterAll(async () => {
    await pg?.end();
    for (const g of gateways) g.child.kill('SIGTERM');
    await Promise.all(gateways.map((g) => g.exited));
    await upstream?.close();
    await db?.drop();
  });

  const call = (url: string, key: string, body: string) =>
    fetch(`${url}/v1/responses`, { method: 'POST', headers: { authorization: `Bearer ${key}` }, body }).then(async (r) => (await r.arrayBuffer(), r.status));

  budgetScenarios(() => ({
    pg,
    async createKey(fields) {
      const { secret, hash } = generateVirtualKeySecret();
      const r = await pg.query(
        `INSERT INTO virtual_keys (name, key_hash, key_prefix, budget_max_usd, budget_period, rate_limit_tpm) VALUES ('budget', $1, $2, $3, $4, $5) RETURNING id`,
        [hash, secret.slice(0, 10), fields.budget_max_usd ?? null, fields.budget_period ?? null, fields.rate_limit_tpm ?? null],
      );
      // Both processes poll keys every 100 ms: wait until each knows this one.
      for (const g of gateways) await eventually(async () => (await fetch(`${g.url}/v1/models`, { headers: { authorization: `Bearer ${secret}` } })).status === 200);
      return { id: r.rows[0].id as string, key: secret };
    },
    logged: (keyId, rows) => loggedRows(pg, keyId, rows),
    // Requests alternate between the two processes.
    post: (key) => (i, body) => call(gateways[i % 2].url, key, body),
  }));
});
