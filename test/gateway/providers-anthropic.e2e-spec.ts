import OpenAI from 'openai';
import { FAST, aiSdkToolLoop, callWeather, createHello, expectFallback, expectIncomplete, expectRefused, expectStreamedFallback, midStreamError, streamHello, useProviderGateway, weatherFunction } from '../support/provider-scenarios';

/**
 * Anthropic through /v1/responses: the gateway speaks the Messages API to a fake Anthropic
 * (its own server), and the official OpenAI SDK and the AI SDK read the translated answers.
 */
describe('Anthropic through /v1/responses', () => {
  const g = useProviderGateway({
    fakes: ['anthropic'],
    providers: ({ anthropic }, { backup }) => ({
      // kind and defaults from the catalog; the base URL is the host root, as in Anthropic's SDK.
      anthropic: { base_url: anthropic.url, keys: [{ value: 'sk-ant-test' }], ...FAST },
      mistral: { base_url: `${backup}/v1`, keys: [{ value: 'sk-mistral' }], ...FAST },
    }),
    keyName: 'anthropic',
  });
  const MODEL = 'anthropic/claude-sonnet-4-5';
  const lastSent = () => g.fakes.anthropic.requests.at(-1)!;
  const fallback = { model: MODEL, fallback: 'mistral/mistral-small-latest', status: 529, provider: 'mistral', answeredBy: 'mistral-small-latest' };

  it('responses.create: Messages API call, translated answer, usage with cache reads added into input', async () => {
    const { data, rows } = await createHello(g, {
      model: MODEL, input: 'Hi there [[usage:40,3]] [[cached:30]]', provider: 'anthropic', answeredBy: 'claude-sonnet-4-5', body: { max_output_tokens: 300 },
    });
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
    expect(rows.map((r) => [r.provider, r.status, r.input_tokens, r.cached_tokens, r.output_tokens])).toEqual([['anthropic', 'success', 40, 30, 3]]);
  });

  it('responses.stream().finalResponse() with the strict event checks of the official SDK', async () => {
    await streamHello(g, MODEL, 'claude-sonnet-4-5', 4);
    expect(lastSent().body).toMatchObject({ stream: true, max_tokens: 8192 });
  });

  it('a function tool round trip with the official SDK, tool_use/tool_result on the wire', async () => {
    const { call, answer } = await callWeather(g, MODEL);
    expect(call.call_id).toMatch(/^toolu_/);
    expect(lastSent().body).toMatchObject({ tools: [{ name: 'weather', input_schema: weatherFunction.parameters }] });
    await answer('sunny');
    expect((lastSent().body as { messages: unknown[] }).messages).toEqual([
      { role: 'user', content: [{ type: 'text', text: 'weather in Paris?' }] },
      { role: 'assistant', content: [{ type: 'tool_use', id: call.call_id, name: 'weather', input: { city: 'test' } }] },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: call.call_id, content: 'sunny' }] },
    ]);
  });

  it('AI SDK: generateText, and streamText with a two-step tool loop', async () => {
    await aiSdkToolLoop(g, MODEL, 'claude-sonnet-4-5');
  });

  it('structured output through the forced json_response tool, streaming and not', async () => {
    const schema = { type: 'object', properties: { city: { type: 'string' }, temp: { type: 'number' } }, required: ['city', 'temp'], additionalProperties: false };
    const format = { type: 'json_schema' as const, name: 'forecast', schema, strict: true };
    const res = await g.client.responses.create({ model: MODEL, input: 'forecast please', text: { format } });
    expect(JSON.parse(res.output_text)).toEqual({ city: 'test', temp: 1 });
    expect(lastSent().body).toMatchObject({ tool_choice: { type: 'tool', name: 'json_response' }, tools: [{ name: 'json_response', input_schema: schema }] });
    const final = await g.client.responses.stream({ model: MODEL, input: 'forecast please', text: { format } }).finalResponse();
    expect(JSON.parse(final.output_text)).toEqual({ city: 'test', temp: 1 });
  });

  it('reasoning effort turns on thinking; thinking comes back as a reasoning item, with a summary when asked for', async () => {
    const res = await g.client.responses.create({ model: MODEL, input: 'think [[usage:5,9]]', reasoning: { effort: 'low', summary: 'auto' } });
    expect(lastSent().body).toMatchObject({ thinking: { type: 'enabled', budget_tokens: 1024 }, max_tokens: 8192 + 1024 });
    expect(res.output.map((o) => o.type)).toEqual(['reasoning', 'message']);
    expect(res.output[0]).toMatchObject({ summary: [{ type: 'summary_text', text: 'Let me think about that.' }], encrypted_content: expect.stringMatching(/^gwr1\.anthropic\./) });
    const final = await g.client.responses.stream({ model: MODEL, input: 'think', reasoning: { effort: 'low' } }).finalResponse();
    expect(final.output.map((o) => o.type)).toEqual(['reasoning', 'message']);
    expect(final.output[0]).toMatchObject({ summary: [] });
  });

  it('max_tokens becomes an incomplete response', async () => {
    await expectIncomplete(g, MODEL);
  });

  it('529 overloaded_error is retried, then falls back to another provider (not streaming)', async () => {
    const { rows } = await expectFallback(g, { ...fallback, failing: g.fakes.anthropic });
    expect(rows.map((r) => [r.provider, r.status, r.http_status, r.error_code])).toEqual([
      ['anthropic', 'error', 529, 'overloaded_error'],
      ['mistral', 'success', 200, null],
    ]);
  });

  it('529 overloaded_error is retried, then falls back while streaming', async () => {
    await expectStreamedFallback(g, { ...fallback, failing: g.fakes.anthropic });
  });

  it('an overloaded error after content reaches the client as response.failed with the message', async () => {
    expect(await midStreamError(g, MODEL)).toEqual({ code: 'overloaded_error', message: 'Overloaded' });
  });

  it('offers web search as its server tool; forcing a hosted tool it lacks is a 400 naming anthropic and the tool, before calling it', async () => {
    const res = await g.client.responses.create({ model: MODEL, input: 'search', tools: [{ type: 'web_search_preview' }] });
    expect(res.status).toBe('completed');
    expect(lastSent().body).toMatchObject({ tools: [{ type: 'web_search_20250305', name: 'web_search' }] });
    g.fakes.anthropic.reset();
    await expectRefused(g, MODEL, { input: 'search', tools: [{ type: 'file_search', vector_store_ids: ['vs'] }], tool_choice: { type: 'file_search' } }, {
      message: "anthropic does not support forcing the hosted tool 'file_search'", param: 'tool_choice',
    });
    expect(g.fakes.anthropic.stats.requests).toBe(0);
  });

  it("relays Anthropic's own 400 message without falling back", async () => {
    g.fakes.anthropic.failNext(1, 400, { body: { type: 'error', error: { type: 'invalid_request_error', message: 'messages.0.content: Input should be a valid list' } } });
    const err = await g.client.responses.create({ model: MODEL, input: 'x', fallbacks: ['mistral/m'] } as never).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect((err as Error).message).toContain('messages.0.content: Input should be a valid list');
    expect(g.h.backup.stats.requests).toBe(0);
  });
});
