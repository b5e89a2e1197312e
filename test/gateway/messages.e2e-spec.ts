import Anthropic from '@anthropic-ai/sdk';
import { ANTHROPIC_THINKING_SIGNATURE, ANTHROPIC_THINKING_TEXT } from '../../apps/fake-upstream/src/anthropic-format';
import { translatedProviders } from '../support/provider-scenarios';
import { startGatewayHarness, type GatewayHarness } from '../support/gateway-harness';

/**
 * POST /v1/messages and /v1/messages/count_tokens with Anthropic's official SDK, through the
 * gateway to fake upstreams of every provider kind: the Messages API is translated to the
 * canonical Responses request at ingress, and the answer back at egress.
 */

const BEDROCK_MODEL = 'anthropic.claude-3-5-haiku-20241022-v1:0';
const PROVIDERS = [
  { provider: 'anthropic', model: 'anthropic/claude-sonnet-4-5', answeredBy: 'claude-sonnet-4-5' },
  { provider: 'openai', model: 'openai/gpt-4o-mini', answeredBy: 'gpt-4o-mini' },
  { provider: 'gemini', model: 'gemini/gemini-2.5-flash', answeredBy: 'gemini-2.5-flash' },
  { provider: 'bedrock', model: `bedrock/${BEDROCK_MODEL}`, answeredBy: BEDROCK_MODEL },
];

const weatherTool: Anthropic.Tool = {
  name: 'get_weather',
  description: 'The weather in a city',
  input_schema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
};

describe('Anthropic Messages API (/v1/messages)', () => {
  let h: GatewayHarness;
  let key: string;
  let client: Anthropic;

  beforeAll(async () => {
    h = await startGatewayHarness({
      admin: true,
      providers: translatedProviders,
    });
    key = (await h.createKey({ name: 'messages' })).key;
    client = new Anthropic({ apiKey: key, baseURL: h.url, maxRetries: 0 });
  });
  afterAll(async () => {
    await h?.close();
  });
  beforeEach(() => h.upstream.reset());

  describe.each(PROVIDERS)('through $provider', ({ provider, model, answeredBy }) => {
    it('messages.create: an Anthropic message, usage, cost, the gateway headers and one log row', async () => {
      const input = 'Hi there [[usage:40,3]]';
      const { data, response, request_id } = await client.messages.create({ model, max_tokens: 300, system: 'Be brief.', messages: [{ role: 'user', content: input }] }).withResponse();
      expect(data).toMatchObject({ type: 'message', role: 'assistant', stop_reason: 'end_turn', stop_sequence: null, content: [{ type: 'text', text: `Hello from ${answeredBy}! You said: ${input}` }] });
      expect(data.id).toMatch(/^msg_/);
      // Anthropic's request-id header, which the SDK exposes as _request_id: the gateway's id
      expect(request_id).toBe(response.headers.get('x-request-id'));
      expect(request_id).toMatch(/^[0-9a-f-]{36}$/);
      const plain = await client.messages.create({ model, max_tokens: 300, messages: [{ role: 'user', content: 'Again' }] });
      expect(plain._request_id).toMatch(/^[0-9a-f-]{36}$/);
      expect(data.usage).toMatchObject({ input_tokens: 40, output_tokens: 3, cache_read_input_tokens: 0 });
      expect(response.headers.get('x-bf-provider')).toBe(provider);
      expect(response.headers.get('x-bf-fallback-index')).toBe('0');
      expect(Number(response.headers.get('x-bf-cost-usd'))).toBeGreaterThan(0);
      const extra = (data as unknown as { extra_fields: Record<string, unknown> }).extra_fields;
      expect(extra).toMatchObject({ request_type: 'messages', provider, model_requested: model, fallback_index: 0 });
      expect((data.usage as unknown as { cost: { total_cost: number } }).cost.total_cost).toBeGreaterThan(0);
      const rows = await h.logRows(response.headers.get('x-request-id')!);
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({ provider, status: 'success', input_tokens: 40, output_tokens: 3, stream: false });
    });

    it('messages.stream().finalMessage(): the Anthropic event sequence, text in deltas', async () => {
      const input = 'Stream it [[chunks:4]] [[usage:9,4]]';
      const stream = client.messages.stream({ model, max_tokens: 300, messages: [{ role: 'user', content: input }] });
      const types: string[] = [];
      const deltas: string[] = [];
      stream.on('streamEvent', (e) => types.push(e.type));
      stream.on('text', (d) => deltas.push(d));
      const final = await stream.finalMessage();
      expect(final.content).toEqual([{ type: 'text', text: `Hello from ${answeredBy}! You said: ${input}` }]);
      expect(final).toMatchObject({ stop_reason: 'end_turn', usage: { input_tokens: 9, output_tokens: 4 } });
      expect(deltas.length).toBe(4);
      expect(types).toEqual(['message_start', 'content_block_start', ...deltas.map(() => 'content_block_delta'), 'content_block_stop', 'message_delta', 'message_stop']);
      const requestId = (await stream.withResponse()).response.headers.get('x-request-id')!;
      expect(stream.request_id).toBe(requestId);
      const rows = await h.logRows(requestId);
      expect(rows[0]).toMatchObject({ provider, status: 'success', stream: true, input_tokens: 9, output_tokens: 4 });
      // On the wire (the SDK hides pings): Anthropic's frames, `event:` naming each, a ping after the first block opened.
      const raw = await fetch(`${h.url}/v1/messages`, {
        method: 'POST',
        headers: { 'x-api-key': key, 'anthropic-version': '2023-06-01', 'content-type': 'application/json' },
        body: JSON.stringify({ model, max_tokens: 300, stream: true, messages: [{ role: 'user', content: input }] }),
      });
      expect(raw.headers.get('content-type')).toMatch(/^text\/event-stream/);
      const frames = (await raw.text()).split('\n\n').filter((f) => f !== '');
      const events = frames.map((f) => {
        const [event, data] = f.split('\n');
        expect(event).toBe(`event: ${(JSON.parse(data.slice('data: '.length)) as { type: string }).type}`);
        return event.slice('event: '.length);
      });
      expect(events).toEqual(['message_start', 'content_block_start', 'ping', 'content_block_delta', 'content_block_delta', 'content_block_delta', 'content_block_delta', 'content_block_stop', 'message_delta', 'message_stop']);
    });

    it('a tool loop: tool_use, then the tool_result answered', async () => {
      const question: Anthropic.MessageParam = { role: 'user', content: 'Weather in Paris? [[tool:get_weather]] [[tool-args:{"city":"Paris"}]]' };
      const first = await client.messages.create({ model, max_tokens: 300, tools: [weatherTool], messages: [question] });
      expect(first.stop_reason).toBe('tool_use');
      const call = first.content.find((b): b is Anthropic.ToolUseBlock => b.type === 'tool_use')!;
      expect(call).toMatchObject({ name: 'get_weather', input: { city: 'Paris' } });
      // Streamed this time, as agents do.
      const second = await client.messages.stream({
        model, max_tokens: 300, tools: [weatherTool],
        messages: [question, { role: 'assistant', content: first.content }, { role: 'user', content: [{ type: 'tool_result', tool_use_id: call.id, content: 'sunny' }] }],
      }).finalMessage();
      expect(second.content).toEqual([{ type: 'text', text: 'Tool said: sunny' }]);
      expect(second.stop_reason).toBe('end_turn');
    });

    it('countTokens: an estimate of the input, nothing sent upstream', async () => {
      const before = h.upstream.stats.requests;
      const counted = await client.messages.countTokens({ model, system: 'x'.repeat(40), tools: [weatherTool], messages: [{ role: 'user', content: 'y'.repeat(400) }] });
      const toolBytes = Buffer.byteLength(JSON.stringify([{ type: 'function', name: weatherTool.name, parameters: weatherTool.input_schema, strict: false, description: weatherTool.description }]));
      expect(counted).toEqual({ input_tokens: Math.ceil((440 + toolBytes) / 4) });
      expect(counted._request_id).toMatch(/^[0-9a-f-]{36}$/);
      expect(h.upstream.stats.requests).toBe(before);
    });
  });

  it('thinking through Anthropic: the signed block comes back to the client and goes back upstream in the tool loop', async () => {
    const model = 'anthropic/claude-sonnet-4-5';
    const question: Anthropic.MessageParam = { role: 'user', content: 'Weather? [[tool:get_weather]] [[tool-args:{"city":"Oslo"}]]' };
    const thinking = { type: 'enabled' as const, budget_tokens: 2048 };
    const first = await client.messages.stream({ model, max_tokens: 4096, thinking, tools: [weatherTool], messages: [question] }).finalMessage();
    expect(first.content.map((b) => b.type)).toEqual(['thinking', 'tool_use']);
    expect(first.content[0]).toMatchObject({ type: 'thinking', thinking: ANTHROPIC_THINKING_TEXT });
    const sent = h.upstream.requests.at(-1)!.body as Record<string, unknown>;
    expect(sent.thinking).toEqual({ type: 'enabled', budget_tokens: 1024 });
    const call = first.content[1] as Anthropic.ToolUseBlock;
    // The fake verifies the thinking block and its signature as Anthropic does.
    const second = await client.messages.create({
      model, max_tokens: 4096, thinking, tools: [weatherTool],
      messages: [question, { role: 'assistant', content: first.content }, { role: 'user', content: [{ type: 'tool_result', tool_use_id: call.id, content: 'cold' }] }],
    });
    expect(second.content.at(-1)).toEqual({ type: 'text', text: 'Tool said: cold' });
    const resent = (h.upstream.requests.at(-1)!.body as { messages: { content: unknown[] }[] }).messages[1].content[0];
    expect(resent).toEqual({ type: 'thinking', thinking: ANTHROPIC_THINKING_TEXT, signature: ANTHROPIC_THINKING_SIGNATURE });
  });

  it.each(['anthropic/claude-sonnet-4-5', 'gemini/gemini-2.5-flash'])('web search as the server tool through %s: the search blocks and the citation, streaming and not', async (model) => {
    const params = {
      model, max_tokens: 300,
      tools: [{ type: 'web_search_20250305' as const, name: 'web_search' as const, max_uses: 3 }],
      messages: [{ role: 'user' as const, content: 'Latest news? [[web-search]]' }],
    };
    const url = 'https://example.com/fake-search-result';
    for (const message of [await client.messages.create(params), await client.messages.stream(params).finalMessage()]) {
      // In the provider's order: Anthropic searches first, Gemini reports its grounding after the text.
      expect(message.content.map((b) => b.type).sort()).toEqual(['server_tool_use', 'text', 'web_search_tool_result']);
      const use = message.content.find((b): b is Anthropic.ServerToolUseBlock => b.type === 'server_tool_use')!;
      const result = message.content.find((b): b is Anthropic.WebSearchToolResultBlock => b.type === 'web_search_tool_result')!;
      const text = message.content.find((b): b is Anthropic.TextBlock => b.type === 'text')!;
      expect(message.content.indexOf(result)).toBe(message.content.indexOf(use) + 1);
      expect(use).toMatchObject({ name: 'web_search', input: { query: 'Latest news? [[web-search]]' } });
      expect(result).toMatchObject({ tool_use_id: use.id, content: [{ type: 'web_search_result', url }] });
      expect(text.citations).toEqual([expect.objectContaining({ type: 'web_search_result_location', url, cited_text: text.text })]);
      expect(message.stop_reason).toBe('end_turn');
    }
    // Sent back as history, the search blocks are not sent on (the search already informed the answer).
    const again = await client.messages.create({ ...params, messages: [...params.messages, { role: 'assistant', content: (await client.messages.create(params)).content }, { role: 'user', content: 'Thanks [[no-tool]]' }] });
    expect(again.content.some((b) => b.type === 'text')).toBe(true);
    if (model.startsWith('anthropic/')) {
      const sent = h.upstream.requests.at(-1)!.body as { messages: { content: { type: string }[] }[] };
      expect(sent.messages[1].content.map((b) => b.type)).toEqual(['text']);
    }
  });

  it('takes the key as x-api-key (apiKey) or Authorization: Bearer (authToken), and bare claude-* names as Anthropic models', async () => {
    const bearer = new Anthropic({ apiKey: null, authToken: key, baseURL: h.url, maxRetries: 0 });
    const msg = await bearer.messages.create({ model: 'claude-sonnet-4-5', max_tokens: 50, messages: [{ role: 'user', content: 'Hi' }] }, { headers: { 'anthropic-beta': 'prompt-caching-2024-07-31' } });
    expect(msg.content).toEqual([{ type: 'text', text: 'Hello from claude-sonnet-4-5! You said: Hi' }]);
  });

  it('falls back to another provider, streaming too', async () => {
    const body = { model: 'openai/gpt-4o-mini', max_tokens: 100, messages: [{ role: 'user' as const, content: 'hi [[fail-model:gpt-4o-mini:503]]' }], fallbacks: ['gemini/gemini-2.5-flash'] };
    const { data, response } = await client.messages.create(body as Anthropic.MessageCreateParamsNonStreaming).withResponse();
    expect(response.headers.get('x-bf-provider')).toBe('gemini');
    expect(response.headers.get('x-bf-fallback-index')).toBe('1');
    expect(data.content[0]).toMatchObject({ text: expect.stringContaining('Hello from gemini-2.5-flash') });
    const streamed = await client.messages.stream(body as Anthropic.MessageStreamParams).finalMessage();
    expect(streamed.content[0]).toMatchObject({ text: expect.stringContaining('Hello from gemini-2.5-flash') });
  });

  it("ends a stream the upstream breaks after content with Anthropic's error event, which the SDK throws", async () => {
    const stream = client.messages.stream({ model: 'openai/gpt-4o-mini', max_tokens: 100, messages: [{ role: 'user', content: 'hi [[stream-error]]' }] });
    const texts: string[] = [];
    stream.on('text', (t) => texts.push(t));
    const err = await stream.finalMessage().catch((e: unknown) => e);
    expect(texts.length).toBeGreaterThan(0);
    expect(err).toBeInstanceOf(Anthropic.APIError);
    expect((err as InstanceType<typeof Anthropic.APIError>).error).toMatchObject({ type: 'error', error: { type: 'api_error', message: 'The server had an error while processing your request. Sorry about that!' } });
  });

  it('is documented in the admin Swagger', async () => {
    const doc = (await (await fetch(`${h.adminUrl}/docs-json`)).json()) as { info: { description: string } };
    expect(doc.info.description).toContain('POST /v1/messages');
    expect(doc.info.description).toContain('count_tokens');
  });

  it("refuses in Anthropic's error shape: bad key 401, allowlist 403, budget 402, bad input 400, upstream failure 502", async () => {
    const params = { model: 'openai/gpt-4o-mini', max_tokens: 50, messages: [{ role: 'user' as const, content: 'Hi' }] };
    const errorOf = (c: Anthropic, p: unknown = params) => c.messages.create(p as Anthropic.MessageCreateParamsNonStreaming).then(() => null, (e: unknown) => e as InstanceType<typeof Anthropic.APIError>);

    const bad = await errorOf(new Anthropic({ apiKey: 'sk-bf-not-a-key', baseURL: h.url, maxRetries: 0 }));
    expect(bad).toBeInstanceOf(Anthropic.AuthenticationError);
    expect(bad!.error).toMatchObject({ type: 'error', error: { type: 'authentication_error' } });
    expect(bad!.headers?.get('x-should-retry')).toBe('false');
    expect(bad!.requestID).toBe(bad!.headers?.get('x-request-id'));

    const narrow = await h.createKey({ name: 'narrow', allowed_models: ['gemini/*'] });
    const denied = await errorOf(new Anthropic({ apiKey: narrow.key, baseURL: h.url, maxRetries: 0 }));
    expect(denied).toBeInstanceOf(Anthropic.PermissionDeniedError);
    expect(denied!.error).toMatchObject({ type: 'error', error: { type: 'permission_error', message: expect.stringContaining('openai/gpt-4o-mini') } });
    // count_tokens checks the allowlist too
    const countDenied = await new Anthropic({ apiKey: narrow.key, baseURL: h.url, maxRetries: 0 }).messages.countTokens({ model: 'openai/gpt-4o-mini', messages: params.messages }).catch((e: unknown) => e);
    expect(countDenied).toBeInstanceOf(Anthropic.PermissionDeniedError);

    const poor = await h.createKey({ name: 'poor', budget_max_usd: 0.000001, budget_period: '1d' });
    const broke = await errorOf(new Anthropic({ apiKey: poor.key, baseURL: h.url, maxRetries: 0 }), { ...params, max_tokens: 4096 });
    expect(broke!.status).toBe(402);
    expect(broke!.error).toMatchObject({ type: 'error', error: { type: 'billing_error' } });

    const invalid = await errorOf(client, { ...params, stop_sequences: ['END'] });
    expect(invalid).toBeInstanceOf(Anthropic.BadRequestError);
    expect(invalid!.error).toMatchObject({ type: 'error', error: { type: 'invalid_request_error', message: expect.stringContaining('stop_sequences') } });

    const failed = await errorOf(client, { ...params, messages: [{ role: 'user', content: 'Hi [[fail:500]]' }] });
    expect(failed!.status).toBe(502);
    expect(failed!.error).toMatchObject({ type: 'error', error: { type: 'api_error', message: expect.stringContaining('openai') } });
    expect(h.upstream.requests.some((r) => JSON.stringify(r.body).includes('stop_sequences'))).toBe(false);
  });
});
