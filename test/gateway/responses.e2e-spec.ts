import OpenAI from 'openai';
import { eventually, startGatewayHarness, type GatewayHarness } from '../support/gateway-harness';

describe('POST /v1/responses through the official openai SDK', () => {
  let h: GatewayHarness;
  let client: OpenAI;
  let keyId: string;

  beforeAll(async () => {
    h = await startGatewayHarness();
    const k = await h.createKey({ name: 'sdk' });
    keyId = k.id;
    client = new OpenAI({ apiKey: k.key, baseURL: `${h.url}/v1`, maxRetries: 0 });
  });
  afterAll(async () => {
    await h?.close();
  });
  beforeEach(() => {
    h.upstream.reset();
    h.backup.reset();
  });

  it('answers a non-streaming request with extra_fields, headers and a log row', async () => {
    const { data, response } = await client.responses
      .create({ model: 'openai/gpt-4o-mini', input: 'Say hello [[usage:12,5]]' })
      .withResponse();
    expect(data.output_text).toContain('Hello from gpt-4o-mini');
    expect(data.usage).toMatchObject({ input_tokens: 12, output_tokens: 5, total_tokens: 17 });
    const extra = (data as unknown as { extra_fields: Record<string, unknown> }).extra_fields;
    expect(extra).toMatchObject({ request_type: 'responses', provider: 'openai', model_requested: 'openai/gpt-4o-mini', model_deployment: 'gpt-4o-mini', fallback_index: 0 });
    expect(typeof extra.latency).toBe('number');
    expect(response.headers.get('x-bf-provider')).toBe('openai');
    expect(response.headers.get('x-bf-model')).toBe('gpt-4o-mini');
    expect(response.headers.get('x-bf-fallback-index')).toBe('0');
    const requestId = response.headers.get('x-request-id')!;
    expect(requestId).toBeTruthy();

    // The upstream got the bare model name and the gateway's upstream key, never the virtual key.
    const sent = h.upstream.requests.at(-1)!;
    expect((sent.body as { model: string }).model).toBe('gpt-4o-mini');
    expect(sent.headers.authorization).toBe('Bearer sk-upstream-openai');

    const rows = await h.logRows(requestId);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ virtual_key_id: keyId, provider: 'openai', model: 'gpt-4o-mini', status: 'success', http_status: 200, stream: false, input_tokens: 12, output_tokens: 5, total_tokens: 17, fallback_index: 0 });
  });

  it('passes unknown request fields through to OpenAI-format providers', async () => {
    await client.responses.create({ model: 'openai/gpt-4o-mini', input: 'hi', metadata: { a: '1' }, some_future_param: { x: 1 } } as never);
    expect(h.upstream.requests.at(-1)!.body).toMatchObject({ metadata: { a: '1' }, some_future_param: { x: 1 } });
    expect(h.upstream.requests.at(-1)!.body).not.toHaveProperty('fallbacks');
  });

  it('streams the exact OpenAI event sequence, each event carrying extra_fields', async () => {
    const stream = await client.responses.create({ model: 'openai/gpt-4o-mini', input: 'Stream please [[chunks:4]] [[usage:8,4]]', stream: true });
    const types: string[] = [];
    const chunkIndexes: number[] = [];
    let text = '';
    let completed: OpenAI.Responses.Response | undefined;
    for await (const event of stream) {
      types.push(event.type);
      chunkIndexes.push((event as unknown as { extra_fields: { chunk_index: number } }).extra_fields.chunk_index);
      if (event.type === 'response.output_text.delta') text += event.delta;
      if (event.type === 'response.completed') completed = event.response;
    }
    expect(types[0]).toBe('response.created');
    expect(types[1]).toBe('response.in_progress');
    expect(types.filter((t) => t === 'response.output_text.delta')).toHaveLength(4);
    expect(types.at(-1)).toBe('response.completed');
    expect(chunkIndexes).toEqual(types.map((_, i) => i));
    expect(text).toContain('Hello from gpt-4o-mini');
    expect(completed!.usage).toMatchObject({ input_tokens: 8, output_tokens: 4 });
    expect((completed as unknown as { extra_fields: Record<string, unknown> }).extra_fields).toMatchObject({ provider: 'openai', fallback_index: 0 });
  });

  it("satisfies the SDK's strict stream helper (finalResponse)", async () => {
    const final = await client.responses.stream({ model: 'openai/gpt-4o-mini', input: 'helper [[chunks:3]]' }).finalResponse();
    expect(final.status).toBe('completed');
    expect(final.output_text).toContain('Hello from gpt-4o-mini');
  });

  it('returns function calls, streaming and not', async () => {
    const tools: OpenAI.Responses.Tool[] = [
      { type: 'function', name: 'get_weather', description: 'weather', strict: true, parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'], additionalProperties: false } },
    ];
    const res = await client.responses.create({ model: 'openai/gpt-4o-mini', input: 'weather in Paris?', tools });
    const call = res.output.find((o) => o.type === 'function_call') as OpenAI.Responses.ResponseFunctionToolCall;
    expect(call).toMatchObject({ name: 'get_weather', arguments: JSON.stringify({ city: 'test' }) });

    const final = await client.responses.stream({ model: 'openai/gpt-4o-mini', input: 'weather in Paris?', tools }).finalResponse();
    expect(final.output.find((o) => o.type === 'function_call')).toMatchObject({ name: 'get_weather' });

    const followUp = await client.responses.create({
      model: 'openai/gpt-4o-mini',
      input: [
        { role: 'user', content: 'weather in Paris?' },
        { type: 'function_call', call_id: call.call_id, name: call.name, arguments: call.arguments },
        { type: 'function_call_output', call_id: call.call_id, output: 'sunny' },
      ],
      tools,
    });
    expect(followUp.output_text).toContain('sunny');
  });

  it('falls back to the next model after the primary keeps answering 500', async () => {
    h.upstream.failNext(3, 500); // the first try and both retries
    const { data, response } = await client.responses
      .create({ model: 'openai/gpt-4o-mini', input: 'fallback please', fallbacks: ['backup/small-model'] } as never)
      .withResponse();
    expect(response.headers.get('x-bf-provider')).toBe('backup');
    expect(response.headers.get('x-bf-fallback-index')).toBe('1');
    expect((data as unknown as { extra_fields: { fallback_index: number } }).extra_fields.fallback_index).toBe(1);
    expect(data.output_text).toContain('Hello from small-model');
    expect(h.upstream.stats.requests).toBe(3);

    const rows = await h.logRows(response.headers.get('x-request-id')!);
    expect(rows.map((r) => [r.provider, r.status, r.http_status, r.fallback_index])).toEqual([
      ['openai', 'error', 500, 0],
      ['backup', 'success', 200, 1],
    ]);
  });

  it('retries a transient 503 on the same provider without falling back', async () => {
    h.upstream.failNext(1, 503);
    const { response } = await client.responses.create({ model: 'openai/gpt-4o-mini', input: 'retry me', fallbacks: ['backup/m'] } as never).withResponse();
    expect(response.headers.get('x-bf-provider')).toBe('openai');
    expect(h.upstream.stats.requests).toBe(2);
    expect(h.backup.stats.requests).toBe(0);
  });

  it('falls back after a refused connection, streaming too', async () => {
    const res = await client.responses.create({ model: 'dead/any', input: 'hello', fallbacks: ['backup/m'] } as never);
    expect((res as unknown as { extra_fields: { provider: string } }).extra_fields.provider).toBe('backup');

    const final = await client.responses.stream({ model: 'dead/any', input: 'hello', fallbacks: ['backup/m'] } as never).finalResponse();
    expect(final.output_text).toContain('Hello from m');
  });

  it('falls back when a stream dies before its first byte reached the client', async () => {
    // A 200 whose body ends without a single event, on every attempt at the primary.
    h.upstream.failNext(3, 200);
    const final = await client.responses
      .stream({ model: 'openai/gpt-4o-mini', input: 'no events', fallbacks: ['backup/m'] } as never)
      .finalResponse();
    expect(final.output_text).toContain('Hello from m');
    expect(h.upstream.stats.requests).toBe(3);
  });

  it("never falls back on the caller's own 4xx, and relays the provider's message", async () => {
    h.upstream.failNext(1, 400, { body: { error: { message: 'Invalid value for temperature', type: 'invalid_request_error', param: 'temperature', code: 'invalid_value' } } });
    const err = await client.responses.create({ model: 'openai/gpt-4o-mini', input: 'x', fallbacks: ['backup/m'] } as never).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect((err as InstanceType<typeof OpenAI.BadRequestError>).message).toContain('Invalid value for temperature');
    expect(h.backup.stats.requests).toBe(0);
  });

  it('answers 502 naming every provider when all fail, 504 when all time out', async () => {
    h.upstream.failNext(3, 500);
    const err = await client.responses.create({ model: 'openai/gpt-4o-mini', input: 'x', fallbacks: ['dead/m'] } as never).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.APIError);
    const apiErr = err as InstanceType<typeof OpenAI.APIError>;
    expect(apiErr.status).toBe(502);
    expect(apiErr.message).toMatch(/openai\/gpt-4o-mini \(500.*dead\/m \(network/);
    expect((apiErr.error as { code: string }).code).toBe('upstream_error');
  });

  it('aborts the upstream call when the client goes away mid-stream', async () => {
    const controller = new AbortController();
    const stream = await client.responses.create(
      { model: 'openai/gpt-4o-mini', input: 'slow [[chunks:200]] [[chunk-delay:20]]', stream: true },
      { signal: controller.signal },
    );
    let deltas = 0;
    let completed = false;
    try {
      for await (const event of stream) {
        if (event.type === 'response.output_text.delta' && ++deltas === 3) controller.abort();
        if (event.type === 'response.completed') completed = true;
      }
    } catch {
      // the SDK may end the loop quietly or throw an abort error; either way the stream stopped
    }
    expect(completed).toBe(false);
    await eventually(() => h.upstream.stats.aborted === 1);
    expect(h.upstream.stats.completed).toBe(0);
  });
});
