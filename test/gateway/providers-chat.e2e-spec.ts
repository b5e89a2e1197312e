import { FAST, aiSdkToolLoop, callWeather, createHello, expectFallback, expectIncomplete, expectRefused, expectStreamedFallback, midStreamError, streamHello, useProviderGateway, weatherFunction } from '../support/provider-scenarios';

/**
 * Chat-only providers through /v1/responses: the gateway calls /chat/completions on a fake
 * chat server and the official OpenAI SDK and the AI SDK read the translated answers.
 */
describe('Chat Completions providers through /v1/responses', () => {
  const g = useProviderGateway({
    fakes: ['chat', 'local'],
    // The fake behind `mistral` validates requests as strictly as Mistral's API (422 on unknown fields).
    dialects: { chat: 'mistral' },
    providers: ({ chat, local }) => ({
      // `mistral` is in the catalog as kind chat-completions.
      mistral: { base_url: `${chat.url}/v1`, keys: [{ value: 'sk-mistral' }], ...FAST },
      // Any other chat-only server: kind chat-completions, OpenAI's dialect.
      localchat: { kind: 'chat-completions', base_url: `${local.url}/v1`, keys: [{ value: 'local-key' }], ...FAST },
    }),
    keyName: 'chat',
  });
  const MODEL = 'mistral/mistral-small-latest';
  const lastSent = () => g.fakes.chat.requests.at(-1)!;

  it('responses.create: chat request on the wire, Response back, usage with cached tokens', async () => {
    const { data, rows } = await createHello(g, {
      model: MODEL, input: 'Hi there [[usage:20,4]] [[cached:8]]', provider: 'mistral', answeredBy: 'mistral-small-latest',
      body: { max_output_tokens: 50, temperature: 0.2 },
    });
    expect(data).toMatchObject({ object: 'response', status: 'completed', model: 'mistral-small-latest' });
    expect(data.id).toMatch(/^resp_/);
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
    expect(rows.map((r) => [r.provider, r.status, r.input_tokens, r.cached_tokens, r.output_tokens])).toEqual([['mistral', 'success', 20, 8, 4]]);
  });

  it('responses.stream().finalResponse(): chat chunks become the strict Responses sequence', async () => {
    await streamHello(g, MODEL, 'mistral-small-latest', 5);
    // Mistral refuses stream_options (422) and reports usage unasked: the other chat servers are asked.
    expect(lastSent().body).toMatchObject({ stream: true });
    expect(lastSent().body).not.toHaveProperty('stream_options');
    await streamHello(g, 'localchat/llama-3', 'llama-3', 3);
    expect(g.fakes.local.requests.at(-1)!.body).toMatchObject({ stream: true, stream_options: { include_usage: true } });
  });

  it('a function tool round trip with the official SDK, tool_calls and tool messages on the wire', async () => {
    const { call, answer } = await callWeather(g, MODEL, { stream: true });
    expect(lastSent().body).toMatchObject({ tools: [{ type: 'function', function: { name: 'weather', description: 'Weather', parameters: weatherFunction.parameters, strict: false } }] });
    await answer('sunny');
    expect((lastSent().body as { messages: unknown[] }).messages).toEqual([
      { role: 'user', content: 'weather in Paris?' },
      { role: 'assistant', content: null, tool_calls: [{ id: call.call_id, type: 'function', function: { name: 'weather', arguments: '{"city":"test"}' } }] },
      { role: 'tool', tool_call_id: call.call_id, content: 'sunny' },
    ]);
  });

  it('AI SDK: generateText, and streamText with a two-step tool loop', async () => {
    await aiSdkToolLoop(g, MODEL, 'mistral-small-latest');
  });

  it('structured output through response_format, streaming and not', async () => {
    const schema = { type: 'object', properties: { city: { type: 'string' } }, required: ['city'], additionalProperties: false };
    const format = { type: 'json_schema' as const, name: 'place', schema, strict: true };
    const res = await g.client.responses.create({ model: MODEL, input: 'where?', text: { format } });
    expect(JSON.parse(res.output_text)).toEqual({ city: 'test' });
    expect(lastSent().body).toMatchObject({ response_format: { type: 'json_schema', json_schema: { name: 'place', schema, strict: true } } });
    const final = await g.client.responses.stream({ model: MODEL, input: 'where?', text: { format } }).finalResponse();
    expect(JSON.parse(final.output_text)).toEqual({ city: 'test' });
  });

  it('finish_reason length becomes an incomplete response, streaming and not', async () => {
    await expectIncomplete(g, MODEL);
  });

  it('a provider configured with kind chat-completions works the same', async () => {
    const res = await g.client.responses.create({ model: 'localchat/llama-3', input: 'hi' });
    expect(res.output_text).toContain('Hello from llama-3');
    expect(g.fakes.local.requests.at(-1)!.path).toBe('/v1/chat/completions');
    expect(g.fakes.local.requests.at(-1)!.headers.authorization).toBe('Bearer local-key');
  });

  it('falls back to another provider after the chat provider keeps failing, streaming and not', async () => {
    const fallback = { model: MODEL, fallback: 'backup/gpt-4o-mini', failing: g.fakes.chat, status: 503, provider: 'backup', answeredBy: 'gpt-4o-mini' };
    await expectFallback(g, fallback);
    await expectStreamedFallback(g, fallback);
  });

  it('an error frame after content reaches the client as response.failed', async () => {
    expect((await midStreamError(g, MODEL))?.message).toContain('The server had an error');
  });

  // background mode is the gateway's own (stored responses), for every provider: see stateful.e2e-spec.ts.
  it('refuses forcing hosted tools with a 400 naming the provider and the tool', async () => {
    for (const [body, feature, param] of [
      [{ tools: [{ type: 'file_search', vector_store_ids: ['vs_1'] }], tool_choice: { type: 'file_search' } }, "forcing the hosted tool 'file_search'", 'tool_choice'],
      [{ tools: [{ type: 'code_interpreter', container: { type: 'auto' } }], tool_choice: 'required' }, "forcing the hosted tool 'code_interpreter'", 'tool_choice'],
    ] as const) {
      await expectRefused(g, MODEL, body, { message: `mistral does not support ${feature}`, param });
    }
    expect(g.fakes.chat.stats.requests).toBe(0);
  });
});
