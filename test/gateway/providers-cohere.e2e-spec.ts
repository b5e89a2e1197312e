import OpenAI from 'openai';
import { FAST, aiSdkToolLoop, callWeather, createHello, expectIncomplete, expectRefused, streamHello, useProviderGateway, weatherFunction } from '../support/provider-scenarios';

/** Cohere v2 chat through /v1/responses, against a fake Cohere speaking its JSON and SSE. */
describe('Cohere through /v1/responses', () => {
  const g = useProviderGateway({
    fakes: ['cohere'],
    providers: ({ cohere }) => ({
      cohere: { base_url: cohere.url, keys: [{ value: 'co-test-key' }], ...FAST },
    }),
    keyName: 'cohere',
  });
  const MODEL = 'cohere/command-a-03-2025';
  const lastSent = () => g.fakes.cohere.requests.at(-1)!;

  it('responses.create: v2 chat with a bearer key, billed usage', async () => {
    const { data, rows } = await createHello(g, {
      model: MODEL, input: 'Hi there [[usage:40,3]]', provider: 'cohere', answeredBy: 'command-a-03-2025', body: { max_output_tokens: 300 },
    });
    expect(data.usage).toMatchObject({ input_tokens: 40, output_tokens: 3, total_tokens: 43 });
    expect(data.model).toBe('command-a-03-2025');
    const sent = lastSent();
    expect(sent.path).toBe('/v2/chat');
    expect(sent.headers.authorization).toBe('Bearer co-test-key');
    expect(sent.body).toEqual({
      model: 'command-a-03-2025', max_tokens: 300,
      messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Hi there [[usage:40,3]]' }],
    });
    expect(rows.map((r) => [r.provider, r.status, r.input_tokens, r.output_tokens])).toEqual([['cohere', 'success', 40, 3]]);
  });

  it('responses.stream().finalResponse() passes the strict checks of the official SDK', async () => {
    await streamHello(g, MODEL, 'command-a-03-2025', 4);
    expect(lastSent().body).toMatchObject({ stream: true });
  });

  it('a function tool round trip: tool_calls / tool messages on the wire, tool plan as reasoning (a summary, when asked for)', async () => {
    const { first, call, answer } = await callWeather(g, MODEL, { body: { tool_choice: 'required', reasoning: { summary: 'auto' } } });
    expect(first.output.map((o) => o.type)).toEqual(['reasoning', 'function_call']);
    expect(lastSent().body).toMatchObject({ tool_choice: 'REQUIRED', tools: [{ type: 'function', function: { name: 'weather', parameters: weatherFunction.parameters } }] });
    await answer('sunny');
    expect((lastSent().body as { messages: unknown[] }).messages).toEqual([
      { role: 'user', content: 'weather in Paris?' },
      { role: 'assistant', tool_calls: [{ id: call.call_id, type: 'function', function: { name: 'weather', arguments: '{"city":"test"}' } }] },
      { role: 'tool', tool_call_id: call.call_id, content: 'sunny' },
    ]);
  });

  it('AI SDK: generateText, and streamText with a two-step tool loop', async () => {
    await aiSdkToolLoop(g, MODEL, 'command-a-03-2025');
  });

  it('structured output via response_format, and MAX_TOKENS as incomplete', async () => {
    const schema = { type: 'object', properties: { city: { type: 'string' } }, required: ['city'], additionalProperties: false };
    const res = await g.client.responses.create({ model: MODEL, input: 'json', text: { format: { type: 'json_schema', name: 'f', schema, strict: true } } });
    expect(JSON.parse(res.output_text)).toEqual({ city: 'test' });
    expect(lastSent().body).toMatchObject({ response_format: { type: 'json_object', json_schema: schema } });
    await expectIncomplete(g, MODEL);
  });

  it('Cohere errors keep their message; forcing a hosted tool is a 400 naming cohere', async () => {
    const bad = await g.client.responses.create({ model: MODEL, input: 'x [[fail:422]]' }).catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(OpenAI.UnprocessableEntityError);
    expect((bad as Error).message).toContain('Injected error 422 (fake upstream).');
    await expectRefused(g, MODEL, { tools: [{ type: 'code_interpreter', container: { type: 'auto' } }], tool_choice: 'required' }, {
      message: "cohere does not support forcing the hosted tool 'code_interpreter'", param: 'tool_choice',
    });
  });
});
