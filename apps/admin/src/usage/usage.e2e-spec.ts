import { randomBytes, randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { type AdminReply as Reply, useAdminApp } from '../../../../test/support/admin-app';

// The embedded test database is shared by every test file: names and keys unique to this run.
const TAG = randomBytes(4).toString('hex');
const OPENAI = `openai-${TAG}`;
const ANTHROPIC = `anthropic-${TAG}`;
const KEY_A = randomUUID();
const KEY_B = randomUUID();
const KEY_C = randomUUID();

interface Attempt {
  request: string;
  at: string;
  key: string | null;
  provider: string;
  model: string;
  ok: boolean;
  fallbackIndex?: number;
  input?: number;
  output?: number;
  cost?: string | null;
  type?: 'chat_completions' | 'embeddings';
}

async function insert(pg: Client, attempts: Attempt[]): Promise<void> {
  for (const a of attempts) {
    await pg.query(
      `INSERT INTO request_logs (id, request_id, created_at, virtual_key_id, provider, model, model_requested, fallback_index,
         status, http_status, stream, input_tokens, output_tokens, total_tokens, cost_usd, latency_ms, request_type)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, false, $11::int, $12::int, $11::int + $12::int, $13, 100, $14)`,
      [
        randomUUID(), `req-${TAG}-${a.request}`, a.at, a.key, a.provider, a.model, `${a.provider}/${a.model}`, a.fallbackIndex ?? 0,
        a.ok ? 'success' : 'error', a.ok ? 200 : 503, a.input ?? 0, a.output ?? 0, a.cost ?? null, a.type ?? 'responses',
      ],
    );
  }
}

const DAY1 = '2021-07-01T00:00:00Z';
const DAY2 = '2021-07-02T00:00:00Z';
const DAY3 = '2021-07-03T00:00:00Z';

const ATTEMPTS: Attempt[] = [
  { request: 'a1', at: '2021-07-01T10:15:00Z', key: KEY_A, provider: OPENAI, model: 'gpt-4o-mini', ok: true, input: 100, output: 50, cost: '0.001', type: 'chat_completions' },
  // The primary failed, the fallback answered: one request, not an error.
  { request: 'a2', at: '2021-07-01T10:45:00.000001Z', key: KEY_A, provider: OPENAI, model: 'gpt-4o', ok: false },
  { request: 'a2', at: '2021-07-01T10:45:00.000001Z', key: KEY_A, provider: ANTHROPIC, model: 'claude-sonnet-4-5', ok: true, fallbackIndex: 1, input: 200, output: 80, cost: '0.003' },
  { request: 'a3', at: '2021-07-01T11:20:00Z', key: KEY_A, provider: OPENAI, model: 'gpt-4o', ok: false },
  // Every attempt failed: one request, one error.
  { request: 'a4', at: '2021-07-01T11:59:59.999999Z', key: KEY_A, provider: OPENAI, model: 'gpt-4o', ok: false, input: 7 },
  { request: 'a4', at: '2021-07-01T11:59:59.999999Z', key: KEY_A, provider: ANTHROPIC, model: 'claude-sonnet-4-5', ok: false, fallbackIndex: 1 },
  // Outside day 1 (to is exclusive).
  { request: 'a5', at: DAY2, key: KEY_A, provider: OPENAI, model: 'gpt-4o-mini', ok: true, input: 1, output: 1, cost: '0.5' },
  { request: 'b1', at: '2021-07-02T09:00:00Z', key: KEY_B, provider: ANTHROPIC, model: 'claude-sonnet-4-5', ok: true, input: 10, output: 5 },
  { request: 'n1', at: '2021-07-02T09:30:00Z', key: null, provider: OPENAI, model: 'gpt-4o-mini', ok: true, input: 3, output: 2, cost: '0.0001' },
];

describe('admin usage (e2e)', () => {
  const app = useAdminApp({
    seed: async (pg) => {
      await insert(pg, ATTEMPTS);
      const hoursAgo = (h: number): string => new Date(Date.now() - h * 3_600_000).toISOString();
      await insert(pg, [
        { request: 'c-recent', at: hoursAgo(1), key: KEY_C, provider: OPENAI, model: 'gpt-4o-mini', ok: true, input: 4, output: 4, cost: '0.25' },
        { request: 'c-old', at: hoursAgo(25), key: KEY_C, provider: OPENAI, model: 'gpt-4o-mini', ok: true, input: 9, output: 9, cost: '9' },
      ]);
    },
  });
  const usage = (query: string, token?: string | null): Promise<Reply> => app.get(`/api/usage?${query}`, token);

  const day1OfKeyA = (groupBy: string): string => `group_by=${groupBy}&virtual_key_id=${KEY_A}&from=${DAY1}&to=${DAY2}`;
  const KEY_A_DAY1_TOTALS = { requests: 4, errors: 2, input_tokens: 307, output_tokens: 130, cost_usd: 0.004 };

  it('401 without the admin token', async () => {
    expect((await usage('group_by=day', null)).status).toBe(401);
  });

  it('by hour: UTC hour starts, oldest first; a request with a failed fallback attempt counts once, and not as an error', async () => {
    const res = await usage(day1OfKeyA('hour'));
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      data: [
        { bucket: '2021-07-01T10:00:00.000Z', requests: 2, errors: 0, input_tokens: 300, output_tokens: 130, cost_usd: 0.004 },
        { bucket: '2021-07-01T11:00:00.000Z', requests: 2, errors: 2, input_tokens: 7, output_tokens: 0, cost_usd: null },
      ],
      totals: KEY_A_DAY1_TOTALS,
      from: DAY1,
      to: DAY2,
    });
  });

  it('by day', async () => {
    const res = await usage(`group_by=day&virtual_key_id=${KEY_A}&from=${DAY1}&to=${DAY3}`);
    expect(res.body.data).toEqual([
      { bucket: '2021-07-01T00:00:00.000Z', ...KEY_A_DAY1_TOTALS },
      { bucket: '2021-07-02T00:00:00.000Z', requests: 1, errors: 0, input_tokens: 1, output_tokens: 1, cost_usd: 0.5 },
    ]);
    expect(res.body.totals).toEqual({ requests: 5, errors: 2, input_tokens: 308, output_tokens: 131, cost_usd: 0.504 });
  });

  it('by model: provider/model buckets, most requests first; a request appears under each model it tried', async () => {
    const res = await usage(day1OfKeyA('model'));
    expect(res.body.data).toEqual([
      { bucket: `${OPENAI}/gpt-4o`, requests: 3, errors: 3, input_tokens: 7, output_tokens: 0, cost_usd: null },
      { bucket: `${ANTHROPIC}/claude-sonnet-4-5`, requests: 2, errors: 1, input_tokens: 200, output_tokens: 80, cost_usd: 0.003 },
      { bucket: `${OPENAI}/gpt-4o-mini`, requests: 1, errors: 0, input_tokens: 100, output_tokens: 50, cost_usd: 0.001 },
    ]);
    // The totals count each request once, whichever models it tried.
    expect(res.body.totals).toEqual(KEY_A_DAY1_TOTALS);
  });

  it('by provider', async () => {
    const res = await usage(day1OfKeyA('provider'));
    expect(res.body.data).toEqual([
      { bucket: OPENAI, requests: 4, errors: 3, input_tokens: 107, output_tokens: 50, cost_usd: 0.001 },
      { bucket: ANTHROPIC, requests: 2, errors: 1, input_tokens: 200, output_tokens: 80, cost_usd: 0.003 },
    ]);
    expect(res.body.totals).toEqual(KEY_A_DAY1_TOTALS);
  });

  it('by request type, and filtered to one', async () => {
    const res = await usage(day1OfKeyA('request_type'));
    expect(res.body.data).toEqual([
      { bucket: 'responses', requests: 3, errors: 2, input_tokens: 207, output_tokens: 80, cost_usd: 0.003 },
      { bucket: 'chat_completions', requests: 1, errors: 0, input_tokens: 100, output_tokens: 50, cost_usd: 0.001 },
    ]);
    expect(res.body.totals).toEqual(KEY_A_DAY1_TOTALS);
    const chat = await usage(`${day1OfKeyA('day')}&request_type=chat_completions`);
    expect(chat.body.data).toEqual([{ bucket: '2021-07-01T00:00:00.000Z', requests: 1, errors: 0, input_tokens: 100, output_tokens: 50, cost_usd: 0.001 }]);
    const bad = await usage(`${day1OfKeyA('day')}&request_type=completion`);
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toContain('request_type');
  });

  it('by virtual key, with requests made without a key under null; unpriced usage costs null, not 0', async () => {
    const res = await usage(`group_by=virtual_key&from=${DAY1}&to=${DAY3}`);
    expect(res.status).toBe(200);
    const mine = (res.body.data as { bucket: string | null }[]).filter((b) => b.bucket === KEY_A || b.bucket === KEY_B);
    expect(mine).toEqual([
      { bucket: KEY_A, requests: 5, errors: 2, input_tokens: 308, output_tokens: 131, cost_usd: 0.504 },
      { bucket: KEY_B, requests: 1, errors: 0, input_tokens: 10, output_tokens: 5, cost_usd: null },
    ]);
    expect(res.body.data).toContainEqual(expect.objectContaining({ bucket: null }));
    expect(res.body.data[res.body.data.length - 1].bucket).toBeNull();
    expect(res.body.totals.requests).toBeGreaterThanOrEqual(7);
  });

  it('defaults to the last 24 hours', async () => {
    const before = Date.now();
    const res = await usage(`group_by=provider&virtual_key_id=${KEY_C}`);
    expect(res.body.data).toEqual([{ bucket: OPENAI, requests: 1, errors: 0, input_tokens: 4, output_tokens: 4, cost_usd: 0.25 }]);
    expect(Date.parse(res.body.to) - Date.parse(res.body.from)).toBe(24 * 3_600_000);
    expect(Date.parse(res.body.to)).toBeGreaterThanOrEqual(before);
  });

  it('an empty range answers zero totals', async () => {
    const res = await usage(`group_by=hour&virtual_key_id=${KEY_A}&from=2001-01-01T00:00:00Z&to=2001-01-02T00:00:00Z`);
    expect(res.body).toMatchObject({ data: [], totals: { requests: 0, errors: 0, input_tokens: 0, output_tokens: 0, cost_usd: null } });
  });

  it.each<[string, string, string]>([
    ['no group_by', `from=${DAY1}`, 'group_by'],
    ['an unknown group_by', 'group_by=week', 'group_by'],
    ['from after to', `group_by=day&from=${DAY2}&to=${DAY1}`, 'from'],
    ['from without a time zone', 'group_by=day&from=2021-07-01T00:00:00', 'from'],
    ['to not a date', 'group_by=day&to=now', 'to'],
    ['a virtual_key_id that is not a uuid', 'group_by=day&virtual_key_id=abc', 'virtual_key_id'],
    ['an unknown parameter', 'group_by=day&provider=openai', 'provider'],
  ])('400 for %s, naming the field', async (_label, query, param) => {
    const res = await usage(query);
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ error: { message: expect.stringContaining(param), type: 'invalid_request_error', param, code: 'invalid_request' } });
  });
});
