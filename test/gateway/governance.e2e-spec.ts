import OpenAI from 'openai';
import { awayFromMinuteBoundary, startGatewayHarness, type GatewayHarness } from '../support/gateway-harness';
import { testEnv } from '../support/test-env.config';
import { describeWhen, NEEDS_REDIS } from '../support/describe-when';

// Prices that make costs easy to check: $1 per 1M input tokens, $2 per 1M output tokens.
const PRICING = { 'openai/gpt-4o-mini': { input_per_mtok: 1, output_per_mtok: 2 }, 'backup/m': { input_per_mtok: 1, output_per_mtok: 2 } };

describe('governance on the gateway', () => {
  let h: GatewayHarness;

  beforeAll(async () => {
    h = await startGatewayHarness({ admin: true, pricing: PRICING });
  });
  afterAll(async () => {
    await h?.close();
  });

  const sdk = (key: string) => new OpenAI({ apiKey: key, baseURL: `${h.url}/v1`, maxRetries: 0 });

  it('429 rate_limit_exceeded with Retry-After once requests per minute are used up', async () => {
    const { key } = await h.createKey({ rate_limit_rpm: 2 });
    const client = sdk(key);
    await awayFromMinuteBoundary();
    await client.responses.create({ model: 'openai/gpt-4o-mini', input: 'one' });
    await client.responses.create({ model: 'openai/gpt-4o-mini', input: 'two' });
    const res = await fetch(`${h.url}/v1/responses`, { method: 'POST', headers: { authorization: `Bearer ${key}` }, body: '{"model":"openai/gpt-4o-mini","input":"three"}' });
    expect(res.status).toBe(429);
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(res.headers.get('x-should-retry')).toBeNull();
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('rate_limit_exceeded');
  });

  it('counts the tokens actually used against tokens per minute', async () => {
    const { key } = await h.createKey({ rate_limit_tpm: 100 });
    const client = sdk(key);
    await awayFromMinuteBoundary();
    await client.responses.create({ model: 'openai/gpt-4o-mini', input: 'big [[usage:80,40]]' });
    const err = await client.responses.create({ model: 'openai/gpt-4o-mini', input: 'more' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.RateLimitError);
  });

  it('402 budget_exceeded with x-should-retry: false once the budget cannot cover the next request', async () => {
    // Each request costs 1000 * $1/M + 500 * $2/M = $0.002, and may cost up to about $0.0011 (its
    // ~90 bytes in, max_output_tokens out). After two, $0.001 is left: not enough for a third.
    const { key } = await h.createKey({ budget_max_usd: 0.005, budget_period: '1d' });
    const client = sdk(key);
    let served = 0;
    let refusal: Response | undefined;
    for (let i = 0; i < 6 && !refusal; i++) {
      const res = await fetch(`${h.url}/v1/responses`, { method: 'POST', headers: { authorization: `Bearer ${key}` }, body: JSON.stringify({ model: 'openai/gpt-4o-mini', input: `spend [[usage:1000,500]] ${i}`, max_output_tokens: 500 }) });
      if (res.status === 200) served++;
      else refusal = res;
    }
    expect(served).toBe(2);
    expect(refusal!.status).toBe(402);
    expect(refusal!.headers.get('x-should-retry')).toBe('false');
    expect(((await refusal!.json()) as { error: { code: string } }).error.code).toBe('budget_exceeded');
    await expect(client.responses.create({ model: 'openai/gpt-4o-mini', input: 'again' })).rejects.toBeInstanceOf(OpenAI.APIError);
  });

  it('does not let 50 concurrent requests all slip under a budget of a few cents', async () => {
    // $0.02 budget, $0.002 a request: 10 fit. The first burst has only the estimate to go on:
    // the body's size in and max_output_tokens out (about $0.002 here), reserved while in flight.
    const { key } = await h.createKey({ budget_max_usd: 0.02, budget_period: 'total' });
    const fire = () =>
      fetch(`${h.url}/v1/responses`, { method: 'POST', headers: { authorization: `Bearer ${key}` }, body: '{"model":"openai/gpt-4o-mini","input":"race [[usage:1000,500]] [[delay:20]]","max_output_tokens":1000}' }).then((r) => r.status);
    const statuses = await Promise.all(Array.from({ length: 50 }, fire));
    const served = statuses.filter((s) => s === 200).length;
    expect(statuses.every((s) => s === 200 || s === 402)).toBe(true);
    expect(served).toBeGreaterThan(0);
    // Each reserves its worst case (~$0.0021): at most nine fit in $0.02 at once, and none after.
    expect(served).toBeLessThanOrEqual(9);
  });

  it('a fallback policy created through the admin API changes who serves the next request, without a restart', async () => {
    const { key } = await h.createKey({ name: 'policy' });
    const client = sdk(key);
    h.upstream.failNext(3, 503);
    await expect(client.responses.create({ model: 'openai/gpt-4o-mini', input: 'before policy' })).rejects.toBeInstanceOf(OpenAI.APIError);

    const created = await h.admin('POST', '/api/fallback-policies', { name: 'to backup', model: 'openai/*', fallbacks: ['backup/m'] });
    expect(created.status).toBe(201);
    await h.refresh();
    h.upstream.failNext(3, 503);
    const { data, response } = await client.responses.create({ model: 'openai/gpt-4o-mini', input: 'after policy' }).withResponse();
    expect(response.headers.get('x-bf-provider')).toBe('backup');
    expect((data as unknown as { extra_fields: { fallback_index: number } }).extra_fields.fallback_index).toBe(1);

    // The request's own fallbacks outrank the policy.
    h.upstream.failNext(3, 503);
    const own = await client.responses.create({ model: 'openai/gpt-4o-mini', input: 'own', fallbacks: ['dead/x'] } as never).catch((e: unknown) => e);
    expect((own as InstanceType<typeof OpenAI.APIError>).status).toBe(502);
    await h.admin('DELETE', `/api/fallback-policies/${((await created.json()) as { id: string }).id}`);
    await h.refresh();
  });

  it("a key's own policy outranks the global one, and its on_status decides what falls back", async () => {
    const global = await (await h.admin('POST', '/api/fallback-policies', { name: 'global', model: 'openai/gpt-4o-mini', fallbacks: ['dead/x'] })).json() as { id: string };
    const own = await (await h.admin('POST', '/api/fallback-policies', { name: 'own', model: 'openai/gpt-4o-mini', fallbacks: ['backup/m'], on_status: [503] })).json() as { id: string };
    const { key } = await h.createKey({ fallback_policy_id: own.id });
    await h.refresh();
    const client = sdk(key);
    h.upstream.failNext(3, 503);
    const { response } = await client.responses.create({ model: 'openai/gpt-4o-mini', input: 'own policy' }).withResponse();
    expect(response.headers.get('x-bf-provider')).toBe('backup');
    // 500 is not in on_status: no fallback, the failure comes back as a 502.
    h.upstream.failNext(3, 500);
    const err = await client.responses.create({ model: 'openai/gpt-4o-mini', input: 'not listed' }).catch((e: unknown) => e);
    expect((err as InstanceType<typeof OpenAI.APIError>).status).toBe(502);
    expect(h.backup.requests.filter((r) => String(JSON.stringify(r.body)).includes('not listed'))).toHaveLength(0);
    await h.admin('DELETE', `/api/fallback-policies/${global.id}`);
    await h.admin('DELETE', `/api/fallback-policies/${own.id}`);
    await h.refresh();
  });
});

describeWhen(testEnv.redisUrl, NEEDS_REDIS)('two gateway replicas sharing limits through Redis', () => {
  let h: GatewayHarness;

  beforeAll(async () => {
    h = await startGatewayHarness({ redisUrl: testEnv.redisUrl, extraGateways: 1, pricing: PRICING });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('hold one requests_per_minute limit together', async () => {
    const { key } = await h.createKey({ rate_limit_rpm: 4 });
    const urls = [h.url, h.replicas[0].url];
    await awayFromMinuteBoundary();
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) {
      const res = await fetch(`${urls[i % 2]}/v1/responses`, { method: 'POST', headers: { authorization: `Bearer ${key}` }, body: '{"model":"openai/gpt-4o-mini","input":"hi"}' });
      statuses.push(res.status);
    }
    expect(statuses.filter((s) => s === 200)).toHaveLength(4);
    expect(statuses.filter((s) => s === 429)).toHaveLength(4);
  });

  it('hold one budget together', async () => {
    const { key } = await h.createKey({ budget_max_usd: 0.005, budget_period: '1h' });
    const urls = [h.url, h.replicas[0].url];
    let served = 0;
    for (let i = 0; i < 8; i++) {
      const res = await fetch(`${urls[i % 2]}/v1/responses`, { method: 'POST', headers: { authorization: `Bearer ${key}` }, body: `{"model":"openai/gpt-4o-mini","input":"spend [[usage:1000,500]] ${i}","max_output_tokens":500}` });
      // No wait needed: with store on (the default) the serving replica sends the settlement to
      // Redis before it answers, so the next admission, on either replica, comes after it.
      if (res.status === 200) served++;
      else expect(res.status).toBe(402);
    }
    // $0.002 each, up to ~$0.0011 reserved: the third no longer fits the $0.001 left.
    expect(served).toBe(2);
  });
});
