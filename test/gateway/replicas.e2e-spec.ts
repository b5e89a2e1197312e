import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Client } from 'pg';
import { generateVirtualKeySecret } from '@app/common/virtual-keys/virtual-key-secret';
import { createFakeUpstream, type FakeUpstream } from '../../apps/fake-upstream/src/fake-upstream';
import { awayFromMinuteBoundary, eventually } from '../support/gateway-harness';
import { GATEWAY_MAIN, startGatewayProcess, stopProcesses } from '../support/gateway-process';
import { createTestDatabase, type TestDatabase } from '../support/test-database';
import { testEnv } from '../support/test-env.config';
import { describeWhen, NEEDS_BUILD, NEEDS_REDIS, NEEDS_DATABASE_URL } from '../support/describe-when';

const redisUrl = testEnv.redisUrl;

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
    writeFileSync(file, JSON.stringify({ providers: { openai: { base_url: `${upstream.url}/v1`, keys: [{ value: 'sk-up' }] } }, server: { key_refresh_ms: 100 } }));
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
});
