import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import OpenAI from 'openai';
import { loadConfig } from '@app/config';
import { createFakeUpstream, type FakeUpstream } from '../../apps/fake-upstream/src/fake-upstream';
import { type RunningAdmin, startAdmin } from '../../apps/admin/src/admin.bootstrap';
import { ADMIN_TOKEN, awayFromMinuteBoundary, startGatewayHarness, type GatewayHarness } from '../support/gateway-harness';
import { GATEWAY_MAIN, type GatewayProcess, startGatewayProcess, stopProcesses } from '../support/gateway-process';
import { createTestDatabase, type TestDatabase } from '../support/test-database';
import { testEnv } from '../support/test-env.config';
import { describeWhen, NEEDS_BUILD, NEEDS_DATABASE_URL } from '../support/describe-when';

/**
 * The contract's "an admin change is in force when the admin API returns": every request here
 * is the very next one after the admin call, with no wait and no refresh, and the gateways'
 * safety-net poll is set to a minute so that only the pushed change can make them pass.
 */
interface Topology {
  gateways: string[];
  upstream: FakeUpstream;
  admin(method: string, route: string, body?: unknown): Promise<Response>;
}

const POLL_MS = 60_000;
const MODEL = 'openai/gpt-4o-mini';

async function adminJson(t: Topology, method: string, route: string, body?: unknown): Promise<{ body: Record<string, unknown>; synced: string | null }> {
  const res = await t.admin(method, route, body);
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${route}: ${res.status} ${text}`);
  return { body: (text === '' ? {} : JSON.parse(text)) as Record<string, unknown>, synced: res.headers.get('x-bf-replicas-synced') };
}

function call(gateway: string, key: string, input = 'hi'): Promise<Response> {
  return fetch(`${gateway}/v1/responses`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: MODEL, input }),
  });
}

/** Every gateway expected to confirm did. */
function expectAllSynced(synced: string | null, gateways: number): void {
  const [confirmed, expected] = (synced ?? '').split('/').map(Number);
  expect(expected).toBeGreaterThanOrEqual(gateways);
  expect(confirmed).toBe(expected);
}

function scenarios(topology: () => Topology): void {
  it('a new key works at every gateway on the very next request, through the official SDK', async () => {
    const t = topology();
    const created = await adminJson(t, 'POST', '/api/virtual-keys', { name: 'fresh' });
    expectAllSynced(created.synced, t.gateways.length);
    for (const g of t.gateways) {
      const sdk = new OpenAI({ apiKey: created.body.key as string, baseURL: `${g}/v1`, maxRetries: 0 });
      const r = await sdk.responses.create({ model: MODEL, input: 'right after creation' });
      expect(r.status).toBe('completed');
    }
  });

  it('a new fallback policy serves the very next request; deleting it stops that at once', async () => {
    const t = topology();
    const { body: key } = await adminJson(t, 'POST', '/api/virtual-keys', { name: 'policy' });
    const { body: policy } = await adminJson(t, 'POST', '/api/fallback-policies', { name: 'to backup', model: MODEL, fallbacks: ['backup/m'] });
    for (const g of t.gateways) {
      t.upstream.failNext(1, 503);
      const res = await call(g, key.key as string);
      expect(res.status).toBe(200);
      expect(res.headers.get('x-bf-provider')).toBe('backup');
    }
    await adminJson(t, 'DELETE', `/api/fallback-policies/${policy.id as string}`);
    for (const g of t.gateways) {
      t.upstream.failNext(1, 503);
      expect((await call(g, key.key as string)).status).toBe(502);
    }
  });

  it('an admin price prices the very next request; deleting it unprices the next one', async () => {
    const t = topology();
    const { body: key } = await adminJson(t, 'POST', '/api/virtual-keys', { name: 'prices' });
    // A model no catalog prices: its cost is the admin price or nothing.
    const model = `m-${Date.now()}`;
    const priced = (g: string) =>
      fetch(`${g}/v1/responses`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key.key as string}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: `backup/${model}`, input: 'price me [[usage:1000000,0]]' }),
      }).then((r) => r.headers.get('x-bf-cost-usd'));
    await adminJson(t, 'PUT', `/api/pricing/backup/${model}`, { input_per_mtok: '0.25', output_per_mtok: '1.25' });
    for (const g of t.gateways) expect(await priced(g)).toBe('0.2500000000');
    await adminJson(t, 'DELETE', `/api/pricing/backup/${model}`);
    for (const g of t.gateways) expect(await priced(g)).toBeNull();
  });

  it('a rate limit set on a key counts from the very next request; allowlists, rotation and revocation too', async () => {
    const t = topology();
    const { body: key } = await adminJson(t, 'POST', '/api/virtual-keys', { name: 'limits' });
    const secret = key.key as string;
    await awayFromMinuteBoundary();
    await adminJson(t, 'PATCH', `/api/virtual-keys/${key.id as string}`, { rate_limit: { requests_per_minute: 1 } });
    // The first request after the change already counts against it (each gateway counts alone
    // without Redis): had it been served before the limit was known, the second would pass.
    for (const g of t.gateways) {
      expect((await call(g, secret)).status).toBe(200);
      expect((await call(g, secret)).status).toBe(429);
    }
    await adminJson(t, 'PATCH', `/api/virtual-keys/${key.id as string}`, { rate_limit: null, allowed_models: ['backup/*'] });
    for (const g of t.gateways) expect((await call(g, secret)).status).toBe(403);

    const { body: rotated } = await adminJson(t, 'POST', `/api/virtual-keys/${key.id as string}/rotate`);
    await adminJson(t, 'PATCH', `/api/virtual-keys/${key.id as string}`, { allowed_models: [] });
    for (const g of t.gateways) {
      expect((await call(g, secret)).status).toBe(401);
      expect((await call(g, rotated.key as string)).status).toBe(200);
    }
    await adminJson(t, 'DELETE', `/api/virtual-keys/${key.id as string}`);
    for (const g of t.gateways) expect((await call(g, rotated.key as string)).status).toBe(401);
  });
}

describe('admin changes, gateway and admin app in one process', () => {
  let h: GatewayHarness;
  beforeAll(async () => {
    h = await startGatewayHarness({
      admin: true,
      server: { key_refresh_ms: POLL_MS },
      // One attempt per provider, as in the processes below: one queued failure moves on to the fallback.
      providers: ({ upstream }) => ({ openai: { base_url: `${upstream}/v1`, keys: [{ value: 'sk-up' }], models: ['gpt-4o-mini'], max_retries: 0 } }),
    });
  });
  afterAll(async () => {
    await h?.close();
  });

  scenarios(() => ({ gateways: [h.url], upstream: h.upstream, admin: (m, r, b) => h.admin(m, r, b) }));
});

// Separate processes share only Postgres: the embedded database serves one process.
describeWhen(testEnv.databaseUrl && existsSync(GATEWAY_MAIN), `${NEEDS_DATABASE_URL}, or ${NEEDS_BUILD}`)('admin changes across two gateway processes sharing Postgres', () => {
  let db: TestDatabase;
  let upstream: FakeUpstream;
  let backup: FakeUpstream;
  let admin: RunningAdmin;
  const gateways: GatewayProcess[] = [];

  beforeAll(async () => {
    db = await createTestDatabase();
    [upstream, backup] = await Promise.all([createFakeUpstream(), createFakeUpstream()]);
    const dir = mkdtempSync(path.join(tmpdir(), 'gw-changes-'));
    const file = path.join(dir, 'gateway.json');
    writeFileSync(
      file,
      JSON.stringify({
        providers: {
          openai: { base_url: `${upstream.url}/v1`, keys: [{ value: 'sk-up' }], max_retries: 0 },
          backup: { kind: 'openai-compatible', base_url: `${backup.url}/v1`, keys: [{ value: 'sk-backup' }], max_retries: 0 },
        },
        server: { key_refresh_ms: POLL_MS },
      }),
    );
    const env = { ...db.appEnv, GATEWAY_CONFIG: file, DATABASE_URL: db.url, GATEWAY_PORT: '0', ADMIN_PORT: '0', HOST: '127.0.0.1', DATA_DIR: dir, ADMIN_TOKEN };
    gateways.push(...(await Promise.all([startGatewayProcess(env), startGatewayProcess(env)])));
    admin = await startAdmin(loadConfig(env), { logger: false });
  }, 120_000);
  afterAll(async () => {
    await admin?.close();
    await stopProcesses(gateways);
    await Promise.all([upstream?.close(), backup?.close()]);
    await db?.drop();
  });

  scenarios(() => ({
    gateways: gateways.map((g) => g.url),
    upstream,
    admin: (method, route, body) =>
      fetch(`${admin.url}${route}`, {
        method,
        headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      }),
  }));
});
