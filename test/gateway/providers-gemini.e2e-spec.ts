import { createOpenAI } from '@ai-sdk/openai';
import { generateText, jsonSchema, stepCountIs, streamText, tool } from 'ai';
import OpenAI from 'openai';
import { createFakeUpstream, type FakeUpstream } from '../../apps/fake-upstream/src/fake-upstream';
import { startGatewayHarness, type GatewayHarness } from '../support/gateway-harness';

/**
 * Gemini through /v1/responses: the gateway speaks generateContent / streamGenerateContent
 * (SSE) to a fake Gemini, and the official OpenAI SDK and the AI SDK read the translation.
 */
describe('Gemini through /v1/responses', () => {
  let h: GatewayHarness;
  let gemini: FakeUpstream;
  let anthropic: FakeUpstream;
  let client: OpenAI;
  let provider: ReturnType<typeof createOpenAI>;
  const MODEL = 'gemini/gemini-2.5-flash';

  beforeAll(async () => {
    gemini = await createFakeUpstream();
    anthropic = await createFakeUpstream();
    const fast = { max_retries: 2, retry_backoff_ms: 1, retry_backoff_max_ms: 20, timeout_ms: 5_000, stream_idle_timeout_ms: 2_000 };
    h = await startGatewayHarness(() => ({
      // kind and defaults from the catalog; the base URL is the part before /v1beta, as in Google's SDK.
      gemini: { base_url: gemini.url, keys: [{ value: 'gemini-test-key' }], ...fast },
      anthropic: { base_url: anthropic.url, keys: [{ value: 'sk-ant-test' }], ...fast },
    }));
    const { key } = await h.createKey({ name: 'gemini' });
    client = new OpenAI({ apiKey: key, baseURL: `${h.url}/v1`, maxRetries: 0 });
    provider = createOpenAI({ apiKey: key, baseURL: `${h.url}/v1` });
  });
  afterAll(async () => {
    await h?.close();
    await gemini?.close();
    await anthropic?.close();
  });
  beforeEach(() => {
    gemini.reset();
    anthropic.reset();
  });

  const lastSent = () => gemini.requests.at(-1)!;

  const weather = tool({
    description: 'Weather in a city',
    inputSchema: jsonSchema<{ city: string }>({ type: 'object', properties: { city: { type: 'string' } }, required: ['city'], additionalProperties: false }),
    execute: async ({ city }) => `sunny in ${city}`,
  });

  it('responses.create: generateContent call with x-goog-api-key, translated answer and usage', async () => {
    const { data, response } = await client.responses
      .create({ model: MODEL, instructions: 'Be brief.', input: 'Hi there [[usage:40,3]] [[cached:30]]', max_output_tokens: 300, temperature: 0.2 })
      .withResponse();
    expect(response.headers.get('x-bf-provider')).toBe('gemini');
    expect(data.status).toBe('completed');
    expect(data.output_text).toBe('Hello from gemini-2.5-flash! You said: Hi there [[usage:40,3]] [[cached:30]]');
    expect(data.output[0]).toMatchObject({ type: 'message', role: 'assistant', status: 'completed' });
    expect(data.usage).toMatchObject({ input_tokens: 40, input_tokens_details: { cached_tokens: 30 }, output_tokens: 3, total_tokens: 43 });

    const sent = lastSent();
    expect(sent.path).toBe('/v1beta/models/gemini-2.5-flash:generateContent');
    expect(sent.headers['x-goog-api-key']).toBe('gemini-test-key');
    expect(sent.headers.authorization).toBeUndefined();
    expect(sent.body).toEqual({
      contents: [{ role: 'user', parts: [{ text: 'Hi there [[usage:40,3]] [[cached:30]]' }] }],
      systemInstruction: { parts: [{ text: 'Be brief.' }] },
      generationConfig: { maxOutputTokens: 300, temperature: 0.2 },
    });
    const rows = await h.logRows(response.headers.get('x-request-id')!);
    expect(rows.map((r) => [r.provider, r.status, r.input_tokens, r.cached_tokens, r.output_tokens])).toEqual([['gemini', 'success', 40, 30, 3]]);
  });

  it('responses.stream().finalResponse() passes the strict checks of the official SDK', async () => {
    const stream = client.responses.stream({ model: MODEL, input: 'Stream it [[chunks:4]] [[usage:9,4]]' });
    const types: string[] = [];
    stream.on('event', (e) => types.push(e.type));
    const final = await stream.finalResponse();
    expect(final.status).toBe('completed');
    expect(final.output_text).toBe('Hello from gemini-2.5-flash! You said: Stream it [[chunks:4]] [[usage:9,4]]');
    expect(final.usage).toMatchObject({ input_tokens: 9, output_tokens: 4 });
    expect(types.filter((t) => t === 'response.output_text.delta')).toHaveLength(4);
    expect(types[0]).toBe('response.created');
    expect(types.at(-1)).toBe('response.completed');
    expect(lastSent().path).toBe('/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse');
  });

  it('thought summaries come back as reasoning items; thoughts count as reasoning output', async () => {
    const res = await client.responses.create({ model: MODEL, input: 'think [[usage:5,9]] [[reasoning:4]]', reasoning: { effort: 'low', summary: 'auto' } });
    expect((lastSent().body as { generationConfig: unknown }).generationConfig).toEqual({ thinkingConfig: { thinkingBudget: 1024, includeThoughts: true } });
    expect(res.output.map((o) => o.type)).toEqual(['reasoning', 'message']);
    expect(res.usage).toMatchObject({ output_tokens: 9, output_tokens_details: { reasoning_tokens: 4 } });
    const final = await client.responses.stream({ model: MODEL, input: 'think [[reasoning:4]]', reasoning: { effort: 'low', summary: 'auto' } }).finalResponse();
    expect(final.output.map((o) => o.type)).toEqual(['reasoning', 'message']);
  });

  it('a function tool round trip with the official SDK: functionCall / named functionResponse on the wire', async () => {
    const tools = [{ type: 'function' as const, name: 'weather', description: 'Weather', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'], additionalProperties: false }, strict: true }];
    const first = await client.responses.create({ model: MODEL, input: 'weather in Paris?', tools });
    const call = first.output.find((o) => o.type === 'function_call');
    expect(call).toMatchObject({ type: 'function_call', name: 'weather', arguments: '{"city":"test"}', status: 'completed' });
    if (call?.type !== 'function_call') throw new Error('no call');
    expect(lastSent().body).toMatchObject({
      tools: [{ functionDeclarations: [{ name: 'weather', description: 'Weather', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } }] }],
    });

    const second = await client.responses.create({
      model: MODEL,
      input: [{ role: 'user', content: 'weather in Paris?' }, call, { type: 'function_call_output', call_id: call.call_id, output: 'sunny' }],
      tools,
    });
    expect(second.output_text).toBe('Tool said: sunny');
    expect((lastSent().body as { contents: unknown[] }).contents).toEqual([
      { role: 'user', parts: [{ text: 'weather in Paris?' }] },
      { role: 'model', parts: [{ functionCall: { name: 'weather', args: { city: 'test' } } }] },
      { role: 'user', parts: [{ functionResponse: { name: 'weather', response: { output: 'sunny' } } }] },
    ]);
  });

  it('AI SDK: generateText, and streamText with a two-step tool loop', async () => {
    const text = await generateText({ model: provider.responses(MODEL), prompt: 'Hi [[usage:7,3]]', maxRetries: 0 });
    expect(text.text).toContain('Hello from gemini-2.5-flash');
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
    expect(await streamed.text).toBe('Tool said: sunny in test');
    expect(await streamed.finishReason).toBe('stop');
  });

  it('structured output with responseSchema, streaming and not', async () => {
    const schema = { type: 'object', properties: { city: { type: 'string' }, temp: { type: 'number' } }, required: ['city', 'temp'], additionalProperties: false };
    const format = { type: 'json_schema' as const, name: 'forecast', schema, strict: true };
    const res = await client.responses.create({ model: MODEL, input: 'forecast please', text: { format } });
    expect(JSON.parse(res.output_text)).toEqual({ city: 'test', temp: 1 });
    expect(lastSent().body).toMatchObject({ generationConfig: { responseMimeType: 'application/json', responseSchema: { type: 'object', required: ['city', 'temp'] } } });
    const final = await client.responses.stream({ model: MODEL, input: 'forecast please', text: { format } }).finalResponse();
    expect(JSON.parse(final.output_text)).toEqual({ city: 'test', temp: 1 });
  });

  it('MAX_TOKENS becomes an incomplete response, streaming and not', async () => {
    const res = await client.responses.create({ model: MODEL, input: 'long [[incomplete]]' });
    expect(res.status).toBe('incomplete');
    expect(res.incomplete_details).toEqual({ reason: 'max_output_tokens' });
    const final = await client.responses.stream({ model: MODEL, input: 'long [[incomplete]]' }).finalResponse();
    expect(final.status).toBe('incomplete');
  });

  it('Gemini errors: a 400 is the caller\'s with Gemini\'s message; 429 is retried then reported as 502', async () => {
    const bad = await client.responses.create({ model: MODEL, input: 'x [[fail:400]]' }).catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(OpenAI.BadRequestError);
    expect((bad as Error).message).toContain('Injected bad request (fake upstream).');
    expect(gemini.stats.requests).toBe(1);

    gemini.reset();
    const limited = await client.responses.create({ model: MODEL, input: 'x [[fail:429]] [[retry-after:0]]' }).catch((e: unknown) => e);
    expect(limited).toBeInstanceOf(OpenAI.APIError);
    expect((limited as InstanceType<typeof OpenAI.APIError>).status).toBe(502);
    expect((limited as Error).message).toContain('gemini/gemini-2.5-flash (429: Rate limit reached');
    expect(gemini.stats.requests).toBe(3);
  });

  it('an error chunk after content reaches the client as response.failed with Gemini\'s message', async () => {
    const stream = await client.responses.create({ model: MODEL, input: 'hi [[stream-error]]', stream: true });
    const events: { type: string; response?: { error?: unknown } }[] = [];
    try {
      for await (const e of stream) events.push(e as never);
    } catch {
      // the SDK may throw on response.failed
    }
    expect(events[0].type).toBe('response.created');
    const failed = events.find((e) => e.type === 'response.failed');
    expect(failed?.response?.error).toMatchObject({ code: 'INTERNAL', message: expect.stringContaining('An internal error has occurred') });
  });

  it.each([
    [{ tools: [{ type: 'web_search_preview' }] }, 'gemini does not support the web_search_preview tool', 'tools[0]'],
    [{ background: true }, 'gemini does not support background mode', 'background'],
  ])('refuses %j with a 400 naming gemini and the feature, before calling it', async (extra, message, param) => {
    const err = await client.responses.create({ model: MODEL, input: 'x', ...extra } as never).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect((err as Error).message).toContain(message);
    expect(((err as InstanceType<typeof OpenAI.BadRequestError>).error as { param: string }).param).toBe(param);
    expect(gemini.stats.requests).toBe(0);
  });

  it('anthropic answering 529 falls back to gemini (not streaming)', async () => {
    anthropic.failNext(3, 529);
    const { data, response } = await client.responses
      .create({ model: 'anthropic/claude-sonnet-4-5', input: 'fallback please', fallbacks: [MODEL] } as never)
      .withResponse();
    expect(response.headers.get('x-bf-provider')).toBe('gemini');
    expect(response.headers.get('x-bf-fallback-index')).toBe('1');
    expect(data.output_text).toContain('Hello from gemini-2.5-flash');
    expect(anthropic.stats.requests).toBe(3);
    const rows = await h.logRows(response.headers.get('x-request-id')!);
    expect(rows.map((r) => [r.provider, r.status, r.http_status])).toEqual([
      ['anthropic', 'error', 529],
      ['gemini', 'success', 200],
    ]);
  });

  it('anthropic answering 529 falls back to gemini while streaming', async () => {
    anthropic.failNext(3, 529);
    const final = await client.responses
      .stream({ model: 'anthropic/claude-sonnet-4-5', input: 'fallback please', fallbacks: [MODEL] } as never)
      .finalResponse();
    expect(final.output_text).toContain('Hello from gemini-2.5-flash');
    expect(anthropic.stats.requests).toBe(3);
    expect(gemini.stats.requests).toBe(1);
  });
});
