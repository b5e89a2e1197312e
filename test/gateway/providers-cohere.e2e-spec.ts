import { createOpenAI } from '@ai-sdk/openai';
import { generateText, jsonSchema, stepCountIs, streamText, tool } from 'ai';
import OpenAI from 'openai';
import { createFakeUpstream, type FakeUpstream } from '../../apps/fake-upstream/src/fake-upstream';
import { startGatewayHarness, type GatewayHarness } from '../support/gateway-harness';

/** Cohere v2 chat through /v1/responses, against a fake Cohere speaking its JSON and SSE. */
describe('Cohere through /v1/responses', () => {
  let h: GatewayHarness;
  let cohere: FakeUpstream;
  let client: OpenAI;
  let provider: ReturnType<typeof createOpenAI>;
  const MODEL = 'cohere/command-a-03-2025';

  beforeAll(async () => {
    cohere = await createFakeUpstream();
    const fast = { max_retries: 2, retry_backoff_ms: 1, retry_backoff_max_ms: 20, timeout_ms: 5_000, stream_idle_timeout_ms: 2_000 };
    h = await startGatewayHarness(() => ({
      cohere: { base_url: cohere.url, keys: [{ value: 'co-test-key' }], ...fast },
    }));
    const { key } = await h.createKey({ name: 'cohere' });
    client = new OpenAI({ apiKey: key, baseURL: `${h.url}/v1`, maxRetries: 0 });
    provider = createOpenAI({ apiKey: key, baseURL: `${h.url}/v1` });
  });
  afterAll(async () => {
    await h?.close();
    await cohere?.close();
  });
  beforeEach(() => cohere.reset());

  const lastSent = () => cohere.requests.at(-1)!;

  const weather = tool({
    description: 'Weather in a city',
    inputSchema: jsonSchema<{ city: string }>({ type: 'object', properties: { city: { type: 'string' } }, required: ['city'], additionalProperties: false }),
    execute: async ({ city }) => `sunny in ${city}`,
  });

  it('responses.create: v2 chat with a bearer key, billed usage', async () => {
    const { data, response } = await client.responses
      .create({ model: MODEL, instructions: 'Be brief.', input: 'Hi there [[usage:40,3]]', max_output_tokens: 300 })
      .withResponse();
    expect(response.headers.get('x-bf-provider')).toBe('cohere');
    expect(data.status).toBe('completed');
    expect(data.output_text).toBe('Hello from command-a-03-2025! You said: Hi there [[usage:40,3]]');
    expect(data.usage).toMatchObject({ input_tokens: 40, output_tokens: 3, total_tokens: 43 });
    expect(data.model).toBe('command-a-03-2025');
    const sent = lastSent();
    expect(sent.path).toBe('/v2/chat');
    expect(sent.headers.authorization).toBe('Bearer co-test-key');
    expect(sent.body).toEqual({
      model: 'command-a-03-2025', max_tokens: 300,
      messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Hi there [[usage:40,3]]' }],
    });
    const rows = await h.logRows(response.headers.get('x-request-id')!);
    expect(rows.map((r) => [r.provider, r.status, r.input_tokens, r.output_tokens])).toEqual([['cohere', 'success', 40, 3]]);
  });

  it('responses.stream().finalResponse() passes the strict checks of the official SDK', async () => {
    const stream = client.responses.stream({ model: MODEL, input: 'Stream it [[chunks:4]] [[usage:9,4]]' });
    const types: string[] = [];
    stream.on('event', (e) => types.push(e.type));
    const final = await stream.finalResponse();
    expect(final.status).toBe('completed');
    expect(final.output_text).toBe('Hello from command-a-03-2025! You said: Stream it [[chunks:4]] [[usage:9,4]]');
    expect(final.usage).toMatchObject({ input_tokens: 9, output_tokens: 4 });
    expect(types.filter((t) => t === 'response.output_text.delta')).toHaveLength(4);
    expect(lastSent().body).toMatchObject({ stream: true });
  });

  it('a function tool round trip: tool_calls / tool messages on the wire, tool plan as reasoning', async () => {
    const tools = [{ type: 'function' as const, name: 'weather', description: 'Weather', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] }, strict: false }];
    const first = await client.responses.create({ model: MODEL, input: 'weather in Paris?', tools, tool_choice: 'required' });
    expect(first.output.map((o) => o.type)).toEqual(['reasoning', 'function_call']);
    const call = first.output.find((o) => o.type === 'function_call');
    if (call?.type !== 'function_call') throw new Error('no call');
    expect(call).toMatchObject({ name: 'weather', arguments: '{"city":"test"}' });
    expect(lastSent().body).toMatchObject({ tool_choice: 'REQUIRED', tools: [{ type: 'function', function: { name: 'weather', parameters: tools[0].parameters } }] });

    const second = await client.responses.create({
      model: MODEL,
      input: [{ role: 'user', content: 'weather in Paris?' }, call, { type: 'function_call_output', call_id: call.call_id, output: 'sunny' }],
      tools,
    });
    expect(second.output_text).toBe('Tool said: sunny');
    expect((lastSent().body as { messages: unknown[] }).messages).toEqual([
      { role: 'user', content: 'weather in Paris?' },
      { role: 'assistant', tool_calls: [{ id: call.call_id, type: 'function', function: { name: 'weather', arguments: '{"city":"test"}' } }] },
      { role: 'tool', tool_call_id: call.call_id, content: 'sunny' },
    ]);
  });

  it('AI SDK: generateText, and streamText with a two-step tool loop', async () => {
    const text = await generateText({ model: provider.responses(MODEL), prompt: 'Hi [[usage:7,3]]', maxRetries: 0 });
    expect(text.text).toContain('Hello from command-a-03-2025');
    expect(text.usage).toMatchObject({ inputTokens: 7, outputTokens: 3 });
    const streamed = streamText({ model: provider.responses(MODEL), prompt: 'What is the weather in Paris?', tools: { weather }, stopWhen: stepCountIs(3), maxRetries: 0 });
    const errors: unknown[] = [];
    for await (const part of streamed.fullStream) if (part.type === 'error') errors.push(part.error);
    expect(errors).toEqual([]);
    expect(await streamed.steps).toHaveLength(2);
    expect(await streamed.text).toBe('Tool said: sunny in test');
  });

  it('structured output via response_format, and MAX_TOKENS as incomplete', async () => {
    const schema = { type: 'object', properties: { city: { type: 'string' } }, required: ['city'], additionalProperties: false };
    const res = await client.responses.create({ model: MODEL, input: 'json', text: { format: { type: 'json_schema', name: 'f', schema, strict: true } } });
    expect(JSON.parse(res.output_text)).toEqual({ city: 'test' });
    expect(lastSent().body).toMatchObject({ response_format: { type: 'json_object', json_schema: schema } });
    const cut = await client.responses.stream({ model: MODEL, input: 'long [[incomplete]]' }).finalResponse();
    expect(cut.status).toBe('incomplete');
  });

  it('Cohere errors keep their message; a hosted tool is a 400 naming cohere', async () => {
    const bad = await client.responses.create({ model: MODEL, input: 'x [[fail:422]]' }).catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(OpenAI.UnprocessableEntityError);
    expect((bad as Error).message).toContain('Injected error 422 (fake upstream).');
    const hosted = await client.responses.create({ model: MODEL, input: 'x', tools: [{ type: 'code_interpreter', container: { type: 'auto' } }] }).catch((e: unknown) => e);
    expect(hosted).toBeInstanceOf(OpenAI.BadRequestError);
    expect((hosted as Error).message).toContain('cohere does not support the code_interpreter tool');
  });
});
