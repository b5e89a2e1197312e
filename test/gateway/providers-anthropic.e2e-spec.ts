import { createOpenAI } from '@ai-sdk/openai';
import { generateText, jsonSchema, stepCountIs, streamText, tool } from 'ai';
import OpenAI from 'openai';
import { createFakeUpstream, type FakeUpstream } from '../../apps/fake-upstream/src/fake-upstream';
import { startGatewayHarness, type GatewayHarness } from '../support/gateway-harness';

/**
 * Anthropic through /v1/responses: the gateway speaks the Messages API to a fake Anthropic
 * (its own server), and the official OpenAI SDK and the AI SDK read the translated answers.
 */
describe('Anthropic through /v1/responses', () => {
  let h: GatewayHarness;
  let anthropic: FakeUpstream;
  let client: OpenAI;
  let provider: ReturnType<typeof createOpenAI>;
  const MODEL = 'anthropic/claude-sonnet-4-5';

  beforeAll(async () => {
    anthropic = await createFakeUpstream();
    const fast = { max_retries: 2, retry_backoff_ms: 1, retry_backoff_max_ms: 20, timeout_ms: 5_000, stream_idle_timeout_ms: 2_000 };
    h = await startGatewayHarness(({ backup }) => ({
      // kind and defaults from the catalog; the base URL is the host root, as in Anthropic's SDK.
      anthropic: { base_url: anthropic.url, keys: [{ value: 'sk-ant-test' }], ...fast },
      mistral: { base_url: `${backup}/v1`, keys: [{ value: 'sk-mistral' }], ...fast },
    }));
    const { key } = await h.createKey({ name: 'anthropic' });
    client = new OpenAI({ apiKey: key, baseURL: `${h.url}/v1`, maxRetries: 0 });
    provider = createOpenAI({ apiKey: key, baseURL: `${h.url}/v1` });
  });
  afterAll(async () => {
    await h?.close();
    await anthropic?.close();
  });
  beforeEach(() => {
    anthropic.reset();
    h.backup.reset();
  });

  const lastSent = () => anthropic.requests.at(-1)!;

  const weather = tool({
    description: 'Weather in a city',
    inputSchema: jsonSchema<{ city: string }>({ type: 'object', properties: { city: { type: 'string' } }, required: ['city'], additionalProperties: false }),
    execute: async ({ city }) => `sunny in ${city}`,
  });

  it('responses.create: Messages API call, translated answer, usage with cache reads added into input', async () => {
    const { data, response } = await client.responses
      .create({ model: MODEL, instructions: 'Be brief.', input: 'Hi there [[usage:40,3]] [[cached:30]]', max_output_tokens: 300 })
      .withResponse();
    expect(response.headers.get('x-bf-provider')).toBe('anthropic');
    expect(data.status).toBe('completed');
    expect(data.output_text).toBe('Hello from claude-sonnet-4-5! You said: Hi there [[usage:40,3]] [[cached:30]]');
    expect(data.output[0]).toMatchObject({ type: 'message', role: 'assistant', status: 'completed' });
    expect(data.usage).toMatchObject({ input_tokens: 40, input_tokens_details: { cached_tokens: 30 }, output_tokens: 3, total_tokens: 43 });

    const sent = lastSent();
    expect(sent.path).toBe('/v1/messages');
    expect(sent.headers['x-api-key']).toBe('sk-ant-test');
    expect(sent.headers['anthropic-version']).toBe('2023-06-01');
    expect(sent.headers.authorization).toBeUndefined();
    expect(sent.body).toMatchObject({
      model: 'claude-sonnet-4-5', max_tokens: 300, system: [{ type: 'text', text: 'Be brief.' }],
      messages: [{ role: 'user', content: [{ type: 'text', text: 'Hi there [[usage:40,3]] [[cached:30]]' }] }],
    });

    const rows = await h.logRows(response.headers.get('x-request-id')!);
    expect(rows.map((r) => [r.provider, r.status, r.input_tokens, r.cached_tokens, r.output_tokens])).toEqual([['anthropic', 'success', 40, 30, 3]]);
  });

  it('responses.stream().finalResponse() with the strict event checks of the official SDK', async () => {
    const stream = client.responses.stream({ model: MODEL, input: 'Stream it [[chunks:4]] [[usage:9,4]]' });
    const types: string[] = [];
    stream.on('event', (e) => types.push(e.type));
    const final = await stream.finalResponse();
    expect(final.status).toBe('completed');
    expect(final.output_text).toBe('Hello from claude-sonnet-4-5! You said: Stream it [[chunks:4]] [[usage:9,4]]');
    expect(final.usage).toMatchObject({ input_tokens: 9, output_tokens: 4 });
    expect(types.filter((t) => t === 'response.output_text.delta')).toHaveLength(4);
    expect(types[0]).toBe('response.created');
    expect(types.at(-1)).toBe('response.completed');
    expect(lastSent().body).toMatchObject({ stream: true, max_tokens: 8192 });
  });

  it('a function tool round trip with the official SDK, tool_use/tool_result on the wire', async () => {
    const tools = [{ type: 'function' as const, name: 'weather', description: 'Weather', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] }, strict: false }];
    const first = await client.responses.create({ model: MODEL, input: 'weather in Paris?', tools });
    const call = first.output.find((o) => o.type === 'function_call');
    expect(call).toMatchObject({ type: 'function_call', name: 'weather', arguments: '{"city":"test"}', status: 'completed' });
    if (call?.type !== 'function_call') throw new Error('no call');
    expect(call.call_id).toMatch(/^toolu_/);
    expect(lastSent().body).toMatchObject({ tools: [{ name: 'weather', input_schema: tools[0].parameters }] });

    const second = await client.responses.create({
      model: MODEL,
      input: [{ role: 'user', content: 'weather in Paris?' }, call, { type: 'function_call_output', call_id: call.call_id, output: 'sunny' }],
      tools,
    });
    expect(second.output_text).toBe('Tool said: sunny');
    expect((lastSent().body as { messages: unknown[] }).messages).toEqual([
      { role: 'user', content: [{ type: 'text', text: 'weather in Paris?' }] },
      { role: 'assistant', content: [{ type: 'tool_use', id: call.call_id, name: 'weather', input: { city: 'test' } }] },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: call.call_id, content: 'sunny' }] },
    ]);
  });

  it('AI SDK: generateText, and streamText with a two-step tool loop', async () => {
    const text = await generateText({ model: provider.responses(MODEL), prompt: 'Hi [[usage:7,3]]', maxRetries: 0 });
    expect(text.text).toContain('Hello from claude-sonnet-4-5');
    expect(text.usage).toMatchObject({ inputTokens: 7, outputTokens: 3 });

    const streamed = streamText({
      model: provider.responses(MODEL),
      prompt: 'What is the weather in Paris?',
      tools: { weather },
      stopWhen: stepCountIs(3),
      maxRetries: 0,
    });
    const errors: unknown[] = [];
    for await (const part of streamed.fullStream) if (part.type === 'error') errors.push(part.error);
    expect(errors).toEqual([]);
    const steps = await streamed.steps;
    expect(steps).toHaveLength(2);
    expect(steps[0].toolCalls[0]).toMatchObject({ toolName: 'weather', input: { city: 'test' } });
    expect(steps[0].finishReason).toBe('tool-calls');
    expect(await streamed.text).toBe('Tool said: sunny in test');
    expect(await streamed.finishReason).toBe('stop');
  });

  it('structured output through the forced json_response tool, streaming and not', async () => {
    const schema = { type: 'object', properties: { city: { type: 'string' }, temp: { type: 'number' } }, required: ['city', 'temp'], additionalProperties: false };
    const format = { type: 'json_schema' as const, name: 'forecast', schema, strict: true };
    const res = await client.responses.create({ model: MODEL, input: 'forecast please', text: { format } });
    expect(JSON.parse(res.output_text)).toEqual({ city: 'test', temp: 1 });
    expect(lastSent().body).toMatchObject({ tool_choice: { type: 'tool', name: 'json_response' }, tools: [{ name: 'json_response', input_schema: schema }] });
    const final = await client.responses.stream({ model: MODEL, input: 'forecast please', text: { format } }).finalResponse();
    expect(JSON.parse(final.output_text)).toEqual({ city: 'test', temp: 1 });
  });

  it('reasoning effort turns on thinking; thinking comes back as a reasoning item with a summary', async () => {
    const res = await client.responses.create({ model: MODEL, input: 'think [[usage:5,9]]', reasoning: { effort: 'low' } });
    expect(lastSent().body).toMatchObject({ thinking: { type: 'enabled', budget_tokens: 1024 }, max_tokens: 8192 + 1024 });
    expect(res.output.map((o) => o.type)).toEqual(['reasoning', 'message']);
    expect(res.output[0]).toMatchObject({ summary: [{ type: 'summary_text', text: 'Let me think about that.' }] });
    const final = await client.responses.stream({ model: MODEL, input: 'think', reasoning: { effort: 'low' } }).finalResponse();
    expect(final.output.map((o) => o.type)).toEqual(['reasoning', 'message']);
  });

  it('max_tokens becomes an incomplete response', async () => {
    const res = await client.responses.create({ model: MODEL, input: 'long [[incomplete]]' });
    expect(res.status).toBe('incomplete');
    expect(res.incomplete_details).toEqual({ reason: 'max_output_tokens' });
    const final = await client.responses.stream({ model: MODEL, input: 'long [[incomplete]]' }).finalResponse();
    expect(final.status).toBe('incomplete');
  });

  it('529 overloaded_error is retried, then falls back to another provider (not streaming)', async () => {
    anthropic.failNext(3, 529);
    const { data, response } = await client.responses
      .create({ model: MODEL, input: 'fallback please', fallbacks: ['mistral/mistral-small-latest'] } as never)
      .withResponse();
    expect(response.headers.get('x-bf-provider')).toBe('mistral');
    expect(response.headers.get('x-bf-fallback-index')).toBe('1');
    expect(data.output_text).toContain('Hello from mistral-small-latest');
    expect(anthropic.stats.requests).toBe(3);
    const rows = await h.logRows(response.headers.get('x-request-id')!);
    expect(rows.map((r) => [r.provider, r.status, r.http_status, r.error_code])).toEqual([
      ['anthropic', 'error', 529, 'overloaded_error'],
      ['mistral', 'success', 200, null],
    ]);
  });

  it('529 overloaded_error is retried, then falls back while streaming', async () => {
    anthropic.failNext(3, 529);
    const final = await client.responses
      .stream({ model: MODEL, input: 'fallback please', fallbacks: ['mistral/mistral-small-latest'] } as never)
      .finalResponse();
    expect(final.output_text).toContain('Hello from mistral-small-latest');
    expect(anthropic.stats.requests).toBe(3);
  });

  it('an overloaded error after content reaches the client as response.failed with the message', async () => {
    const stream = await client.responses.create({ model: MODEL, input: 'hi [[stream-error]]', stream: true });
    const events: { type: string; response?: { error?: unknown } }[] = [];
    try {
      for await (const e of stream) events.push(e as never);
    } catch {
      // the SDK may throw on response.failed
    }
    expect(events[0].type).toBe('response.created');
    const failed = events.find((e) => e.type === 'response.failed');
    expect(failed?.response?.error).toEqual({ code: 'overloaded_error', message: 'Overloaded' });
  });

  it('refuses a hosted tool with a 400 naming anthropic and the tool, before calling it', async () => {
    const err = await client.responses.create({ model: MODEL, input: 'search', tools: [{ type: 'web_search_preview' }] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    const e = err as InstanceType<typeof OpenAI.BadRequestError>;
    expect(e.message).toContain("anthropic does not support the hosted tool 'web_search_preview'");
    expect((e.error as { param: string }).param).toBe('tools[0]');
    expect(anthropic.stats.requests).toBe(0);
  });

  it("relays Anthropic's own 400 message without falling back", async () => {
    anthropic.failNext(1, 400, { body: { type: 'error', error: { type: 'invalid_request_error', message: 'messages.0.content: Input should be a valid list' } } });
    const err = await client.responses.create({ model: MODEL, input: 'x', fallbacks: ['mistral/m'] } as never).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect((err as Error).message).toContain('messages.0.content: Input should be a valid list');
    expect(h.backup.stats.requests).toBe(0);
  });
});
