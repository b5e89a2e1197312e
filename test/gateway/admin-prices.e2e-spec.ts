import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import OpenAI from 'openai';
import { eventually, startGatewayHarness, type GatewayHarness } from '../support/gateway-harness';
import { GATEWAY_MAIN, startGatewayProcess } from '../support/gateway-process';
import { describeWhen, NEEDS_BUILD, NEEDS_DATABASE_URL } from '../support/describe-when';
import { testEnv } from '../support/test-env.config';

// A model the catalog cannot know, served by the fake behind provider `backup` (openai-compatible).
const MODEL = `house-${randomUUID().slice(0, 8)}`;
// 100,000 input and 20,000 output tokens at $0.25 / $1.25 per 1M: 0.025 + 0.025.
const USAGE = '[[usage:100000,20000]]';
const PRICE = { input_per_mtok: '0.25', output_per_mtok: '1.25' };
const EXPECTED = '0.0500000000';

describe('admin prices at the gateway', () => {
  let h: GatewayHarness;
  let client: OpenAI;

  beforeAll(async () => {
    // Polls a minute apart: only the in-process hand-over can make a price apply at once.
    h = await startGatewayHarness({ admin: true, server: { key_refresh_ms: 60_000 } });
    const { key } = await h.createKey({ name: 'admin-prices' });
    client = new OpenAI({ apiKey: key, baseURL: `${h.url}/v1`, maxRetries: 0 });
  });
  afterAll(async () => {
    await h?.close();
  });

  const ask = async (model = `backup/${MODEL}`) => {
    const { data, response } = await client.responses.create({ model, input: `price me ${USAGE}` }).withResponse();
    const [row] = await h.logRows(response.headers.get('x-request-id')!);
    return { header: response.headers.get('x-bf-cost-usd'), cost: (data.usage as unknown as { cost?: { total_cost: number } }).cost, row };
  };

  it('charges the next request once an admin prices the model, with no restart and no wait', async () => {
    const before = await ask();
    expect(before.header).toBeNull();
    expect(before.row.cost_usd).toBeNull();
    const unpriced = (await (await h.admin('GET', '/api/pricing/unpriced')).json()) as { data: { id: string; requests: number }[] };
    expect(unpriced.data).toContainEqual(expect.objectContaining({ id: `backup/${MODEL}`, requests: 1 }));

    expect((await h.admin('PUT', `/api/pricing/backup/${MODEL}`, PRICE)).status).toBe(200);
    // The admin app shares this process with the gateway: the price is in force when PUT answers.
    const after = await ask();
    expect(after.header).toBe(EXPECTED);
    expect(after.cost?.total_cost).toBe(0.05);
    expect(after.row.cost_usd).toBe(EXPECTED);
    const streamed = await client.responses.stream({ model: `backup/${MODEL}`, input: `stream me ${USAGE}` }).finalResponse();
    expect((streamed.usage as unknown as { cost: { total_cost: number } }).cost.total_cost).toBe(0.05);

    const listed = (await (await h.admin('GET', '/api/pricing/unpriced')).json()) as { data: { id: string }[] };
    expect(listed.data.map((m) => m.id)).not.toContain(`backup/${MODEL}`);

    expect((await h.admin('DELETE', `/api/pricing/backup/${MODEL}`)).status).toBe(204);
    const removed = await ask();
    expect(removed.header).toBeNull();
    expect(removed.row.cost_usd).toBeNull();
  });

  it('prices dated snapshots of an admin-priced model too', async () => {
    await h.admin('PUT', `/api/pricing/backup/${MODEL}-snap`, PRICE);
    expect((await ask(`backup/${MODEL}-snap-2026-01-01`)).header).toBe(EXPECTED);
  });

  it('logs a failed attempt that produced no tokens at cost 0, not null', async () => {
    // `dead` refuses connections: its attempt fails before any token, and the request falls back.
    const { response } = await client.responses.create({ model: 'dead/gpt-4o-mini', input: 'hi', fallbacks: ['openai/gpt-4o-mini'] } as never).withResponse();
    const rows = await h.logRows(response.headers.get('x-request-id')!);
    expect(rows.map((r) => [r.status, r.total_tokens, r.cost_usd])).toEqual([
      ['error', 0, '0.0000000000'],
      ['success', expect.any(Number), expect.stringMatching(/^0\.\d{10}$/)],
    ]);
    // An unpriced failure that did consume tokens (a stream cut after some output) stays null.
    const { data: events, response: cutResponse } = await client.responses
      .create({ model: `backup/${MODEL}-cut`, input: 'long answer [[chunks:20]] [[cut:8]]', stream: true })
      .withResponse();
    await (async () => {
      for await (const _event of events);
    })().catch(() => undefined);
    let cut: Record<string, unknown>[] = [];
    await eventually(async () => (cut = await h.logRows(cutResponse.headers.get('x-request-id')!)).length > 0, 5_000);
    expect(cut).toEqual([expect.objectContaining({ status: 'error', cost_usd: null })]);
    expect(cut[0].total_tokens).toBeGreaterThan(0);
  });
});

// Two processes on one database: a server's job. The embedded database serves every connection
// through one socket server, which can interleave concurrent queries (electric-sql/pglite#1046).
describeWhen(testEnv.databaseUrl && existsSync(GATEWAY_MAIN), `${NEEDS_DATABASE_URL}, or ${NEEDS_BUILD}`)('admin prices at a gateway in another process', () => {
  let h: GatewayHarness;
  let gateway: Awaited<ReturnType<typeof startGatewayProcess>> | undefined;
  let client: OpenAI;

  beforeAll(async () => {
    h = await startGatewayHarness({ admin: true });
    const dir = mkdtempSync(path.join(tmpdir(), 'gw-prices-'));
    const file = path.join(dir, 'gateway.json');
    writeFileSync(file, JSON.stringify({ providers: { backup: { kind: 'openai-compatible', base_url: `${h.backup.url}/v1`, keys: [{ value: 'sk-up' }] } }, server: { key_refresh_ms: 100 } }));
    gateway = await startGatewayProcess({ ...h.db.appEnv, GATEWAY_CONFIG: file, DATABASE_URL: h.db.url, GATEWAY_PORT: '0', HOST: '127.0.0.1', DATA_DIR: dir });
    const { key } = await h.createKey({ name: 'admin-prices-replica' });
    client = new OpenAI({ apiKey: key, baseURL: `${gateway.url}/v1`, maxRetries: 0 });
    // The other process learns of the new key by polling too.
    await eventually(() => client.models.list().then(() => true, () => false), 5_000);
  });
  afterAll(async () => {
    gateway?.child.kill('SIGTERM');
    await gateway?.exited;
    await h?.close();
  });

  const cost = async () => {
    const { response } = await client.responses.create({ model: `backup/${MODEL}-replica`, input: `price me ${USAGE}` }).withResponse();
    return response.headers.get('x-bf-cost-usd');
  };

  it('applies a price and its removal within the refresh interval', async () => {
    expect(await cost()).toBeNull();
    expect((await h.admin('PUT', `/api/pricing/backup/${MODEL}-replica`, PRICE)).status).toBe(200);
    let seen: string | null = null;
    await eventually(async () => (seen = await cost()) !== null, 3_000);
    expect(seen).toBe(EXPECTED);

    expect((await h.admin('DELETE', `/api/pricing/backup/${MODEL}-replica`)).status).toBe(204);
    await eventually(async () => (await cost()) === null, 3_000);
  });
});
