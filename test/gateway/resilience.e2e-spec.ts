import OpenAI from 'openai';
import { Client } from 'pg';
import { RequestLogWriter } from '../../apps/gateway/src/request-log/request-log.writer';
import { eventually, startGatewayHarness, type GatewayHarness } from '../support/gateway-harness';

describe('gateway resilience: keys, timeouts, Azure, aborted streams', () => {
  let h: GatewayHarness;
  let client: OpenAI;

  beforeAll(async () => {
    h = await startGatewayHarness({ providers: ({ upstream, backup }) => ({
      multi: { kind: 'openai-compatible', base_url: `${backup}/v1`, keys: [{ value: 'key-a' }, { value: 'key-b' }], max_retries: 1, retry_backoff_ms: 1 },
      slow: { kind: 'openai-compatible', base_url: `${upstream}/v1`, keys: [{ value: 'x' }], timeout_ms: 300, stream_idle_timeout_ms: 300, max_retries: 0 },
      azure: { base_url: upstream, keys: [{ value: 'az-key' }], deployments: { 'gpt-4o': 'prod-gpt4o' } },
    }) });
    const { key } = await h.createKey({ name: 'resilience' });
    client = new OpenAI({ apiKey: key, baseURL: `${h.url}/v1`, maxRetries: 0 });
  });
  afterAll(async () => {
    await h?.close();
  });
  beforeEach(() => {
    h.upstream.reset();
    h.backup.reset();
  });

  it('a 429 moves to another upstream key of the same provider at once', async () => {
    h.backup.failNext(1, 429, { headers: { 'retry-after': '30' } });
    const res = await client.responses.create({ model: 'multi/m', input: 'rotate' });
    expect(res.status).toBe('completed');
    const auths = h.backup.requests.map((r) => r.headers.authorization);
    expect(auths).toHaveLength(2);
    expect(new Set(auths).size).toBe(2);
  });

  it('answers 504 upstream_timeout when the only candidate times out', async () => {
    const err = await client.responses.create({ model: 'slow/m', input: 'wait [[delay:2000]]' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.APIError);
    expect((err as InstanceType<typeof OpenAI.APIError>).status).toBe(504);
    expect(((err as InstanceType<typeof OpenAI.APIError>).error as { code: string }).code).toBe('upstream_timeout');
  });

  it('ends a stream that goes silent mid-way with an error event', async () => {
    const stream = await client.responses.create({ model: 'slow/m', input: 'idle [[chunks:3]] [[chunk-delay:1000]]', stream: true });
    const types: string[] = [];
    let error: unknown;
    try {
      for await (const event of stream) types.push(event.type);
    } catch (e) {
      error = e;
    }
    expect(types[0]).toBe('response.created');
    expect(types).not.toContain('response.completed');
    // The SDK surfaces the gateway's `error` event as a thrown APIError naming the provider.
    expect(error).toBeInstanceOf(OpenAI.APIError);
    expect((error as Error).message).toMatch(/slow: upstream went silent/);
  });

  it('serves Azure deployments through api-key and api-version', async () => {
    const res = await client.responses.create({ model: 'azure/gpt-4o', input: 'hello azure' });
    expect(res.output_text).toContain('Hello from prod-gpt4o');
    const sent = h.upstream.requests.at(-1)!;
    expect(sent.path).toBe('/openai/responses?api-version=2025-04-01-preview');
    expect(sent.headers['api-key']).toBe('az-key');
  });

  it('logs a client-aborted stream as an error row with 499', async () => {
    const controller = new AbortController();
    const { data: stream, response } = await client.responses
      .create({ model: 'openai/gpt-4o-mini', input: 'slow [[chunks:100]] [[chunk-delay:20]]', stream: true }, { signal: controller.signal })
      .withResponse();
    try {
      for await (const event of stream) if (event.type === 'response.output_text.delta') controller.abort();
    } catch {
      // aborted
    }
    await eventually(() => h.upstream.stats.aborted === 1);
    const requestId = response.headers.get('x-request-id')!;
    await eventually(async () => (await h.logRows(requestId)).length === 1);
    const [row] = await h.logRows(requestId);
    expect(row).toMatchObject({ status: 'error', http_status: 499, error_code: 'aborted', stream: true });
    expect(row.ttft_ms).not.toBeNull();
    // The tokens produced before the client left are estimated and kept, not lost.
    expect(row.output_tokens).toBeGreaterThan(0);
    expect(row.input_tokens).toBeGreaterThan(0);
  });

  it('aborts the upstream call of a JSON request whose client leaves while it waits, and logs it as 499', async () => {
    const controller = new AbortController();
    const pending = client.responses.create(
      { model: 'openai/gpt-4o-mini', input: 'wait [[delay:5000]]' },
      { signal: controller.signal, headers: { 'x-request-id': 'json-client-left' } },
    );
    await eventually(() => h.upstream.stats.requests === 1);
    controller.abort();
    await expect(pending).rejects.toThrow();
    // Well before the upstream's 5 s answer.
    await eventually(() => h.upstream.stats.aborted === 1, 2_000);
    await h.gateway.app.get(RequestLogWriter).flush();
    const pg = new Client({ connectionString: h.db.url });
    await pg.connect();
    try {
      const { rows } = await pg.query(`SELECT * FROM request_logs WHERE client_request_id = 'json-client-left'`);
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({ status: 'error', http_status: 499, error_code: 'aborted', stream: false });
    } finally {
      await pg.end();
    }
  });
});
