import type { ProviderConfig } from '@app/common';
import { CACHE_CONTROL, type ResponsesRequest, type ResponsesStreamEvent, type StreamTranslator } from '../types';
import { AnthropicAdapter } from './anthropic.adapter';
import { defaultMaxTokens } from './anthropic-request';
import { rejection, testProvider, translateSse } from '../testing/adapter-fixtures';
import { carryThinking, uncarryThinking } from '../responses/reasoning-carrier';

const provider = (over: Partial<ProviderConfig> = {}): ProviderConfig => testProvider({ name: 'anthropic', kind: 'anthropic', baseUrl: 'https://api.anthropic.com', ...over });
const key = { id: 'k', value: 'sk-ant', weight: 1, models: [] };
const adapter = new AnthropicAdapter();
const MODEL = 'claude-sonnet-4-5-20250929';

function build(body: Omit<ResponsesRequest, 'model'>, stream = false, model = MODEL): Record<string, unknown> {
  const req = adapter.buildRequest({ body: { model: `anthropic/${model}`, ...body }, upstreamModel: model, stream, provider: provider(), key });
  return JSON.parse(req.body) as Record<string, unknown>;
}

function translate(wire: string, step: number, t: StreamTranslator = adapter.createStreamTranslator()): { events: ResponsesStreamEvent[]; t: StreamTranslator } {
  return translateSse(wire, step, t);
}

/** Frames events exactly as Anthropic does: an `event:` line naming the type, then `data:`. */
const sse = (events: Record<string, unknown>[]): string => events.map((e) => `event: ${String(e.type)}\ndata: ${JSON.stringify(e)}\n\n`).join('');

const messageStart = (usage: Record<string, unknown> = { input_tokens: 12, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, output_tokens: 1 }) => ({
  type: 'message_start',
  message: { model: MODEL, id: 'msg_01QC4g3HwBThD4BaNtBckFDJ', type: 'message', role: 'assistant', content: [], stop_reason: null, stop_sequence: null, usage },
});

// Shapes from Anthropic's streaming documentation and recordings of real streams (ids abridged).
const TEXT_STREAM = sse([
  messageStart({ input_tokens: 12, cache_creation_input_tokens: 100, cache_read_input_tokens: 2000, output_tokens: 1 }),
  { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } },
  { type: 'ping' },
  { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Hello' } },
  { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: '! Ça va? 🌍' } },
  { type: 'content_block_stop', index: 0 },
  { type: 'message_delta', delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: 30 } },
  { type: 'message_stop' },
]);

const THINKING_TOOL_STREAM = sse([
  messageStart({ input_tokens: 565, output_tokens: 7 }),
  { type: 'content_block_start', index: 0, content_block: { type: 'thinking', thinking: '', signature: '' } },
  { type: 'content_block_delta', index: 0, delta: { type: 'thinking_delta', thinking: 'The user wants' } },
  { type: 'content_block_delta', index: 0, delta: { type: 'thinking_delta', thinking: ' the weather.' } },
  { type: 'content_block_delta', index: 0, delta: { type: 'signature_delta', signature: 'EqQBCgIYAhIM1gbcDa9GJwZA' } },
  { type: 'content_block_stop', index: 0 },
  { type: 'content_block_start', index: 1, content_block: { type: 'text', text: '' } },
  { type: 'content_block_delta', index: 1, delta: { type: 'text_delta', text: "I'll check." } },
  { type: 'content_block_stop', index: 1 },
  { type: 'content_block_start', index: 2, content_block: { type: 'tool_use', id: 'toolu_01A', name: 'weather', input: {} } },
  { type: 'content_block_delta', index: 2, delta: { type: 'input_json_delta', partial_json: '' } },
  { type: 'content_block_delta', index: 2, delta: { type: 'input_json_delta', partial_json: '{"city": "Pa' } },
  { type: 'content_block_delta', index: 2, delta: { type: 'input_json_delta', partial_json: 'ris"}' } },
  { type: 'content_block_stop', index: 2 },
  { type: 'content_block_start', index: 3, content_block: { type: 'tool_use', id: 'toolu_01B', name: 'now', input: {} } },
  { type: 'content_block_delta', index: 3, delta: { type: 'input_json_delta', partial_json: '' } },
  { type: 'content_block_stop', index: 3 },
  { type: 'message_delta', delta: { stop_reason: 'tool_use', stop_sequence: null }, usage: { input_tokens: 565, output_tokens: 48, output_tokens_details: { thinking_tokens: 9 } } },
  { type: 'message_stop' },
]);

describe('AnthropicAdapter: request', () => {
  it('calls /v1/messages on the host root with x-api-key and anthropic-version', () => {
    const req = adapter.buildRequest({ body: { model: 'anthropic/x', input: 'hi' }, upstreamModel: MODEL, stream: true, provider: provider({ headers: { 'anthropic-beta': 'b1' } }), key });
    expect(req.url).toBe('https://api.anthropic.com/v1/messages');
    expect(req.headers).toMatchObject({ 'x-api-key': 'sk-ant', 'anthropic-version': '2023-06-01', 'anthropic-beta': 'b1', accept: 'text/event-stream' });
    expect(req.headers.authorization).toBeUndefined();
    expect(JSON.parse(req.body)).toEqual({ model: MODEL, max_tokens: 8192, messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }], stream: true });
  });

  it('maps system/developer, images, merged tool calls and results, tools and tool_choice', () => {
    const body = build({
      instructions: 'Be brief.',
      input: [
        { role: 'developer', content: 'Metric units.' },
        { role: 'user', content: [
          { type: 'input_text', text: 'Weather here?' },
          { type: 'input_image', image_url: 'data:image/jpeg;base64,/9j/4AAQ' },
          { type: 'input_image', image_url: 'https://example.com/a.png' },
          { type: 'input_file', filename: 'a.pdf', file_data: 'data:application/pdf;base64,JVBERi0=' },
        ] },
        { type: 'reasoning', id: 'rs_1', summary: [], encrypted_content: carryThinking('anthropic', { text: 'Need weather.', signature: 'sig-1' }) },
        // Reasoning from elsewhere (OpenAI's encrypted content, Bedrock's, or none) is not sent.
        { type: 'reasoning', id: 'rs_2', summary: [{ type: 'summary_text', text: 'x' }], encrypted_content: 'gAAAAABo-openai' },
        { type: 'reasoning', id: 'rs_3', summary: [], encrypted_content: carryThinking('bedrock', { text: 'b', signature: 'sig-b' }) },
        { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'Checking.' }] },
        { type: 'function_call', call_id: 'toolu_1', name: 'weather', arguments: '{"city":"Paris"}' },
        { type: 'function_call', call_id: 'toolu_2', name: 'weather', arguments: '{"city":"Oslo"}' },
        { type: 'function_call_output', call_id: 'toolu_1', output: 'sunny' },
        { type: 'function_call_output', call_id: 'toolu_2', output: 'rain' },
        { role: 'user', content: 'Thanks!' },
      ],
      tools: [{ type: 'function', name: 'weather', description: 'Weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } }],
      tool_choice: 'required',
      parallel_tool_calls: false,
      max_output_tokens: 500,
      temperature: 0.5,
      user: 'u-1',
      metadata: { a: 'b' },
    });
    expect(body).toEqual({
      model: MODEL,
      max_tokens: 500,
      system: [{ type: 'text', text: 'Be brief.' }, { type: 'text', text: 'Metric units.' }],
      messages: [
        { role: 'user', content: [
          { type: 'text', text: 'Weather here?' },
          { type: 'image', source: { type: 'base64', media_type: 'image/jpeg', data: '/9j/4AAQ' } },
          { type: 'image', source: { type: 'url', url: 'https://example.com/a.png' } },
          { type: 'document', source: { type: 'base64', media_type: 'application/pdf', data: 'JVBERi0=' }, title: 'a.pdf' },
        ] },
        { role: 'assistant', content: [
          { type: 'thinking', thinking: 'Need weather.', signature: 'sig-1' },
          { type: 'text', text: 'Checking.' },
          { type: 'tool_use', id: 'toolu_1', name: 'weather', input: { city: 'Paris' } },
          { type: 'tool_use', id: 'toolu_2', name: 'weather', input: { city: 'Oslo' } },
        ] },
        // Tool results first, then the user's text, in one user turn.
        { role: 'user', content: [
          { type: 'tool_result', tool_use_id: 'toolu_1', content: 'sunny' },
          { type: 'tool_result', tool_use_id: 'toolu_2', content: 'rain' },
          { type: 'text', text: 'Thanks!' },
        ] },
      ],
      tools: [{ name: 'weather', description: 'Weather', input_schema: { type: 'object', properties: { city: { type: 'string' } } } }],
      tool_choice: { type: 'any', disable_parallel_tool_use: true },
      temperature: 0.5,
      metadata: { user_id: 'u-1' },
    });
  });

  it('puts cache breakpoints (the gateway-only marker) on the same blocks, keeping the last 4', () => {
    const mark = <T extends object>(o: T): T => Object.assign(o, { [CACHE_CONTROL]: { type: 'ephemeral' as const } });
    const body = build({
      instructions: 'Be brief.',
      input: [
        mark({ type: 'message', role: 'system', content: 'Rules.' }),
        { type: 'message', role: 'user', content: [mark({ type: 'input_text', text: 'One' }), { type: 'input_text', text: 'Two' }] },
        mark({ type: 'function_call', call_id: 'c1', name: 'f', arguments: '{}' }),
        mark({ type: 'function_call_output', call_id: 'c1', output: 'ok' }),
      ],
      tools: [mark({ type: 'function', name: 'f', parameters: { type: 'object' } })],
    });
    // five marked: the first (the tool) loses its breakpoint
    expect(body.tools).toEqual([{ name: 'f', input_schema: { type: 'object' } }]);
    expect(body.system).toEqual([{ type: 'text', text: 'Be brief.' }, { type: 'text', text: 'Rules.', cache_control: { type: 'ephemeral' } }]);
    expect(body.messages).toEqual([
      { role: 'user', content: [{ type: 'text', text: 'One', cache_control: { type: 'ephemeral' } }, { type: 'text', text: 'Two' }] },
      { role: 'assistant', content: [{ type: 'tool_use', id: 'c1', name: 'f', input: {}, cache_control: { type: 'ephemeral' } }] },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'c1', content: 'ok', cache_control: { type: 'ephemeral' } }] },
    ]);
  });

  it('maps every tool_choice', () => {
    const tools = [{ type: 'function', name: 'f', parameters: { type: 'object' } }];
    expect(build({ input: 'x', tools, tool_choice: 'auto' }).tool_choice).toEqual({ type: 'auto' });
    expect(build({ input: 'x', tools, tool_choice: 'none' }).tool_choice).toEqual({ type: 'none' });
    expect(build({ input: 'x', tools, tool_choice: { type: 'function', name: 'f' } }).tool_choice).toEqual({ type: 'tool', name: 'f' });
  });

  it('asks for structured output through a forced json_response tool', () => {
    const schema = { type: 'object', properties: { n: { type: 'number' } }, required: ['n'] };
    const body = build({ input: 'x', text: { format: { type: 'json_schema', name: 'answer', schema, strict: true } } });
    expect(body.tools).toEqual([{ name: 'json_response', description: "Respond with the answer as this tool's input.", input_schema: schema }]);
    expect(body.tool_choice).toEqual({ type: 'tool', name: 'json_response' });
    const withTools = build({ input: 'x', tools: [{ type: 'function', name: 'f' }], text: { format: { type: 'json_object' } } });
    expect(withTools.tool_choice).toEqual({ type: 'any' });
  });

  it('turns reasoning effort into a thinking budget inside max_tokens', () => {
    expect(build({ input: 'x', reasoning: { effort: 'medium' } })).toMatchObject({ max_tokens: 8192 + 4096, thinking: { type: 'enabled', budget_tokens: 4096 } });
    expect(build({ input: 'x', reasoning: { effort: 'high' }, max_output_tokens: 5000 })).toMatchObject({ max_tokens: 5000, thinking: { type: 'enabled', budget_tokens: 4999 } });
    expect(build({ input: 'x', reasoning: { effort: 'minimal' } }).thinking).toBeUndefined();
    expect(rejection(() => build({ input: 'x', reasoning: { effort: 'low' }, max_output_tokens: 500 })).param).toBe('max_output_tokens');
  });

  it('defaults max_tokens per model family', () => {
    expect(defaultMaxTokens('claude-3-haiku-20240307')).toBe(4096);
    expect(defaultMaxTokens('claude-3-opus-20240229')).toBe(4096);
    expect(defaultMaxTokens('claude-3-5-sonnet-20241022')).toBe(8192);
    expect(defaultMaxTokens('claude-opus-4-1')).toBe(8192);
    expect(build({ input: 'x' }, false, 'claude-3-haiku-20240307').max_tokens).toBe(4096);
  });

  it('refuses unsupported features with a 400 naming anthropic; hosted tools it lacks are dropped and reported', () => {
    const req = adapter.buildRequest({
      body: { model: 'anthropic/x', input: 'x', tools: [{ type: 'file_search', vector_store_ids: ['v'] }, { type: 'function', name: 'f' }] }, upstreamModel: MODEL, stream: false, provider: provider(), key,
    });
    expect(req.droppedTools).toEqual(['file_search']);
    expect((JSON.parse(req.body) as { tools: unknown[] }).tools).toEqual([{ name: 'f', input_schema: { type: 'object', properties: {} } }]);
    expect(rejection(() => build({ input: 'x', background: true })).message).toContain("anthropic does not support 'background'");
    expect(rejection(() => build({ input: [{ type: 'item_reference', id: 'msg_1' }] })).param).toBe('input[0]');
    expect(rejection(() => build({ input: [{ role: 'user', content: [{ type: 'input_image', file_id: 'file_1' }] }] })).param).toBe('input[0].content[0].file_id');
  });

  it('offers web search as its server tool (domains, location), and can force it', () => {
    const body = build({
      input: 'news?',
      tools: [{ type: 'web_search_preview', user_location: { type: 'approximate', city: 'Paris', country: 'FR' } }, { type: 'web_search', filters: { allowed_domains: ['a.test'] } }],
      tool_choice: { type: 'web_search_preview' },
    });
    expect(body.tools).toEqual([{ type: 'web_search_20250305', name: 'web_search', user_location: { type: 'approximate', city: 'Paris', country: 'FR' } }]);
    expect(body.tool_choice).toEqual({ type: 'tool', name: 'web_search' });
    // A function of that name keeps it: the search is then dropped, not renamed.
    const clash = adapter.buildRequest({ body: { model: 'm', input: 'x', tools: [{ type: 'function', name: 'web_search' }, { type: 'web_search' }] }, upstreamModel: MODEL, stream: false, provider: provider(), key });
    expect(clash.droppedTools).toEqual(['web_search']);
  });

  it('sends thinking back only as signed; continues a tool loop that lost it without thinking', () => {
    const signed = carryThinking('anthropic', { text: 'Plan.', signature: 'sig' });
    const redacted = carryThinking('anthropic', { redacted: 'opaque' });
    const loop = (reasoning: Record<string, unknown>[]) => build({
      reasoning: { effort: 'low' },
      input: [
        { role: 'user', content: 'hi' },
        ...reasoning,
        { type: 'function_call', call_id: 'toolu_1', name: 'f', arguments: '{}' },
        { type: 'function_call_output', call_id: 'toolu_1', output: 'ok' },
      ],
      tools: [{ type: 'function', name: 'f' }],
    });
    const withThinking = loop([{ type: 'reasoning', summary: [], encrypted_content: redacted }, { type: 'reasoning', summary: [], encrypted_content: signed }]);
    expect(withThinking.thinking).toEqual({ type: 'enabled', budget_tokens: 1024 });
    expect((withThinking.messages as { content: unknown[] }[])[1].content).toEqual([
      { type: 'redacted_thinking', data: 'opaque' },
      { type: 'thinking', thinking: 'Plan.', signature: 'sig' },
      { type: 'tool_use', id: 'toolu_1', name: 'f', input: {} },
    ]);
    const lost = loop([{ type: 'reasoning', summary: [{ type: 'summary_text', text: 'Plan.' }], encrypted_content: 'gAAAA-from-openai' }]);
    expect(lost.thinking).toBeUndefined();
    expect((lost.messages as { content: { type: string }[] }[])[1].content.map((b) => b.type)).toEqual(['tool_use']);
  });
});

describe('AnthropicAdapter: response', () => {
  it('turns a message with thinking, text and tool use into a Response, cache tokens added into input', () => {
    const parsed = adapter.parseResponse(JSON.stringify({
      model: MODEL, id: 'msg_011', type: 'message', role: 'assistant',
      content: [
        { type: 'thinking', thinking: 'The user wants weather.', signature: 'Eq4CCpIB' },
        { type: 'redacted_thinking', data: 'EmwKAhgB' },
        { type: 'text', text: 'Checking.' },
        { type: 'tool_use', id: 'toolu_017', name: 'weather', input: { city: 'Paris' } },
      ],
      stop_reason: 'tool_use', stop_sequence: null,
      usage: { input_tokens: 599, cache_creation_input_tokens: 100, cache_read_input_tokens: 1000, output_tokens: 59, output_tokens_details: { thinking_tokens: 18 } },
    }), { requestBody: { model: 'anthropic/x', input: 'hi', tools: [{ type: 'function', name: 'weather' }], reasoning: { effort: 'low', summary: 'auto' } } });
    expect(parsed.usage).toEqual({ inputTokens: 1699, cachedTokens: 1000, cacheWriteTokens: 100, outputTokens: 59, reasoningTokens: 18, totalTokens: 1758 });
    const r = parsed.response;
    expect(r).toMatchObject({ status: 'completed', model: MODEL, tools: [{ type: 'function', name: 'weather' }], usage: { input_tokens: 1699, input_tokens_details: { cached_tokens: 1000 } } });
    const output = r.output as Record<string, unknown>[];
    expect(output[0]).toMatchObject({ type: 'reasoning', summary: [{ type: 'summary_text', text: 'The user wants weather.' }] });
    expect(uncarryThinking(output[0].encrypted_content as string, 'anthropic')).toEqual({ text: 'The user wants weather.', signature: 'Eq4CCpIB' });
    expect(output[1]).toMatchObject({ type: 'reasoning', summary: [] });
    expect(uncarryThinking(output[1].encrypted_content as string, 'anthropic')).toEqual({ redacted: 'EmwKAhgB' });
    expect(output[2]).toMatchObject({ type: 'message', content: [{ type: 'output_text', text: 'Checking.' }] });
    expect(output[3]).toMatchObject({ type: 'function_call', call_id: 'toolu_017', name: 'weather', arguments: '{"city":"Paris"}' });
  });

  it('shows thinking as a summary only when one is asked for; it travels back either way', () => {
    const message = JSON.stringify({ model: MODEL, content: [{ type: 'thinking', thinking: 'Hmm.', signature: 'sig' }, { type: 'text', text: 'Hi' }], stop_reason: 'end_turn', usage: {} });
    const without = adapter.parseResponse(message, { requestBody: { model: 'm', input: 'x', reasoning: { effort: 'low' } } }).response.output as Record<string, unknown>[];
    expect(without[0]).toMatchObject({ type: 'reasoning', summary: [] });
    expect(uncarryThinking(without[0].encrypted_content as string, 'anthropic')).toEqual({ text: 'Hmm.', signature: 'sig' });
    const streamed = translate(THINKING_TOOL_STREAM, 7, adapter.createStreamTranslator({ requestBody: { model: 'm', input: 'x', reasoning: { effort: 'low' } } }));
    expect(streamed.events.map((e) => e.type)).not.toContain('response.reasoning_summary_text.delta');
    const final = JSON.parse(streamed.events[streamed.events.length - 1].data) as { response: { output: Record<string, unknown>[] } };
    expect(final.response.output[0]).toMatchObject({ type: 'reasoning', summary: [] });
    expect(uncarryThinking(final.response.output[0].encrypted_content as string, 'anthropic')).toEqual({ text: 'The user wants the weather.', signature: 'EqQBCgIYAhIM1gbcDa9GJwZA' });
  });

  it('turns web search (server_tool_use + results) into a web_search_call and citations into url_citations', () => {
    const content = [
      { type: 'text', text: "I'll search." },
      { type: 'server_tool_use', id: 'srvtoolu_1', name: 'web_search', input: { query: 'claude news' } },
      { type: 'web_search_tool_result', tool_use_id: 'srvtoolu_1', content: [{ type: 'web_search_result', url: 'https://a.test/1', title: 'One', encrypted_content: 'E1', page_age: null }] },
      { type: 'text', text: 'Claude 4 shipped', citations: [{ type: 'web_search_result_location', url: 'https://a.test/1', title: 'One', encrypted_index: 'Eo8', cited_text: 'Claude 4...' }] },
      { type: 'text', text: '.' },
    ];
    const output = adapter.parseResponse(JSON.stringify({ model: MODEL, content, stop_reason: 'end_turn', usage: { input_tokens: 9, output_tokens: 9, server_tool_use: { web_search_requests: 1 } } })).response.output as Record<string, unknown>[];
    expect(output).toEqual([
      expect.objectContaining({ type: 'message', content: [expect.objectContaining({ text: "I'll search.", annotations: [] })] }),
      expect.objectContaining({ type: 'web_search_call', status: 'completed', action: { type: 'search', query: 'claude news', sources: [{ type: 'url', url: 'https://a.test/1' }] } }),
      expect.objectContaining({
        type: 'message',
        content: [expect.objectContaining({ text: 'Claude 4 shipped.', annotations: [{ type: 'url_citation', url: 'https://a.test/1', title: 'One', start_index: 0, end_index: 16 }] })],
      }),
    ]);
    const failed = adapter.parseResponse(JSON.stringify({
      model: MODEL, stop_reason: 'end_turn', usage: {},
      content: [{ type: 'server_tool_use', id: 's', name: 'web_search', input: { query: 'q' } }, { type: 'web_search_tool_result', tool_use_id: 's', content: { type: 'web_search_tool_result_error', error_code: 'max_uses_exceeded' } }],
    })).response.output as Record<string, unknown>[];
    expect(failed[0]).toMatchObject({ type: 'web_search_call', status: 'failed', action: { type: 'search', query: 'q', sources: [] } });
  });

  it('streams web search and citations with the events the official SDK knows', () => {
    const wire = sse([
      messageStart(),
      { type: 'content_block_start', index: 0, content_block: { type: 'server_tool_use', id: 'srvtoolu_1', name: 'web_search', input: {} } },
      { type: 'content_block_delta', index: 0, delta: { type: 'input_json_delta', partial_json: '{"query": "cla' } },
      { type: 'content_block_delta', index: 0, delta: { type: 'input_json_delta', partial_json: 'ude"}' } },
      { type: 'content_block_stop', index: 0 },
      { type: 'content_block_start', index: 1, content_block: { type: 'web_search_tool_result', tool_use_id: 'srvtoolu_1', content: [{ type: 'web_search_result', url: 'https://a.test/1', title: 'One' }] } },
      { type: 'content_block_stop', index: 1 },
      { type: 'content_block_start', index: 2, content_block: { type: 'text', text: '', citations: [] } },
      { type: 'content_block_delta', index: 2, delta: { type: 'citations_delta', citation: { type: 'web_search_result_location', url: 'https://a.test/1', title: 'One', cited_text: 'c' } } },
      { type: 'content_block_delta', index: 2, delta: { type: 'text_delta', text: 'Cited.' } },
      { type: 'content_block_stop', index: 2 },
      { type: 'message_delta', delta: { stop_reason: 'end_turn' }, usage: { output_tokens: 5 } },
      { type: 'message_stop' },
    ]);
    const { events } = translate(wire, 11);
    expect(events.map((e) => e.type)).toEqual([
      'response.created', 'response.in_progress',
      'response.output_item.added', 'response.web_search_call.in_progress', 'response.web_search_call.searching', 'response.web_search_call.completed', 'response.output_item.done',
      'response.output_item.added', 'response.content_part.added', 'response.output_text.delta', 'response.output_text.annotation.added',
      'response.output_text.done', 'response.content_part.done', 'response.output_item.done', 'response.completed',
    ]);
    const final = JSON.parse(events[events.length - 1].data) as { response: { output: Record<string, unknown>[] } };
    expect(final.response.output[0]).toMatchObject({ type: 'web_search_call', action: { query: 'claude' } });
    expect(final.response.output[1]).toMatchObject({ content: [{ text: 'Cited.', annotations: [{ type: 'url_citation', url: 'https://a.test/1', start_index: 0, end_index: 6 }] }] });
  });

  it('maps stop reasons: max_tokens and refusal make incomplete responses; json_response comes back as text', () => {
    const msg = (stop: string, content: unknown[] = [{ type: 'text', text: 'x' }]) =>
      adapter.parseResponse(JSON.stringify({ model: MODEL, content, stop_reason: stop, usage: { input_tokens: 1, output_tokens: 1 } })).response;
    expect(msg('max_tokens')).toMatchObject({ status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' } });
    expect(msg('refusal', [])).toMatchObject({ status: 'incomplete', incomplete_details: { reason: 'content_filter' } });
    expect(msg('stop_sequence')).toMatchObject({ status: 'completed' });
    const json = msg('tool_use', [{ type: 'tool_use', id: 'toolu_1', name: 'json_response', input: { n: 1 } }]);
    expect(json.output).toEqual([expect.objectContaining({ type: 'message', content: [expect.objectContaining({ text: '{"n":1}' })] })]);
  });

  it("parses Anthropic's error bodies, overloaded_error included", () => {
    expect(adapter.parseError(529, '{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}')).toEqual({
      message: 'Overloaded', type: 'overloaded_error', code: 'overloaded_error', param: null,
    });
    expect(adapter.parseError(400, '{"type":"error","error":{"type":"invalid_request_error","message":"max_tokens: Field required"},"request_id":"req_1"}').message).toBe('max_tokens: Field required');
    expect(adapter.parseError(502, '<html>bad</html>').message).toBe('<html>bad</html>');
  });
});

describe('AnthropicAdapter: stream', () => {
  it('turns a text stream into the Responses sequence at any byte split, with cache tokens', () => {
    let reference: string | null = null;
    for (const step of [1, 2, 3, 7, 16, 101, TEXT_STREAM.length]) {
      const { events, t } = translate(TEXT_STREAM, step);
      expect(t.terminal).toBe('completed');
      expect(t.usage).toEqual({ inputTokens: 2112, cachedTokens: 2000, cacheWriteTokens: 100, outputTokens: 30, reasoningTokens: 0, totalTokens: 2142 });
      const types = events.map((e) => e.type).join(',');
      reference ??= types;
      expect(types).toBe(reference);
      const final = JSON.parse(events[events.length - 1].data) as { response: { output: { content: { text: string }[] }[]; model: string } };
      expect(final.response.output[0].content[0].text).toBe('Hello! Ça va? 🌍');
      expect(final.response.model).toBe(MODEL);
    }
    expect(reference).toBe('response.created,response.in_progress,response.output_item.added,response.content_part.added,response.output_text.delta,response.output_text.delta,response.output_text.done,response.content_part.done,response.output_item.done,response.completed');
  });

  it('decodes thinking (with signature), text and tool calls (one without arguments)', () => {
    const ctx = { requestBody: { model: 'm', input: 'x', reasoning: { effort: 'low', summary: 'auto' }, tools: [{ type: 'function', name: 'weather' }, { type: 'function', name: 'now' }] } };
    const { events, t } = translate(THINKING_TOOL_STREAM, 5, adapter.createStreamTranslator(ctx));
    expect(t.terminal).toBe('completed');
    expect(t.usage).toMatchObject({ inputTokens: 565, outputTokens: 48, reasoningTokens: 9 });
    const types = events.map((e) => e.type);
    expect(types).toContain('response.reasoning_summary_text.delta');
    const final = JSON.parse(events[events.length - 1].data) as { response: { output: Record<string, unknown>[] } };
    expect(final.response.output).toEqual([
      expect.objectContaining({
        type: 'reasoning', summary: [{ type: 'summary_text', text: 'The user wants the weather.' }],
        encrypted_content: carryThinking('anthropic', { text: 'The user wants the weather.', signature: 'EqQBCgIYAhIM1gbcDa9GJwZA' }),
      }),
      expect.objectContaining({ type: 'message', content: [expect.objectContaining({ text: "I'll check." })] }),
      expect.objectContaining({ type: 'function_call', call_id: 'toolu_01A', name: 'weather', arguments: '{"city": "Paris"}' }),
      expect.objectContaining({ type: 'function_call', call_id: 'toolu_01B', name: 'now', arguments: '{}' }),
    ]);
  });

  it('streams the json_response tool as output text', () => {
    const wire = sse([
      messageStart(),
      { type: 'content_block_start', index: 0, content_block: { type: 'tool_use', id: 'toolu_1', name: 'json_response', input: {} } },
      { type: 'content_block_delta', index: 0, delta: { type: 'input_json_delta', partial_json: '{"n":' } },
      { type: 'content_block_delta', index: 0, delta: { type: 'input_json_delta', partial_json: '1}' } },
      { type: 'content_block_stop', index: 0 },
      { type: 'message_delta', delta: { stop_reason: 'tool_use' }, usage: { output_tokens: 5 } },
      { type: 'message_stop' },
    ]);
    const { events } = translate(wire, 9);
    const final = JSON.parse(events[events.length - 1].data) as { response: { status: string; output: Record<string, unknown>[] } };
    expect(final.response.status).toBe('completed');
    expect(final.response.output).toEqual([expect.objectContaining({ type: 'message', content: [expect.objectContaining({ text: '{"n":1}' })] })]);
  });

  it('maps max_tokens to response.incomplete and a refusal without content to incomplete content_filter', () => {
    const cut = translate(sse([
      messageStart(), { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } },
      { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Once upon' } }, { type: 'content_block_stop', index: 0 },
      { type: 'message_delta', delta: { stop_reason: 'max_tokens' }, usage: { output_tokens: 2 } }, { type: 'message_stop' },
    ]), 4);
    expect(cut.t.terminal).toBe('incomplete');
    expect(JSON.parse(cut.events[cut.events.length - 1].data)).toMatchObject({ type: 'response.incomplete', response: { incomplete_details: { reason: 'max_output_tokens' } } });
    const refusal = translate(sse([messageStart(), { type: 'ping' }, { type: 'message_delta', delta: { stop_reason: 'refusal' }, usage: { output_tokens: 5 } }, { type: 'message_stop' }]), 6);
    expect(refusal.events.map((e) => e.type)).toEqual(['response.created', 'response.in_progress', 'response.incomplete']);
    expect(refusal.t.terminal).toBe('incomplete');
  });

  it('reports an error before content as one error event, and after content as response.failed', () => {
    const overloaded = { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } };
    const early = translate(sse([messageStart(), { type: 'ping' }, overloaded]), 3);
    expect(early.events.map((e) => e.type)).toEqual(['error']);
    expect(early.t.terminal).toBe('error');
    expect(early.t.streamError).toMatchObject({ message: 'Overloaded', code: 'overloaded_error' });
    const late = translate(sse([
      messageStart(), { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } },
      { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Hi' } }, overloaded,
    ]), 3);
    expect(late.t.terminal).toBe('failed');
    expect(JSON.parse(late.events[late.events.length - 1].data)).toMatchObject({ type: 'response.failed', response: { status: 'failed', error: { code: 'overloaded_error', message: 'Overloaded' } } });
  });

  it('leaves a stream without message_stop unterminated (truncated)', () => {
    const cut = TEXT_STREAM.slice(0, TEXT_STREAM.indexOf('event: message_stop'));
    expect(translate(cut, 13).t.terminal).toBeNull();
  });
});
