import type { ProviderConfig } from '@app/common';
import { GatewayError } from '@app/common';
import type { ResponsesStreamEvent } from '../types';
import { CohereAdapter } from './cohere.adapter';
import { testProvider, translateSse } from '../testing/adapter-fixtures';

const provider = (over: Partial<ProviderConfig> = {}): ProviderConfig => testProvider({ name: 'cohere', kind: 'cohere', baseUrl: 'https://api.cohere.com', ...over });
const key = { id: 'k', value: 'co-key', weight: 1, models: [] };
const adapter = new CohereAdapter();
const MODEL = 'command-a-03-2025';

function build(body: Record<string, unknown>, stream = false) {
  return adapter.buildRequest({ body: { model: `cohere/${MODEL}`, ...body }, upstreamModel: MODEL, stream, provider: provider(), key });
}

describe('CohereAdapter request mapping', () => {
  it('posts v2 chat with a bearer key', () => {
    const req = build({ input: 'hi', instructions: 'Be brief.', max_output_tokens: 50, temperature: 0.3, top_p: 0.7 }, true);
    expect(req.url).toBe('https://api.cohere.com/v2/chat');
    expect(req.headers).toMatchObject({ authorization: 'Bearer co-key', accept: 'text/event-stream' });
    expect(JSON.parse(req.body)).toEqual({
      model: MODEL, stream: true, max_tokens: 50, temperature: 0.3, p: 0.7,
      messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'hi' }],
    });
  });

  it('maps tools, tool calls, tool results, images, tool_choice and response_format', () => {
    const body = JSON.parse(build({
      input: [
        { role: 'user', content: [{ type: 'input_text', text: 'look' }, { type: 'input_image', image_url: 'data:image/png;base64,AAAA' }] },
        { type: 'function_call', call_id: 'weather_1', name: 'weather', arguments: '{"city":"Paris"}' },
        { type: 'function_call_output', call_id: 'weather_1', output: 'sunny' },
      ],
      tools: [{ type: 'function', name: 'weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } }],
      tool_choice: 'required',
      text: { format: { type: 'json_schema', name: 'x', schema: { type: 'object', properties: { a: { type: 'string' } } } } },
    }).body);
    expect(body.messages).toEqual([
      { role: 'user', content: [{ type: 'text', text: 'look' }, { type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA' } }] },
      { role: 'assistant', tool_calls: [{ id: 'weather_1', type: 'function', function: { name: 'weather', arguments: '{"city":"Paris"}' } }] },
      { role: 'tool', tool_call_id: 'weather_1', content: 'sunny' },
    ]);
    expect(body.tools).toEqual([{ type: 'function', function: { name: 'weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } } }]);
    expect(body.tool_choice).toBe('REQUIRED');
    expect(body.response_format).toEqual({ type: 'json_object', json_schema: { type: 'object', properties: { a: { type: 'string' } } } });
    expect(JSON.parse(build({ input: 'x', tool_choice: 'none' }).body).tool_choice).toBe('NONE');
  });

  it.each([
    [{ input: 'x', tools: [{ type: 'web_search_preview' }], tool_choice: 'required' }, "cohere does not support forcing the hosted tool 'web_search_preview' with tool_choice (it has no equivalent there) through /v1/responses.", 'tool_choice'],
    [{ input: 'x', background: true }, "cohere does not support 'background' mode through /v1/responses.", 'background'],
  ])('refuses what Cohere cannot honour: %j', (body, message, param) => {
    expect(() => build(body)).toThrow(GatewayError);
    try {
      build(body);
    } catch (e) {
      expect(e).toMatchObject({ status: 400, message, param });
    }
  });
});

describe('CohereAdapter responses and errors', () => {
  it('parses text and billed usage', () => {
    const { response, usage } = adapter.parseResponse(JSON.stringify({
      id: 'c1', finish_reason: 'COMPLETE',
      message: { role: 'assistant', content: [{ type: 'text', text: 'Hello!' }] },
      usage: { billed_units: { input_tokens: 5, output_tokens: 2 }, tokens: { input_tokens: 70, output_tokens: 3 }, cached_tokens: 0 },
    }), { upstreamModel: MODEL });
    expect(usage).toEqual({ inputTokens: 5, cachedTokens: 0, outputTokens: 2, reasoningTokens: 0, totalTokens: 7 });
    expect(response).toMatchObject({ status: 'completed', model: MODEL, output: [{ type: 'message', content: [{ type: 'output_text', text: 'Hello!' }] }] });
  });

  it('parses a tool plan and tool calls, and maps MAX_TOKENS / ERROR', () => {
    const { response } = adapter.parseResponse(JSON.stringify({
      id: 'c2', finish_reason: 'TOOL_CALL',
      message: { role: 'assistant', tool_plan: 'I will look it up.', tool_calls: [{ id: 'weather_abc', type: 'function', function: { name: 'weather', arguments: '{"city":"Paris"}' } }] },
      usage: { tokens: { input_tokens: 9, output_tokens: 4 } },
    }), { requestBody: { model: 'm', reasoning: { summary: 'auto' } } });
    expect((response.output as unknown[]).map((o) => (o as { type: string }).type)).toEqual(['reasoning', 'function_call']);
    expect((response.output as unknown[])[1]).toMatchObject({ call_id: 'weather_abc', name: 'weather', arguments: '{"city":"Paris"}' });
    const parse = (finish_reason: string) => adapter.parseResponse(JSON.stringify({ finish_reason, message: { content: [{ type: 'text', text: 'x' }] } })).response;
    expect(parse('MAX_TOKENS')).toMatchObject({ status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' } });
    expect(parse('ERROR')).toMatchObject({ status: 'failed', error: { code: 'error' } });
  });

  it('parses Cohere error bodies', () => {
    expect(adapter.parseError(429, '{"id":"e1","message":"You are using a Trial key, which is limited to 10 API calls / minute."}')).toEqual({
      message: 'You are using a Trial key, which is limited to 10 API calls / minute.', type: 'too_many_requests', code: 'too_many_requests', param: null,
    });
    expect(adapter.parseError(500, 'oops').message).toBe('oops');
  });
});

// Recorded shape of a Cohere v2 chat stream with a tool call.
const TOOL_STREAM = [
  'event: message-start\ndata: {"id":"s1","type":"message-start","delta":{"message":{"role":"assistant","content":[],"tool_plan":"","tool_calls":[],"citations":[]}}}\n\n',
  'event: tool-plan-delta\ndata: {"type":"tool-plan-delta","delta":{"message":{"tool_plan":"I will "}}}\n\n',
  'event: tool-plan-delta\ndata: {"type":"tool-plan-delta","delta":{"message":{"tool_plan":"check."}}}\n\n',
  'event: tool-call-start\ndata: {"type":"tool-call-start","index":0,"delta":{"message":{"tool_calls":{"id":"weather_q1","type":"function","function":{"name":"weather","arguments":""}}}}}\n\n',
  'event: tool-call-delta\ndata: {"type":"tool-call-delta","index":0,"delta":{"message":{"tool_calls":{"function":{"arguments":"{\\"city\\":"}}}}}\n\n',
  'event: tool-call-delta\ndata: {"type":"tool-call-delta","index":0,"delta":{"message":{"tool_calls":{"function":{"arguments":"\\"Paris\\"}"}}}}}\n\n',
  'event: tool-call-end\ndata: {"type":"tool-call-end","index":0}\n\n',
  'event: message-end\ndata: {"type":"message-end","delta":{"finish_reason":"TOOL_CALL","usage":{"billed_units":{"input_tokens":20,"output_tokens":9},"tokens":{"input_tokens":900,"output_tokens":40}}}}\n\n',
].join('');

const TEXT_STREAM = [
  'event: message-start\ndata: {"id":"s2","type":"message-start","delta":{"message":{"role":"assistant","content":[],"tool_plan":"","tool_calls":[],"citations":[]}}}\n\n',
  'event: content-start\ndata: {"type":"content-start","index":0,"delta":{"message":{"content":{"type":"text","text":""}}}}\n\n',
  'event: content-delta\ndata: {"type":"content-delta","index":0,"delta":{"message":{"content":{"text":"Hé"}}}}\n\n',
  'event: content-delta\ndata: {"type":"content-delta","index":0,"delta":{"message":{"content":{"text":"llo"}}}}\n\n',
  'event: content-end\ndata: {"type":"content-end","index":0}\n\n',
  'event: message-end\ndata: {"type":"message-end","delta":{"finish_reason":"COMPLETE","usage":{"billed_units":{"input_tokens":3,"output_tokens":2},"tokens":{"input_tokens":60,"output_tokens":4}}}}\n\n',
].join('');

function run(text: string, step: number, summary = 'auto'): { events: ResponsesStreamEvent[]; t: ReturnType<CohereAdapter['createStreamTranslator']> } {
  return translateSse(text, step, adapter.createStreamTranslator({ upstreamModel: MODEL, requestBody: { model: 'm', reasoning: { summary } } }));
}

describe('Cohere stream translation', () => {
  it('turns a tool-call stream into reasoning + function_call events', () => {
    const { events, t } = run(TOOL_STREAM, 1 << 20);
    expect(events.map((e) => e.type)).toEqual([
      'response.created', 'response.in_progress',
      'response.output_item.added', 'response.reasoning_summary_part.added', 'response.reasoning_summary_text.delta', 'response.reasoning_summary_text.delta',
      'response.reasoning_summary_text.done', 'response.reasoning_summary_part.done', 'response.output_item.done',
      'response.output_item.added', 'response.function_call_arguments.delta', 'response.function_call_arguments.delta',
      'response.function_call_arguments.done', 'response.output_item.done',
      'response.completed',
    ]);
    expect(JSON.parse(events.at(-1)!.data).response.output[1]).toMatchObject({ call_id: 'weather_q1', name: 'weather', arguments: '{"city":"Paris"}' });
    expect(t.usage).toEqual({ inputTokens: 20, cachedTokens: 0, outputTokens: 9, reasoningTokens: 0, totalTokens: 29 });
    // Cohere's reasoning cannot go back: without a summary asked for, it is left out.
    expect(JSON.parse(run(TOOL_STREAM, 7, 'none').events.at(-1)!.data).response.output.map((o: { type: string }) => o.type)).toEqual(['function_call']);
  });

  it('gives the same text events at every split step', () => {
    const norm = (evs: ResponsesStreamEvent[]) => evs.map((e) => e.data.replace(/"(resp|msg|fc|rs)_[0-9a-f]+"/g, '"ID"').replace(/"created_at":\d+/g, ''));
    const whole = run(TEXT_STREAM, 1 << 20);
    expect(JSON.parse(whole.events.at(-1)!.data).response.output[0].content[0].text).toBe('Héllo');
    for (let step = 1; step < 50; step++) expect(norm(run(TEXT_STREAM, step).events)).toEqual(norm(whole.events));
  });

  it('is truncated without message-end; finish_reason ERROR fails the response', () => {
    expect(run(TEXT_STREAM.split('event: message-end')[0], 5).t.terminal).toBeNull();
    const { events, t } = run(`${TEXT_STREAM.split('event: content-end')[0]}event: message-end\ndata: {"type":"message-end","delta":{"finish_reason":"ERROR","error":"internal server error"}}\n\n`, 9);
    expect(events.at(-1)!.type).toBe('response.failed');
    expect(t.streamError).toMatchObject({ message: 'internal server error' });
  });
});
