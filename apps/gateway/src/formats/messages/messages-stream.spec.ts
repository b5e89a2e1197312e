import Anthropic from '@anthropic-ai/sdk';
import { DEFAULT_REQUEST_LIMITS, ErrorCode, GatewayError } from '@app/common';
import { SseParser, type ResponsesRequest, type StreamTranslator } from '@app/providers';
import { AnthropicAdapter } from '@app/providers/anthropic/anthropic.adapter';
import { OpenAIAdapter } from '@app/providers/openai/openai.adapter';
import { carryThinking } from '@app/providers/responses/reasoning-carrier';
import { translateSse } from '@app/providers/testing/adapter-fixtures';
import { renderMessagesError } from './messages-error';
import { decodeMessagesRequest } from './messages-request';
import { toAnthropicMessage } from './messages-response';
import { messagesFormat } from './messages.format';

const format = messagesFormat;
const MODEL = 'claude-sonnet-4-5-20250929';
const SIGNATURE = 'EqQBCkYIBhgCIkB0ZXN0LXNpZ25hdHVyZQ==';

/** Frames events exactly as Anthropic does: an `event:` line naming the type, then `data:`. */
const sse = (events: Record<string, unknown>[]): string => events.map((e) => `event: ${String(e.type)}\ndata: ${JSON.stringify(e)}\n\n`).join('');

/** The canonical request a Messages client with thinking on makes. */
const thinkingRequest: ResponsesRequest = decodeMessagesRequest(
  Buffer.from(JSON.stringify({ model: `anthropic/${MODEL}`, max_tokens: 4096, thinking: { type: 'enabled', budget_tokens: 2048 }, messages: [{ role: 'user', content: 'Weather in Paris?' }] })),
  DEFAULT_REQUEST_LIMITS,
).body;

// Anthropic's stream of a thinking, text and tool-use answer (shapes from its streaming
// documentation and recordings of real streams, ids abridged).
const ANTHROPIC_STREAM = [
  { type: 'message_start', message: { id: 'msg_01QC4g3H', type: 'message', role: 'assistant', model: MODEL, content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: 565, cache_creation_input_tokens: 0, cache_read_input_tokens: 2000, output_tokens: 7 } } },
  { type: 'content_block_start', index: 0, content_block: { type: 'thinking', thinking: '', signature: '' } },
  { type: 'ping' },
  { type: 'content_block_delta', index: 0, delta: { type: 'thinking_delta', thinking: 'The user wants' } },
  { type: 'content_block_delta', index: 0, delta: { type: 'thinking_delta', thinking: ' the weather.' } },
  { type: 'content_block_delta', index: 0, delta: { type: 'signature_delta', signature: SIGNATURE } },
  { type: 'content_block_stop', index: 0 },
  { type: 'content_block_start', index: 1, content_block: { type: 'text', text: '' } },
  { type: 'content_block_delta', index: 1, delta: { type: 'text_delta', text: "I'll check" } },
  { type: 'content_block_delta', index: 1, delta: { type: 'text_delta', text: ' the weather. Ça va 🌍' } },
  { type: 'content_block_stop', index: 1 },
  { type: 'content_block_start', index: 2, content_block: { type: 'tool_use', id: 'toolu_01A', name: 'get_weather', input: {} } },
  { type: 'content_block_delta', index: 2, delta: { type: 'input_json_delta', partial_json: '' } },
  { type: 'content_block_delta', index: 2, delta: { type: 'input_json_delta', partial_json: '{"city": "Pa' } },
  { type: 'content_block_delta', index: 2, delta: { type: 'input_json_delta', partial_json: 'ris"}' } },
  { type: 'content_block_stop', index: 2 },
  { type: 'message_delta', delta: { stop_reason: 'tool_use', stop_sequence: null }, usage: { output_tokens: 48 } },
  { type: 'message_stop' },
];

// The same answer as Anthropic's JSON.
const ANTHROPIC_MESSAGE = {
  id: 'msg_01QC4g3H', type: 'message', role: 'assistant', model: MODEL,
  content: [
    { type: 'thinking', thinking: 'The user wants the weather.', signature: SIGNATURE },
    { type: 'text', text: "I'll check the weather. Ça va 🌍" },
    { type: 'tool_use', id: 'toolu_01A', name: 'get_weather', input: { city: 'Paris' } },
  ],
  stop_reason: 'tool_use', stop_sequence: null,
  usage: { input_tokens: 565, cache_creation_input_tokens: 0, cache_read_input_tokens: 2000, output_tokens: 48 },
};

// OpenAI's Responses stream of a reasoning model calling a function (gpt-5 shapes, ids abridged).
const OPENAI_STREAM = [
  { type: 'response.created', sequence_number: 0, response: { id: 'resp_68c1', object: 'response', status: 'in_progress', model: 'gpt-5-mini', output: [], usage: null } },
  { type: 'response.in_progress', sequence_number: 1, response: { id: 'resp_68c1', object: 'response', status: 'in_progress', model: 'gpt-5-mini', output: [], usage: null } },
  { type: 'response.output_item.added', sequence_number: 2, output_index: 0, item: { id: 'rs_68c1', type: 'reasoning', summary: [] } },
  { type: 'response.reasoning_summary_part.added', sequence_number: 3, item_id: 'rs_68c1', output_index: 0, summary_index: 0, part: { type: 'summary_text', text: '' } },
  { type: 'response.reasoning_summary_text.delta', sequence_number: 4, item_id: 'rs_68c1', output_index: 0, summary_index: 0, delta: '**Checking weather**' },
  { type: 'response.reasoning_summary_text.done', sequence_number: 5, item_id: 'rs_68c1', output_index: 0, summary_index: 0, text: '**Checking weather**' },
  { type: 'response.reasoning_summary_part.done', sequence_number: 6, item_id: 'rs_68c1', output_index: 0, summary_index: 0, part: { type: 'summary_text', text: '**Checking weather**' } },
  { type: 'response.reasoning_summary_part.added', sequence_number: 7, item_id: 'rs_68c1', output_index: 0, summary_index: 1, part: { type: 'summary_text', text: '' } },
  { type: 'response.reasoning_summary_text.delta', sequence_number: 8, item_id: 'rs_68c1', output_index: 0, summary_index: 1, delta: 'Calling the tool.' },
  { type: 'response.reasoning_summary_part.done', sequence_number: 9, item_id: 'rs_68c1', output_index: 0, summary_index: 1, part: { type: 'summary_text', text: 'Calling the tool.' } },
  { type: 'response.output_item.done', sequence_number: 10, output_index: 0, item: { id: 'rs_68c1', type: 'reasoning', encrypted_content: 'gAAAAABoEnc', summary: [{ type: 'summary_text', text: '**Checking weather**' }, { type: 'summary_text', text: 'Calling the tool.' }] } },
  { type: 'response.output_item.added', sequence_number: 11, output_index: 1, item: { id: 'fc_68c1', type: 'function_call', status: 'in_progress', arguments: '', call_id: 'call_Yz1', name: 'get_weather' } },
  { type: 'response.function_call_arguments.delta', sequence_number: 12, item_id: 'fc_68c1', output_index: 1, delta: '{"city":' },
  { type: 'response.function_call_arguments.delta', sequence_number: 13, item_id: 'fc_68c1', output_index: 1, delta: '"Paris"}' },
  { type: 'response.function_call_arguments.done', sequence_number: 14, item_id: 'fc_68c1', output_index: 1, arguments: '{"city":"Paris"}' },
  { type: 'response.output_item.done', sequence_number: 15, output_index: 1, item: { id: 'fc_68c1', type: 'function_call', status: 'completed', arguments: '{"city":"Paris"}', call_id: 'call_Yz1', name: 'get_weather' } },
  {
    type: 'response.completed', sequence_number: 16,
    response: {
      id: 'resp_68c1', object: 'response', status: 'completed', model: 'gpt-5-mini',
      output: [
        { id: 'rs_68c1', type: 'reasoning', encrypted_content: 'gAAAAABoEnc', summary: [{ type: 'summary_text', text: '**Checking weather**' }, { type: 'summary_text', text: 'Calling the tool.' }] },
        { id: 'fc_68c1', type: 'function_call', status: 'completed', arguments: '{"city":"Paris"}', call_id: 'call_Yz1', name: 'get_weather' },
      ],
      usage: { input_tokens: 330, input_tokens_details: { cached_tokens: 128 }, output_tokens: 210, output_tokens_details: { reasoning_tokens: 192 }, total_tokens: 540, cost: { total_cost: 0.0004 } },
      extra_fields: { request_type: 'messages', provider: 'openai' },
    },
  },
];

/** Canonical events of an upstream stream, as the pipeline hands them to the encoder. */
function canonical(wire: string, translator: StreamTranslator): { type: string; data: Record<string, unknown> }[] {
  return translateSse(wire, 7, translator).events.map((e) => ({ type: e.type, data: JSON.parse(e.data) as Record<string, unknown> }));
}

/** The encoder's whole output for a list of canonical events. */
function encode(events: { type: string; data: Record<string, unknown> }[]): string {
  const encoder = format.createStreamEncoder({ model: 'x/y' });
  return events.map((e) => encoder.event(e.type, e.data)).join('') + encoder.end();
}

/** SSE text -> [event line, parsed data] pairs, checking each frame's `event:` names its data's type. */
function frames(text: string): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const ev of new SseParser().push(Buffer.from(text))) {
    const data = JSON.parse(ev.data) as Record<string, unknown>;
    expect(ev.event).toBe(data.type);
    out.push(data);
  }
  return out;
}

/** What Anthropic's SDK makes of a stream the gateway sent: `messages.stream().finalMessage()`. */
async function sdkFinalMessage(text: string): Promise<Anthropic.Message> {
  const client = new Anthropic({ apiKey: 'sk-bf-test', baseURL: 'http://gateway.test', maxRetries: 0, fetch: async () => new Response(text, { headers: { 'content-type': 'text/event-stream' } }) });
  return client.messages.stream({ model: 'x/y', max_tokens: 100, messages: [{ role: 'user', content: 'Hi' }] }).finalMessage();
}

const anthropic = new AnthropicAdapter();
const openai = new OpenAIAdapter();

describe('MessagesFormat: answers', () => {
  it("turns Anthropic's answer, translated to Responses and back, into the message Anthropic sent", () => {
    const { response } = anthropic.parseResponse(JSON.stringify(ANTHROPIC_MESSAGE), { requestBody: thinkingRequest, upstreamModel: MODEL });
    const message = JSON.parse(format.encodeResponse(response, { model: 'anthropic/x' })) as Record<string, unknown>;
    expect(message.id).toMatch(/^msg_/);
    const signature = carryThinking('anthropic', { text: 'The user wants the weather.', signature: SIGNATURE });
    expect(message).toEqual({
      ...ANTHROPIC_MESSAGE,
      id: message.id,
      content: [{ ...ANTHROPIC_MESSAGE.content[0], signature }, ANTHROPIC_MESSAGE.content[1], ANTHROPIC_MESSAGE.content[2]],
    });
    // Sent back as the next turn's history, Anthropic gets its own thinking and signature.
    const next = decodeMessagesRequest(Buffer.from(JSON.stringify({
      model: `anthropic/${MODEL}`, max_tokens: 4096, thinking: { type: 'enabled', budget_tokens: 2048 },
      messages: [{ role: 'user', content: 'Weather in Paris?' }, { role: 'assistant', content: message.content }, { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_01A', content: 'Sunny' }] }],
    })), DEFAULT_REQUEST_LIMITS).body;
    const upstream = JSON.parse(anthropic.buildRequest({ body: next, upstreamModel: MODEL, stream: false, provider: { name: 'anthropic' } as never, key: { id: 'k', value: 'v', weight: 1, models: [] } }).body);
    expect(upstream.messages[1].content).toEqual(ANTHROPIC_MESSAGE.content);
    expect(upstream.thinking).toEqual({ type: 'enabled', budget_tokens: 1024 });
  });

  it('maps stop reasons and usage (cache reads counted apart), with the cost and extra fields', () => {
    const base = { id: 'resp_1', model: 'gpt-4o-mini', output: [{ type: 'message', content: [{ type: 'output_text', text: 'Hi' }] }] };
    const usage = { input_tokens: 100, input_tokens_details: { cached_tokens: 60 }, output_tokens: 5, total_tokens: 105, cost: { total_cost: 0.1 } };
    const done = toAnthropicMessage({ ...base, status: 'completed', usage, extra_fields: { provider: 'openai' } }, { model: 'openai/gpt-4o-mini' });
    expect(done).toMatchObject({ id: 'msg_1', stop_reason: 'end_turn', extra_fields: { provider: 'openai' }, content: [{ type: 'text', text: 'Hi' }] });
    expect(done.usage).toEqual({ input_tokens: 40, cache_creation_input_tokens: 0, cache_read_input_tokens: 60, output_tokens: 5, cost: { total_cost: 0.1 } });
    expect(toAnthropicMessage({ ...base, status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' } }, { model: 'm' }).stop_reason).toBe('max_tokens');
    expect(toAnthropicMessage({ ...base, status: 'incomplete', incomplete_details: { reason: 'content_filter' } }, { model: 'm' }).stop_reason).toBe('refusal');
    const refused = toAnthropicMessage({ id: 'r', status: 'completed', output: [{ type: 'message', content: [{ type: 'refusal', refusal: 'No.' }] }] }, { model: 'openai/gpt-4o' });
    expect(refused).toMatchObject({ model: 'openai/gpt-4o', content: [{ type: 'text', text: 'No.' }], stop_reason: 'end_turn' });
  });
});

describe('MessagesFormat: streams', () => {
  it("relays Anthropic's stream, translated to Responses and back, as the same event sequence", async () => {
    const out = encode(canonical(sse(ANTHROPIC_STREAM), anthropic.createStreamTranslator({ requestBody: thinkingRequest, upstreamModel: MODEL })));
    const events = frames(out);
    const shape = (e: Record<string, unknown>) => [e.type, e.index, (e.delta as { type?: string } | undefined)?.type ?? (e.content_block as { type?: string } | undefined)?.type];
    // The same sequence, but for the empty input_json_delta Anthropic opens a tool with.
    expect(events.map(shape)).toEqual(ANTHROPIC_STREAM.filter((e) => (e.delta as { partial_json?: string } | undefined)?.partial_json !== '').map(shape));
    const start = events[0].message as Record<string, unknown>;
    expect(start).toMatchObject({ type: 'message', role: 'assistant', model: MODEL, content: [], stop_reason: null });
    expect(events.at(-2)).toEqual({
      type: 'message_delta',
      delta: { stop_reason: 'tool_use', stop_sequence: null },
      usage: { input_tokens: 565, cache_creation_input_tokens: 0, cache_read_input_tokens: 2000, output_tokens: 48 },
    });
    // Anthropic's SDK accumulates it into the message the JSON answer gives.
    const final = await sdkFinalMessage(out);
    const { response } = anthropic.parseResponse(JSON.stringify(ANTHROPIC_MESSAGE), { requestBody: thinkingRequest, upstreamModel: MODEL });
    const json = toAnthropicMessage(response, { model: 'x' });
    expect(final.content).toEqual(json.content);
    expect(final).toMatchObject({ stop_reason: 'tool_use', usage: { input_tokens: 565, output_tokens: 48, cache_read_input_tokens: 2000 } });
  });

  it("relays OpenAI's reasoning and function call as thinking and tool_use blocks that go back to OpenAI", async () => {
    const out = encode(canonical(sse(OPENAI_STREAM), openai.createStreamTranslator()));
    const events = frames(out);
    expect(events.map((e) => [e.type, (e.delta as { type?: string } | undefined)?.type ?? (e.content_block as { type?: string } | undefined)?.type])).toEqual([
      ['message_start', undefined],
      ['content_block_start', 'thinking'],
      ['ping', undefined],
      ['content_block_delta', 'thinking_delta'],
      ['content_block_delta', 'thinking_delta'],
      ['content_block_delta', 'signature_delta'],
      ['content_block_stop', undefined],
      ['content_block_start', 'tool_use'],
      ['content_block_delta', 'input_json_delta'],
      ['content_block_delta', 'input_json_delta'],
      ['content_block_stop', undefined],
      ['message_delta', undefined],
      ['message_stop', undefined],
    ]);
    expect(events.at(-2)).toMatchObject({ usage: { input_tokens: 202, cache_read_input_tokens: 128, output_tokens: 210, cost: { total_cost: 0.0004 } }, extra_fields: { provider: 'openai' } });
    const final = await sdkFinalMessage(out);
    expect(final.id).toBe('msg_68c1');
    expect(final.stop_reason).toBe('tool_use');
    expect(final.content).toHaveLength(2);
    expect(final.content[0]).toMatchObject({ type: 'thinking', thinking: '**Checking weather**\n\nCalling the tool.' });
    expect(final.content[1]).toEqual({ type: 'tool_use', id: 'call_Yz1', name: 'get_weather', input: { city: 'Paris' } });
    // The thinking block goes back to OpenAI as its own reasoning item, encrypted content and id intact.
    const next = decodeMessagesRequest(Buffer.from(JSON.stringify({
      model: 'openai/gpt-5-mini', max_tokens: 4096,
      messages: [{ role: 'user', content: 'Weather?' }, { role: 'assistant', content: final.content }, { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'call_Yz1', content: 'Sunny' }] }],
    })), DEFAULT_REQUEST_LIMITS).body;
    expect((next.input as unknown[]).slice(1)).toEqual([
      { type: 'reasoning', id: 'rs_68c1', summary: [{ type: 'summary_text', text: '**Checking weather**\n\nCalling the tool.' }], encrypted_content: 'gAAAAABoEnc' },
      { type: 'function_call', call_id: 'call_Yz1', name: 'get_weather', arguments: '{"city":"Paris"}' },
      { type: 'function_call_output', call_id: 'call_Yz1', output: 'Sunny' },
    ]);
  });

  it("relays Anthropic's web search (server tool, results, cited text) as the blocks its JSON answer has", async () => {
    const search = { type: 'web_search_20250305', name: 'web_search' };
    const request = decodeMessagesRequest(Buffer.from(JSON.stringify({ model: `anthropic/${MODEL}`, max_tokens: 1024, tools: [search], messages: [{ role: 'user', content: 'News?' }] })), DEFAULT_REQUEST_LIMITS).body;
    const citation = { type: 'web_search_result_location', url: 'https://example.com/a', title: 'A', encrypted_index: 'Eo8B', cited_text: 'A fact.' };
    const result = { type: 'web_search_result', url: 'https://example.com/a', title: 'A', encrypted_content: 'EqgfCioIARgB', page_age: null };
    const wire = sse([
      { type: 'message_start', message: { id: 'msg_01', type: 'message', role: 'assistant', model: MODEL, content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: 10, output_tokens: 1 } } },
      { type: 'content_block_start', index: 0, content_block: { type: 'server_tool_use', id: 'srvtoolu_01', name: 'web_search', input: {} } },
      { type: 'content_block_delta', index: 0, delta: { type: 'input_json_delta', partial_json: '{"query": "news"}' } },
      { type: 'content_block_stop', index: 0 },
      { type: 'content_block_start', index: 1, content_block: { type: 'web_search_tool_result', tool_use_id: 'srvtoolu_01', content: [result] } },
      { type: 'content_block_stop', index: 1 },
      { type: 'content_block_start', index: 2, content_block: { type: 'text', text: '', citations: [] } },
      { type: 'content_block_delta', index: 2, delta: { type: 'citations_delta', citation } },
      { type: 'content_block_delta', index: 2, delta: { type: 'text_delta', text: 'A fact.' } },
      { type: 'content_block_stop', index: 2 },
      { type: 'message_delta', delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: 20, server_tool_use: { web_search_requests: 1 } } },
      { type: 'message_stop' },
    ]);
    const final = await sdkFinalMessage(encode(canonical(wire, anthropic.createStreamTranslator({ requestBody: request, upstreamModel: MODEL }))));
    const json = { id: 'msg_01', type: 'message', role: 'assistant', model: MODEL, content: [
      { type: 'server_tool_use', id: 'srvtoolu_01', name: 'web_search', input: { query: 'news' } },
      { type: 'web_search_tool_result', tool_use_id: 'srvtoolu_01', content: [result] },
      { type: 'text', text: 'A fact.', citations: [citation] },
    ], stop_reason: 'end_turn', usage: { input_tokens: 10, output_tokens: 20 } };
    const fromJson = toAnthropicMessage(anthropic.parseResponse(JSON.stringify(json), { requestBody: request, upstreamModel: MODEL }).response, { model: 'x' });
    // The same blocks (the gateway's item ids differ between two translations).
    const srvId = (fromJson.content[0] as { id: string }).id;
    const streamedId = (final.content[0] as { id: string }).id;
    expect(JSON.parse(JSON.stringify(final.content).replaceAll(streamedId, srvId))).toEqual(fromJson.content);
    expect(fromJson.content).toEqual([
      { type: 'server_tool_use', id: srvId, name: 'web_search', input: { query: 'news' } },
      // Anthropic's encrypted content and index are its own; the gateway hands out the url and title.
      { type: 'web_search_tool_result', tool_use_id: srvId, content: [{ type: 'web_search_result', url: 'https://example.com/a', title: 'https://example.com/a', encrypted_content: '', page_age: null }] },
      { type: 'text', text: 'A fact.', citations: [{ type: 'web_search_result_location', url: 'https://example.com/a', title: 'A', cited_text: 'A fact.', encrypted_index: '' }] },
    ]);
  });

  it('closes a block before the next opens and reopens text interrupted by another item', () => {
    const events = frames(encode([
      { type: 'response.created', data: { response: { id: 'resp_2', model: 'm' } } },
      { type: 'response.output_text.delta', data: { item_id: 'msg_a', content_index: 0, delta: 'one ' } },
      { type: 'response.output_item.added', data: { item: { type: 'function_call', id: 'fc_1', call_id: 'call_1', name: 'f' } } },
      { type: 'response.output_text.delta', data: { item_id: 'msg_a', content_index: 0, delta: 'two' } },
      { type: 'response.output_item.done', data: { item: { type: 'function_call', id: 'fc_1', call_id: 'call_1', name: 'f', arguments: '{"a":1}' } } },
      { type: 'response.completed', data: { response: { status: 'completed', usage: { input_tokens: 3, output_tokens: 4 } } } },
    ]));
    expect(events.map((e) => [e.type, e.index])).toEqual([
      ['message_start', undefined], ['content_block_start', 0], ['ping', undefined], ['content_block_delta', 0],
      ['content_block_stop', 0], ['content_block_start', 1],
      ['content_block_stop', 1], ['content_block_start', 2], ['content_block_delta', 2],
      ['content_block_stop', 2], ['content_block_start', 3], ['content_block_delta', 3], ['content_block_stop', 3],
      ['message_delta', undefined], ['message_stop', undefined],
    ]);
    expect(events[11]).toMatchObject({ delta: { type: 'input_json_delta', partial_json: '{"a":1}' } });
  });

  it("ends a failed stream with Anthropic's error event, once", () => {
    const out = encode([
      { type: 'response.created', data: { response: { id: 'resp_3' } } },
      { type: 'response.output_text.delta', data: { item_id: 'm', content_index: 0, delta: 'Hel' } },
      { type: 'error', data: { type: 'error', code: 'upstream_timeout', message: 'anthropic: stream idle for 2000 ms' } },
      { type: 'response.failed', data: { response: { status: 'failed', error: { code: 'upstream_timeout', message: 'x' } } } },
    ]);
    const events = frames(out);
    expect(events.at(-1)).toEqual({ type: 'error', error: { type: 'timeout_error', message: 'anthropic: stream idle for 2000 ms' } });
    expect(events.filter((e) => e.type === 'error')).toHaveLength(1);
    expect(events.some((e) => e.type === 'message_stop')).toBe(false);
  });

  it('streams an empty answer as a complete message', async () => {
    const out = encode([{ type: 'response.incomplete', data: { response: { id: 'resp_4', model: 'm', status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' }, usage: { input_tokens: 9, output_tokens: 1 } } } }]);
    expect(frames(out).map((e) => e.type)).toEqual(['message_start', 'ping', 'message_delta', 'message_stop']);
    expect(await sdkFinalMessage(out)).toMatchObject({ content: [], stop_reason: 'max_tokens', usage: { input_tokens: 9, output_tokens: 1 } });
  });
});

describe('renderMessagesError', () => {
  it.each([
    [400, 'invalid_request_error', GatewayError.invalidRequest('bad', 'model')],
    [401, 'authentication_error', GatewayError.refusal(401, ErrorCode.InvalidApiKey, 'no key')],
    [402, 'billing_error', GatewayError.refusal(402, ErrorCode.BudgetExceeded, 'budget')],
    [403, 'permission_error', GatewayError.refusal(403, ErrorCode.ModelNotAllowed, 'not allowed')],
    [404, 'not_found_error', GatewayError.notFound('no model')],
    [413, 'request_too_large', new GatewayError(413, ErrorCode.PayloadTooLarge, 'big')],
    [429, 'rate_limit_error', new GatewayError(429, ErrorCode.RateLimitExceeded, 'slow down', null, { 'retry-after': '3' })],
    [500, 'api_error', new GatewayError(500, ErrorCode.InternalError, 'oops')],
    [502, 'api_error', new GatewayError(502, ErrorCode.UpstreamError, 'all failed')],
    [504, 'timeout_error', new GatewayError(504, ErrorCode.UpstreamTimeout, 'slow')],
  ])("renders a %i as Anthropic's %s", (status, type, err) => {
    const rendered = renderMessagesError(err, 'req-1');
    expect(rendered.status).toBe(status);
    expect(JSON.parse(rendered.body)).toEqual({ type: 'error', error: { type, message: err.message }, request_id: 'req-1' });
    expect(rendered.headers).toMatchObject({ ...err.headers, 'request-id': 'req-1', 'x-request-id': 'req-1' });
  });

  it("is what Anthropic's SDK reads as its typed errors", async () => {
    const refusal = renderMessagesError(GatewayError.refusal(402, ErrorCode.BudgetExceeded, 'Budget exceeded for this period.'), 'req-9');
    const client = new Anthropic({ apiKey: 'k', baseURL: 'http://gateway.test', fetch: async () => new Response(refusal.body, { status: refusal.status, headers: { 'content-type': 'application/json', ...refusal.headers } }) });
    const err = await client.messages.create({ model: 'x/y', max_tokens: 5, messages: [{ role: 'user', content: 'Hi' }] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.APIError);
    expect(err).toMatchObject({ status: 402, requestID: 'req-9', error: { type: 'error', error: { type: 'billing_error', message: 'Budget exceeded for this period.' } } });
  });
});
