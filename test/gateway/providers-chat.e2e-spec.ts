import { createOpenAI } from '@ai-sdk/openai';
import { generateText, jsonSchema, stepCountIs, streamText, tool } from 'ai';
import OpenAI from 'openai';
import { createFakeUpstream, type FakeUpstream } from '../../apps/fake-upstream/src/fake-upstream';
import { startGatewayHarness, type GatewayHarness } from '../support/gateway-harness';

/**
 * Chat-only providers through /v1/responses: the gateway calls /chat/completions on a fake
 * chat server and the official OpenAI SDK and the AI SDK read the translated answers.
 */
describe('Chat Completions providers through /v1/responses', () => {
  let h: GatewayHarness;
  let chat: FakeUpstream;
  let client: OpenAI;
  let provider: ReturnType<typeof createOpenAI>;
  const MODEL = 'mistral/mistral-small-latest';

  beforeAll(async () => {
    chat = await createFakeUpstream();
    const fast = { max_retries: 2, retry_backoff_ms: 1, retry_backoff_max_ms: 20, timeout_ms: 5_000, stream_idle_timeout_ms: 2_000 };
    h = await startGatewayHarness(() => ({
      // `mistral` is in the catalog as kind chat-completions.
      mistral: { base_url: `${chat.url}/v1`, keys: [{ value: 'sk-mistral' }], ...fast },
      // Any other chat-only server: kind chat-completions.
      localchat: { kind: 'chat-completions', base_url: `${chat.url}/v1`, keys: [{ value: 'local-key' }], ...fast },
    }));
    const { key } = await h.createKey({ name: 'chat' });
    client = new OpenAI({ apiKey: key, baseURL: `${h.url}/v1`, maxRetries: 0 });
    provider = createOpenAI({ apiKey: key, baseURL: `${h.url}/v1` });
  });
  afterAll(async () => {
    await h?.close();
    await chat?.close();
  });
  beforeEach(() => {
    chat.reset();
    h.backup.reset();
  });

  const lastSent = () => chat.requests.at(-1)!;

  const weather = tool({
    description: 'Weather in a city',
    inputSchema: jsonSchema<{ city: string }>({ type: 'object', properties: { city: { type: 'string' } }, required: ['city'], additionalProperties: false }),
    execute: async ({ city }) => `sunny in ${city}`,
  });

  it('responses.create: chat request on the wire, Response back, usage with cached tokens', async () => {
    const { data, response } = await client.responses
      .create({ model: MODEL, instructions: 'Be brief.', input: 'Hi there [[usage:20,4]] [[cached:8]]', max_output_tokens: 50, temperature: 0.2 })
      .withResponse();
    expect(response.headers.get('x-bf-provider')).toBe('mistral');
    expect(data).toMatchObject({ object: 'response', status: 'completed', model: 'mistral-small-latest' });
    expect(data.id).toMatch(/^resp_/);
    expect(data.output_text).toBe('Hello from mistral-small-latest! You said: Hi there [[usage:20,4]] [[cached:8]]');
    expect(data.usage).toMatchObject({ input_tokens: 20, input_tokens_details: { cached_tokens: 8 }, output_tokens: 4, total_tokens: 24 });
    const sent = lastSent();
    expect(sent.path).toBe('/v1/chat/completions');
    expect(sent.headers.authorization).toBe('Bearer sk-mistral');
    expect(sent.body).toEqual({
      model: 'mistral-small-latest',
      messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Hi there [[usage:20,4]] [[cached:8]]' }],
      max_tokens: 50,
      temperature: 0.2,
    });
    const rows = await h.logRows(response.headers.get('x-request-id')!);
    expect(rows.map((r) => [r.provider, r.status, r.input_tokens, r.cached_tokens, r.output_tokens])).toEqual([['mistral', 'success', 20, 8, 4]]);
  });

  it('responses.stream().finalResponse(): chat chunks become the strict Responses sequence', async () => {
    const stream = client.responses.stream({ model: MODEL, input: 'Stream it [[chunks:5]] [[usage:9,5]]' });
    const types: string[] = [];
    stream.on('event', (e) => types.push(e.type));
    const final = await stream.finalResponse();
    expect(final.status).toBe('completed');
    expect(final.output_text).toBe('Hello from mistral-small-latest! You said: Stream it [[chunks:5]] [[usage:9,5]]');
    expect(final.usage).toMatchObject({ input_tokens: 9, output_tokens: 5 });
    expect(types.filter((t) => t === 'response.output_text.delta')).toHaveLength(5);
    expect(types[0]).toBe('response.created');
    expect(types.at(-1)).toBe('response.completed');
    expect(lastSent().body).toMatchObject({ stream: true, stream_options: { include_usage: true } });
  });

  it('a function tool round trip with the official SDK, tool_calls and tool messages on the wire', async () => {
    const tools = [{ type: 'function' as const, name: 'weather', description: 'Weather', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] }, strict: false }];
    const first = await client.responses.stream({ model: MODEL, input: 'weather in Paris?', tools }).finalResponse();
    const call = first.output.find((o) => o.type === 'function_call');
    if (call?.type !== 'function_call') throw new Error('no call');
    expect(call).toMatchObject({ name: 'weather', arguments: '{"city":"test"}', status: 'completed' });
    expect(lastSent().body).toMatchObject({ tools: [{ type: 'function', function: { name: 'weather', description: 'Weather', parameters: tools[0].parameters, strict: false } }] });

    const second = await client.responses.create({
      model: MODEL,
      input: [{ role: 'user', content: 'weather in Paris?' }, call, { type: 'function_call_output', call_id: call.call_id, output: 'sunny' }],
      tools,
    });
    expect(second.output_text).toBe('Tool said: sunny');
    expect((lastSent().body as { messages: unknown[] }).messages).toEqual([
      { role: 'user', content: 'weather in Paris?' },
      { role: 'assistant', content: null, tool_calls: [{ id: call.call_id, type: 'function', function: { name: 'weather', arguments: '{"city":"test"}' } }] },
      { role: 'tool', tool_call_id: call.call_id, content: 'sunny' },
    ]);
  });

  it('AI SDK: generateText, and streamText with a two-step tool loop', async () => {
    const text = await generateText({ model: provider.responses(MODEL), prompt: 'Hi [[usage:7,3]]', maxRetries: 0 });
    expect(text.text).toContain('Hello from mistral-small-latest');
    expect(text.usage).toMatchObject({ inputTokens: 7, outputTokens: 3 });

    const streamed = streamText({ model: provider.responses(MODEL), prompt: 'What is the weather in Paris?', tools: { weather }, stopWhen: stepCountIs(3), maxRetries: 0 });
    const errors: unknown[] = [];
    for await (const part of streamed.fullStream) if (part.type === 'error') errors.push(part.error);
    expect(errors).toEqual([]);
    const steps = await streamed.steps;
    expect(steps).toHaveLength(2);
    expect(steps[0].toolCalls[0]).toMatchObject({ toolName: 'weather', input: { city: 'test' } });
    expect(await streamed.text).toBe('Tool said: sunny in test');
    expect(await streamed.finishReason).toBe('stop');
  });

  it('structured output through response_format, streaming and not', async () => {
    const schema = { type: 'object', properties: { city: { type: 'string' } }, required: ['city'], additionalProperties: false };
    const format = { type: 'json_schema' as const, name: 'place', schema, strict: true };
    const res = await client.responses.create({ model: MODEL, input: 'where?', text: { format } });
    expect(JSON.parse(res.output_text)).toEqual({ city: 'test' });
    expect(lastSent().body).toMatchObject({ response_format: { type: 'json_schema', json_schema: { name: 'place', schema, strict: true } } });
    const final = await client.responses.stream({ model: MODEL, input: 'where?', text: { format } }).finalResponse();
    expect(JSON.parse(final.output_text)).toEqual({ city: 'test' });
  });

  it('finish_reason length becomes an incomplete response, streaming and not', async () => {
    const res = await client.responses.create({ model: MODEL, input: 'long [[incomplete]]' });
    expect(res).toMatchObject({ status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' } });
    const final = await client.responses.stream({ model: MODEL, input: 'long [[incomplete]]' }).finalResponse();
    expect(final.status).toBe('incomplete');
  });

  it('a provider configured with kind chat-completions works the same', async () => {
    const res = await client.responses.create({ model: 'localchat/llama-3', input: 'hi' });
    expect(res.output_text).toContain('Hello from llama-3');
    expect(lastSent().path).toBe('/v1/chat/completions');
    expect(lastSent().headers.authorization).toBe('Bearer local-key');
  });

  it('falls back to another provider after the chat provider keeps failing, streaming and not', async () => {
    chat.failNext(3, 503);
    const { data, response } = await client.responses.create({ model: MODEL, input: 'fallback please', fallbacks: ['backup/gpt-4o-mini'] } as never).withResponse();
    expect(response.headers.get('x-bf-provider')).toBe('backup');
    expect(data.output_text).toContain('Hello from gpt-4o-mini');
    expect(chat.stats.requests).toBe(3);

    chat.failNext(3, 503);
    const final = await client.responses.stream({ model: MODEL, input: 'fallback please', fallbacks: ['backup/gpt-4o-mini'] } as never).finalResponse();
    expect(final.output_text).toContain('Hello from gpt-4o-mini');
  });

  it('an error frame after content reaches the client as response.failed', async () => {
    const stream = await client.responses.create({ model: MODEL, input: 'hi [[stream-error]]', stream: true });
    const events: { type: string; response?: { error?: { message?: string } } }[] = [];
    try {
      for await (const e of stream) events.push(e as never);
    } catch {
      // the SDK may throw on response.failed
    }
    expect(events[0].type).toBe('response.created');
    expect(events.find((e) => e.type === 'response.failed')?.response?.error?.message).toContain('The server had an error');
  });

  it('refuses hosted tools and background with a 400 naming the provider and the feature', async () => {
    for (const [body, feature, param] of [
      [{ tools: [{ type: 'file_search', vector_store_ids: ['vs_1'] }] }, "the hosted tool 'file_search'", 'tools[0]'],
      [{ tools: [{ type: 'code_interpreter', container: { type: 'auto' } }] }, "the hosted tool 'code_interpreter'", 'tools[0]'],
      [{ background: true }, "'background' mode", 'background'],
    ] as const) {
      const err = await client.responses.create({ model: MODEL, input: 'x', ...body } as never).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(OpenAI.BadRequestError);
      expect((err as Error).message).toContain(`mistral does not support ${feature}`);
      expect(((err as InstanceType<typeof OpenAI.BadRequestError>).error as { param: string }).param).toBe(param);
    }
    expect(chat.stats.requests).toBe(0);
  });
});
