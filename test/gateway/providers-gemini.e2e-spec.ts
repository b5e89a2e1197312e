import OpenAI from 'openai';
import { FAST, aiSdkToolLoop, callWeather, createHello, expectFallback, expectIncomplete, expectRefused, expectStreamedFallback, midStreamError, streamHello, useProviderGateway, weatherFunction } from '../support/provider-scenarios';

/**
 * Gemini through /v1/responses: the gateway speaks generateContent / streamGenerateContent
 * (SSE) to a fake Gemini, and the official OpenAI SDK and the AI SDK read the translation.
 */
describe('Gemini through /v1/responses', () => {
  const g = useProviderGateway({
    fakes: ['gemini', 'anthropic'],
    providers: ({ gemini, anthropic }) => ({
      // kind and defaults from the catalog; the base URL is the part before /v1beta, as in Google's SDK.
      gemini: { base_url: gemini.url, keys: [{ value: 'gemini-test-key' }], ...FAST },
      anthropic: { base_url: anthropic.url, keys: [{ value: 'sk-ant-test' }], ...FAST },
    }),
    keyName: 'gemini',
  });
  const MODEL = 'gemini/gemini-2.5-flash';
  const lastSent = () => g.fakes.gemini.requests.at(-1)!;
  const fallback = { model: 'anthropic/claude-sonnet-4-5', fallback: MODEL, status: 529, provider: 'gemini', answeredBy: 'gemini-2.5-flash' };

  it('responses.create: generateContent call with x-goog-api-key, translated answer and usage', async () => {
    const { data, rows } = await createHello(g, {
      model: MODEL, input: 'Hi there [[usage:40,3]] [[cached:30]]', provider: 'gemini', answeredBy: 'gemini-2.5-flash',
      body: { max_output_tokens: 300, temperature: 0.2 },
    });
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
    expect(rows.map((r) => [r.provider, r.status, r.input_tokens, r.cached_tokens, r.output_tokens])).toEqual([['gemini', 'success', 40, 30, 3]]);
  });

  it('responses.stream().finalResponse() passes the strict checks of the official SDK', async () => {
    await streamHello(g, MODEL, 'gemini-2.5-flash', 4);
    expect(lastSent().path).toBe('/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse');
  });

  it('thought summaries come back as reasoning items; thoughts count as reasoning output', async () => {
    const res = await g.client.responses.create({ model: MODEL, input: 'think [[usage:5,9]] [[reasoning:4]]', reasoning: { effort: 'low', summary: 'auto' } });
    expect((lastSent().body as { generationConfig: unknown }).generationConfig).toEqual({ thinkingConfig: { thinkingBudget: 1024, includeThoughts: true } });
    expect(res.output.map((o) => o.type)).toEqual(['reasoning', 'message']);
    expect(res.usage).toMatchObject({ output_tokens: 9, output_tokens_details: { reasoning_tokens: 4 } });
    const final = await g.client.responses.stream({ model: MODEL, input: 'think [[reasoning:4]]', reasoning: { effort: 'low', summary: 'auto' } }).finalResponse();
    expect(final.output.map((o) => o.type)).toEqual(['reasoning', 'message']);
  });

  it('a function tool round trip with the official SDK: functionCall / named functionResponse on the wire', async () => {
    const strictWeather = { ...weatherFunction, parameters: { ...weatherFunction.parameters, additionalProperties: false }, strict: true };
    const { answer } = await callWeather(g, MODEL, { tools: [strictWeather] });
    expect(lastSent().body).toMatchObject({
      tools: [{ functionDeclarations: [{ name: 'weather', description: 'Weather', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } }] }],
    });
    await answer('sunny');
    expect((lastSent().body as { contents: unknown[] }).contents).toEqual([
      { role: 'user', parts: [{ text: 'weather in Paris?' }] },
      { role: 'model', parts: [{ functionCall: { name: 'weather', args: { city: 'test' } } }] },
      { role: 'user', parts: [{ functionResponse: { name: 'weather', response: { output: 'sunny' } } }] },
    ]);
  });

  it('AI SDK: generateText, and streamText with a two-step tool loop', async () => {
    await aiSdkToolLoop(g, MODEL, 'gemini-2.5-flash');
  });

  it('structured output with responseSchema, streaming and not', async () => {
    const schema = { type: 'object', properties: { city: { type: 'string' }, temp: { type: 'number' } }, required: ['city', 'temp'], additionalProperties: false };
    const format = { type: 'json_schema' as const, name: 'forecast', schema, strict: true };
    const res = await g.client.responses.create({ model: MODEL, input: 'forecast please', text: { format } });
    expect(JSON.parse(res.output_text)).toEqual({ city: 'test', temp: 1 });
    expect(lastSent().body).toMatchObject({ generationConfig: { responseMimeType: 'application/json', responseSchema: { type: 'object', required: ['city', 'temp'] } } });
    const final = await g.client.responses.stream({ model: MODEL, input: 'forecast please', text: { format } }).finalResponse();
    expect(JSON.parse(final.output_text)).toEqual({ city: 'test', temp: 1 });
  });

  it('MAX_TOKENS becomes an incomplete response, streaming and not', async () => {
    await expectIncomplete(g, MODEL);
  });

  it('Gemini errors: a 400 is the caller\'s with Gemini\'s message; 429 is retried then reported as 502', async () => {
    const gemini = g.fakes.gemini;
    const bad = await g.client.responses.create({ model: MODEL, input: 'x [[fail:400]]' }).catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(OpenAI.BadRequestError);
    expect((bad as Error).message).toContain('Injected bad request (fake upstream).');
    expect(gemini.stats.requests).toBe(1);

    gemini.reset();
    const limited = await g.client.responses.create({ model: MODEL, input: 'x [[fail:429]] [[retry-after:0]]' }).catch((e: unknown) => e);
    expect(limited).toBeInstanceOf(OpenAI.APIError);
    expect((limited as InstanceType<typeof OpenAI.APIError>).status).toBe(502);
    expect((limited as Error).message).toContain('gemini/gemini-2.5-flash (429: Rate limit reached');
    expect(gemini.stats.requests).toBe(3);
  });

  it('an error chunk after content reaches the client as response.failed with Gemini\'s message', async () => {
    expect(await midStreamError(g, MODEL)).toMatchObject({ code: 'INTERNAL', message: expect.stringContaining('An internal error has occurred') });
  });

  it.each([
    [{ tools: [{ type: 'web_search_preview' }], tool_choice: { type: 'web_search_preview' } }, 'gemini does not support forcing web search with tool_choice', 'tool_choice'],
    [{ tools: [{ type: 'code_interpreter' }], tool_choice: 'required' }, "gemini does not support forcing the hosted tool 'code_interpreter'", 'tool_choice'],
  ])('refuses %j with a 400 naming gemini and the feature, before calling it', async (extra, message, param) => {
    await expectRefused(g, MODEL, extra, { message, param });
    expect(g.fakes.gemini.stats.requests).toBe(0);
  });

  it('anthropic answering 529 falls back to gemini (not streaming)', async () => {
    const { rows } = await expectFallback(g, { ...fallback, failing: g.fakes.anthropic });
    expect(rows.map((r) => [r.provider, r.status, r.http_status])).toEqual([
      ['anthropic', 'error', 529],
      ['gemini', 'success', 200],
    ]);
  });

  it('anthropic answering 529 falls back to gemini while streaming', async () => {
    await expectStreamedFallback(g, { ...fallback, failing: g.fakes.anthropic });
    expect(g.fakes.gemini.stats.requests).toBe(1);
  });
});
