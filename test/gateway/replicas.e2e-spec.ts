import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import OpenAI from 'openai';
import { Client } from 'pg';
import { generateVirtualKeySecret } from '@app/common/virtual-keys/virtual-key-secret';
import { createFakeUpstream, type FakeUpstream } from '../../apps/fake-upstream/src/fake-upstream';
import { idStemOf } from '../../apps/gateway/src/state/stored-response';
import { awayFromMinuteBoundary, eventually } from '../support/gateway-harness';
import { GATEWAY_MAIN, startGatewayProcess, stopProcesses } from '../support/gateway-process';
import { createTestDatabase, type TestDatabase } from '../support/test-database';
import { testEnv } from '../support/test-env.config';
import { describeWhen, NEEDS_BUILD, NEEDS_REDIS, NEEDS_DATABASE_URL } from '../support/describe-when';

const redisUrl = testEnv.redisUrl;
// The stored-response writer's interval too: a replica waits for a recent id up to two of them (recent-writes.ts).
const FLUSH_MS = 1_000;

// Separate processes share only Postgres and Redis: the embedded database serves one process.
describeWhen(redisUrl && testEnv.databaseUrl && existsSync(GATEWAY_MAIN), `needs REDIS_URL, DATABASE_URL and the build: ${[!redisUrl && NEEDS_REDIS, !testEnv.databaseUrl && NEEDS_DATABASE_URL, !existsSync(GATEWAY_MAIN) && NEEDS_BUILD].filter(Boolean).join('; ')}`)('two gateway processes on one database and one Redis', () => {
  let db: TestDatabase;
  let upstream: FakeUpstream;
  const gateways: Awaited<ReturnType<typeof startGatewayProcess>>[] = [];

  beforeAll(async () => {
    db = await createTestDatabase();
    upstream = await createFakeUpstream();
    const dir = mkdtempSync(path.join(tmpdir(), 'gw-replicas-'));
    const file = path.join(dir, 'gateway.json');
    writeFileSync(file, JSON.stringify({ providers: { openai: { base_url: `${upstream.url}/v1`, keys: [{ value: 'sk-up' }] } }, server: { key_refresh_ms: 100, log_flush_interval_ms: FLUSH_MS } }));
    const env = { ...db.appEnv, GATEWAY_CONFIG: file, DATABASE_URL: db.url, REDIS_URL: redisUrl!, GATEWAY_PORT: '0', HOST: '127.0.0.1', DATA_DIR: dir };
    gateways.push(...(await Promise.all([startGatewayProcess(env), startGatewayProcess(env)])));
  });
  afterAll(async () => {
    await stopProcesses(gateways);
    await upstream?.close();
    await db?.drop();
  });

  it('hold one requests_per_minute limit together', async () => {
    const pg = new Client({ connectionString: db.url });
    await pg.connect();
    const { secret, hash } = generateVirtualKeySecret();
    await pg.query(`INSERT INTO virtual_keys (name, key_hash, key_prefix, rate_limit_rpm) VALUES ('replicas', $1, $2, 6)`, [hash, secret.slice(0, 10)]);
    await pg.end();
    // Written behind the admin API's back: the replicas learn of it from its notification.
    for (const g of gateways) await eventually(async () => (await fetch(`${g.url}/v1/models`, { headers: { authorization: `Bearer ${secret}` } })).status === 200);
    await awayFromMinuteBoundary();

    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) {
      const res = await fetch(`${gateways[i % 2].url}/v1/responses`, {
        method: 'POST',
        headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' },
        body: '{"model":"openai/gpt-4o-mini","input":"hi"}',
      });
      statuses.push(res.status);
    }
    expect(statuses.filter((s) => s === 200)).toHaveLength(6);
    expect(statuses.filter((s) => s === 429)).toHaveLength(6);
  });

  it('a follow-up at the other replica works the moment the answer arrived: it waits for the write instead of a 404', async () => {
    const pg = new Client({ connectionString: db.url });
    await pg.connect();
    const { secret, hash } = generateVirtualKeySecret();
    await pg.query(`INSERT INTO virtual_keys (name, key_hash, key_prefix) VALUES ('replicas-state', $1, $2)`, [hash, secret.slice(0, 10)]);
    for (const g of gateways) await eventually(async () => (await fetch(`${g.url}/v1/models`, { headers: { authorization: `Bearer ${secret}` } })).status === 200);
    const [a, b] = gateways.map((g) => new OpenAI({ apiKey: secret, baseURL: `${g.url}/v1`, maxRetries: 0 }));
    const stored = async (id: string) => (await pg.query('SELECT 1 FROM stored_responses WHERE id = $1', [id])).rowCount;
    // Replica a's writes wait behind this lock (a SHARE lock refuses COPY's ROW EXCLUSIVE, lets reads through):
    // the row cannot be in the table until the test lets it, whenever a's writer ticks.
    const holder = new Client({ connectionString: db.url });
    await holder.connect();
    const writeBlocked = async () => (await pg.query(
      "SELECT 1 FROM pg_locks WHERE relation = 'stored_responses'::regclass AND NOT granted",
    )).rowCount! > 0;
    try {
      await holder.query('BEGIN');
      await holder.query('LOCK TABLE stored_responses IN SHARE MODE');
      const r1 = await a.responses.create({ model: 'openai/gpt-4o-mini', input: 'My name is Ada.' });
      // Written behind the answer: not in the table, so replica b has to wait for it.
      expect(await stored(r1.id)).toBe(0);
      let settled = false;
      const followUp = b.responses.create({ model: 'openai/gpt-4o-mini', input: 'What is my name?', previous_response_id: r1.id }).finally(() => {
        settled = true;
      });
      followUp.catch(() => undefined);
      // a's writer has tried to write it (and waits for the lock) while b is still waiting for the row.
      await eventually(writeBlocked);
      expect(await stored(r1.id)).toBe(0);
      expect(settled).toBe(false);
      await holder.query('COMMIT');
      const r2 = await followUp;
      expect(r2.previous_response_id).toBe(r1.id);
      expect((upstream.requests.at(-1)!.body as { input: unknown[] }).input).toHaveLength(3);

      const r3 = await a.responses.create({ model: 'openai/gpt-4o-mini', input: 'Again' });
      const r4 = await b.responses.create({ model: 'openai/gpt-4o-mini', input: [{ type: 'item_reference', id: r3.output[0].id! }, { role: 'user', content: 'Go on' }] as never });
      expect(r4.status).toBe('completed');
      // A user item the gateway minted has no stored_items row: its id names r7, whose row b waits for.
      const r7 = await a.responses.create({ model: 'openai/gpt-4o-mini', input: 'Mine' });
      await b.responses.create({ model: 'openai/gpt-4o-mini', input: [{ type: 'item_reference', id: `msg_${idStemOf(r7.id)}in0` }] as never });
      expect(JSON.stringify(upstream.requests.at(-1)!.body)).toContain('"Mine"');

      const r5 = await a.responses.create({ model: 'openai/gpt-4o-mini', input: 'Read me back' });
      expect((await b.responses.retrieve(r5.id)).output_text).toBe(r5.output_text);
      const r6 = await a.responses.create({ model: 'openai/gpt-4o-mini', input: 'Delete me' });
      expect(await b.responses.delete(r6.id)).toEqual({ id: r6.id, object: 'response', deleted: true });
      await expect(a.responses.retrieve(r6.id)).rejects.toMatchObject({ status: 404 });
    } finally {
      await holder.end();
      await pg.end();
    }
  });
});
