import type { ProviderConfig } from '@app/common';
import type { ResponsesRequest, ResponsesStreamEvent, StreamTranslator } from '../types';
import { ChatCompletionsAdapter } from './chat-completions.adapter';
import { rejection, testProvider, translateSse } from '../testing/adapter-fixtures';

const provider = (over: Partial<ProviderConfig> = {}): ProviderConfig => testProvider({ name: 'mistral', kind: 'chat-completions', baseUrl: 'https://api.mistral.ai/v1', ...over });
const key = { id: 'k', value: 'sk-up', weight: 1, models: [] };
const adapter = new ChatCompletionsAdapter();

function build(body: Omit<ResponsesRequest, 'model'>, stream = false): Record<string, unknown> {
  const req = adapter.buildRequest({ body: { model: 'mistral/m', ...body }, upstreamModel: 'mistral-small-latest', stream, provider: provider(), key });
  return JSON.parse(req.body) as Record<string, unknown>;
}

function translate(wire: string, step: number, t: StreamTranslator = adapter.createStreamTranslator()): { events: ResponsesStreamEvent[]; t: StreamTranslator } {
  return translateSse(wire, step, t);
}

const frames = (chunks: unknown[]): string => chunks.map((c) => `data: ${typeof c === 'string' ? c : JSON.stringify(c)}\n\n`).join('');
const envelope = { id: 'chatcmpl-1', object: 'chat.completion.chunk', created: 1, model: 'mistral-small-2503' };
const chunk = (delta: unknown, finish: string | null = null, extra: object = {}) => ({ ...envelope, choices: [{ index: 0, delta, finish_reason: finish }], ...extra });

// Shape of an OpenAI-compatible text stream with include_usage (usage chunk with empty choices, then [DONE]).
const TEXT_STREAM = frames([
  chunk({ role: 'assistant', content: '' }),
  chunk({ content: 'Héllo' }),
  chunk({ content: ' wörld 🌍' }),
  chunk({}, 'stop'),
  { ...envelope, choices: [], usage: { prompt_tokens: 12, completion_tokens: 4, total_tokens: 16, prompt_tokens_details: { cached_tokens: 8 } } },
  '[DONE]',
]);

// Two parallel tool calls, arguments split across chunks and addressed by index.
const TOOL_STREAM = frames([
  chunk({ role: 'assistant', content: null, tool_calls: [{ index: 0, id: 'call_a', type: 'function', function: { name: 'weather', arguments: '' } }] }),
  chunk({ tool_calls: [{ index: 0, function: { arguments: '{"city":' } }] }),
  chunk({ tool_calls: [{ index: 1, id: 'call_b', type: 'function', function: { name: 'time', arguments: '{"tz":"UTC"}' } }] }),
  chunk({ tool_calls: [{ index: 0, function: { arguments: '"Paris"}' } }] }),
  chunk({}, 'tool_calls'),
  { ...envelope, choices: [], usage: { prompt_tokens: 20, completion_tokens: 10, total_tokens: 30 } },
  '[DONE]',
]);

describe('ChatCompletionsAdapter: request', () => {
  it('maps instructions, roles, images, tool history, tools, formats and limits', () => {
    const body = build({
      instructions: 'Be brief.',
      input: [
        { role: 'developer', content: 'Use metric units.' },
        { role: 'user', content: [{ type: 'input_text', text: 'What is this?' }, { type: 'input_image', image_url: 'data:image/png;base64,AAAA', detail: 'low' }] },
        { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'Let me check.' }] },
        { type: 'function_call', call_id: 'call_1', name: 'weather', arguments: '{"city":"Paris"}' },
        { type: 'function_call', call_id: 'call_2', name: 'weather', arguments: '{"city":"Oslo"}' },
        { type: 'function_call_output', call_id: 'call_1', output: 'sunny' },
        { type: 'function_call_output', call_id: 'call_2', output: [{ type: 'input_text', text: 'rain' }] },
        { type: 'reasoning', id: 'rs_1', summary: [] },
      ],
      tools: [{ type: 'function', name: 'weather', description: 'Weather', parameters: { type: 'object', properties: { city: { type: 'string' } } }, strict: true }],
      tool_choice: { type: 'function', name: 'weather' },
      parallel_tool_calls: false,
      text: { format: { type: 'json_schema', name: 'answer', schema: { type: 'object' }, strict: true } },
      max_output_tokens: 100,
      temperature: 0.3,
      top_p: 0.9,
      user: 'u-1',
      metadata: { trace: 'x' },
      store: true,
      reasoning: { effort: 'low' },
    });
    expect(body).toEqual({
      model: 'mistral-small-latest',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'system', content: 'Use metric units.' },
        { role: 'user', content: [{ type: 'text', text: 'What is this?' }, { type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA', detail: 'low' } }] },
        {
          role: 'assistant', content: 'Let me check.', tool_calls: [
            { id: 'call_1', type: 'function', function: { name: 'weather', arguments: '{"city":"Paris"}' } },
            { id: 'call_2', type: 'function', function: { name: 'weather', arguments: '{"city":"Oslo"}' } },
          ],
        },
        { role: 'tool', tool_call_id: 'call_1', content: 'sunny' },
        { role: 'tool', tool_call_id: 'call_2', content: 'rain' },
      ],
      tools: [{ type: 'function', function: { name: 'weather', description: 'Weather', parameters: { type: 'object', properties: { city: { type: 'string' } } }, strict: true } }],
      tool_choice: { type: 'function', function: { name: 'weather' } },
      parallel_tool_calls: false,
      response_format: { type: 'json_schema', json_schema: { name: 'answer', schema: { type: 'object' }, strict: true } },
      max_tokens: 100,
      temperature: 0.3,
      top_p: 0.9,
      user: 'u-1',
      reasoning_effort: 'low',
    });
  });

  it('sends a string input as one user message, asks for usage when streaming, and uses the base URL and bearer key', () => {
    const req = adapter.buildRequest({ body: { model: 'x/y', input: 'hi', text: { format: { type: 'json_object' } } }, upstreamModel: 'y', stream: true, provider: provider({ headers: { 'x-extra': '1' } }), key });
    expect(req.url).toBe('https://api.mistral.ai/v1/chat/completions');
    expect(req.headers).toMatchObject({ authorization: 'Bearer sk-up', accept: 'text/event-stream', 'x-extra': '1' });
    expect(JSON.parse(req.body)).toEqual({
      model: 'y', messages: [{ role: 'user', content: 'hi' }], response_format: { type: 'json_object' }, stream: true, stream_options: { include_usage: true },
    });
  });

  it('does not mutate the client body (fallbacks reuse it)', () => {
    const body: ResponsesRequest = { model: 'mistral/m', input: 'hi', stream: true };
    adapter.buildRequest({ body, upstreamModel: 'm', stream: true, provider: provider(), key });
    expect(body).toEqual({ model: 'mistral/m', input: 'hi', stream: true });
  });

  it('drops hosted tools (reported); refuses forcing one, background, stored items and previous_response_id with a 400 naming the provider', () => {
    const req = adapter.buildRequest({
      body: { model: 'mistral/m', input: 'hi', tools: [{ type: 'function', name: 'f' }, { type: 'web_search_preview' }, { type: 'file_search' }] }, upstreamModel: 'm', stream: false, provider: provider(), key,
    });
    expect(req.droppedTools).toEqual(['web_search_preview', 'file_search']);
    expect((JSON.parse(req.body) as { tools: { function: { name: string } }[] }).tools.map((t) => t.function.name)).toEqual(['f']);
    const forced = rejection(() => build({ input: 'hi', tools: [{ type: 'code_interpreter' }], tool_choice: 'required' }));
    expect(forced.status).toBe(400);
    expect(forced.message).toBe("mistral does not support forcing the hosted tool 'code_interpreter' with tool_choice (it has no equivalent there) through /v1/responses.");
    expect(rejection(() => build({ input: 'hi', background: true })).param).toBe('background');
    expect(rejection(() => build({ input: 'hi', previous_response_id: 'resp_1' })).param).toBe('previous_response_id');
    const ref = rejection(() => build({ input: [{ role: 'user', content: 'hi' }, { type: 'item_reference', id: 'msg_1' }] }));
    expect(ref.message).toContain("mistral does not support 'item_reference'");
    expect(ref.param).toBe('input[1]');
    expect(rejection(() => build({ input: 'hi', tool_choice: { type: 'web_search_preview' } })).param).toBe('tool_choice');
  });
});

describe('ChatCompletionsAdapter: response', () => {
  it('turns a completion with reasoning, text and tool calls into a Response', () => {
    const parsed = adapter.parseResponse(JSON.stringify({
      id: 'chatcmpl-9', object: 'chat.completion', created: 1, model: 'deepseek-reasoner',
      choices: [{
        index: 0, finish_reason: 'tool_calls',
        message: {
          role: 'assistant', content: 'Checking.', reasoning_content: 'User wants weather.',
          tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'weather', arguments: '{"city":"Paris"}' } }],
        },
      }],
      usage: { prompt_tokens: 30, completion_tokens: 20, total_tokens: 50, prompt_tokens_details: { cached_tokens: 10 }, completion_tokens_details: { reasoning_tokens: 5 } },
    }), { requestBody: { model: 'deepseek/deepseek-reasoner', input: 'hi', instructions: 'Be brief.', reasoning: { summary: 'auto' } } });
    expect(parsed.usage).toEqual({ inputTokens: 30, cachedTokens: 10, outputTokens: 20, reasoningTokens: 5, totalTokens: 50 });
    const r = parsed.response;
    expect(r).toMatchObject({ object: 'response', status: 'completed', model: 'deepseek-reasoner', instructions: 'Be brief.', incomplete_details: null });
    expect((r.id as string).startsWith('resp_')).toBe(true);
    const output = r.output as Record<string, unknown>[];
    expect(output.map((o) => o.type)).toEqual(['reasoning', 'message', 'function_call']);
    expect(output[0]).toMatchObject({ summary: [{ type: 'summary_text', text: 'User wants weather.' }] });
    expect(output[1]).toMatchObject({ role: 'assistant', content: [{ type: 'output_text', text: 'Checking.', annotations: [], logprobs: [] }] });
    expect(output[2]).toMatchObject({ call_id: 'call_1', name: 'weather', arguments: '{"city":"Paris"}', status: 'completed' });
  });

  it('maps finish_reason length to incomplete and reads DeepSeek cache counters', () => {
    const parsed = adapter.parseResponse(JSON.stringify({
      model: 'deepseek-chat', choices: [{ index: 0, finish_reason: 'length', message: { role: 'assistant', content: 'cut' } }],
      usage: { prompt_tokens: 9, completion_tokens: 1, total_tokens: 10, prompt_cache_hit_tokens: 6, prompt_cache_miss_tokens: 3 },
    }));
    expect(parsed.response).toMatchObject({ status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' } });
    expect(parsed.usage.cachedTokens).toBe(6);
  });

  it('reads Mistral content chunks with thinking', () => {
    const parsed = adapter.parseResponse(JSON.stringify({
      model: 'magistral-medium', choices: [{ index: 0, finish_reason: 'stop', message: { role: 'assistant', content: [{ type: 'thinking', thinking: [{ type: 'text', text: 'hmm' }] }, { type: 'text', text: '42' }] } }],
      usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
    }), { requestBody: { model: 'm', reasoning: { summary: 'auto' } } });
    const output = parsed.response.output as Record<string, unknown>[];
    expect(output.map((o) => o.type)).toEqual(['reasoning', 'message']);
  });

  it('throws on a body that is not a completion (the gateway reports it as truncated)', () => {
    expect(() => adapter.parseResponse('{"ok":true}')).toThrow();
    expect(() => adapter.parseResponse('{"choices":[{"mess')).toThrow();
  });

  it('parses OpenAI, Mistral and FastAPI style error bodies', () => {
    expect(adapter.parseError(429, '{"error":{"message":"Rate limit","type":"rate_limit_error","param":null,"code":"rate_limit_exceeded"}}')).toEqual({
      message: 'Rate limit', type: 'rate_limit_error', param: null, code: 'rate_limit_exceeded',
    });
    expect(adapter.parseError(400, '{"object":"error","message":"Invalid model: nope","type":"invalid_model","param":null,"code":"1500"}')).toEqual({
      message: 'Invalid model: nope', type: 'invalid_model', param: null, code: '1500',
    });
    expect(adapter.parseError(422, '{"detail":[{"loc":["body","messages"],"msg":"field required"}]}').message).toContain('field required');
    expect(adapter.parseError(502, 'Bad gateway').message).toBe('Bad gateway');
  });
});

describe('ChatCompletionsAdapter: stream', () => {
  it('turns a text stream into the full Responses sequence at any byte split', () => {
    let reference: string[] | null = null;
    for (const step of [1, 2, 3, 5, 7, 13, 64, TEXT_STREAM.length]) {
      const { events, t } = translate(TEXT_STREAM, step);
      expect(t.terminal).toBe('completed');
      expect(t.usage).toEqual({ inputTokens: 12, cachedTokens: 8, outputTokens: 4, reasoningTokens: 0, totalTokens: 16 });
      const types = events.map((e) => e.type);
      reference ??= types;
      expect(types).toEqual(reference);
      const parsed = events.map((e) => JSON.parse(e.data) as Record<string, unknown>);
      const deltas = parsed.filter((p) => p.type === 'response.output_text.delta').map((p) => p.delta).join('');
      expect(deltas).toBe('Héllo wörld 🌍');
      const done = parsed[parsed.length - 1].response as Record<string, unknown>;
      expect(done).toMatchObject({ status: 'completed', model: 'mistral-small-2503', usage: { input_tokens: 12, input_tokens_details: { cached_tokens: 8 }, output_tokens: 4, total_tokens: 16 } });
    }
    expect(reference).toEqual([
      'response.created', 'response.in_progress', 'response.output_item.added', 'response.content_part.added',
      'response.output_text.delta', 'response.output_text.delta', 'response.output_text.done', 'response.content_part.done',
      'response.output_item.done', 'response.completed',
    ]);
  });

  it('decodes parallel tool calls by index', () => {
    for (const step of [1, 4, 9, TOOL_STREAM.length]) {
      const { events, t } = translate(TOOL_STREAM, step);
      expect(t.terminal).toBe('completed');
      const last = JSON.parse(events[events.length - 1].data) as { response: { output: Record<string, unknown>[] } };
      expect(last.response.output).toEqual([
        expect.objectContaining({ type: 'function_call', call_id: 'call_a', name: 'weather', arguments: '{"city":"Paris"}', status: 'completed' }),
        expect.objectContaining({ type: 'function_call', call_id: 'call_b', name: 'time', arguments: '{"tz":"UTC"}', status: 'completed' }),
      ]);
    }
  });

  it('finishes without [DONE] once finish_reason and usage arrived, and maps length to incomplete', () => {
    const wire = frames([chunk({ role: 'assistant', content: 'cut' }), chunk({}, 'length', { usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 } })]);
    const { events, t } = translate(wire, 5);
    expect(t.terminal).toBe('incomplete');
    expect(JSON.parse(events[events.length - 1].data)).toMatchObject({ type: 'response.incomplete', response: { incomplete_details: { reason: 'max_output_tokens' } } });
  });

  it('reads reasoning deltas (DeepSeek reasoning_content, Groq reasoning)', () => {
    const wire = frames([
      chunk({ role: 'assistant', reasoning_content: 'Think' }), chunk({ reasoning: 'ing' }), chunk({ content: 'Done' }), chunk({}, 'stop'),
      { ...envelope, choices: [], usage: { prompt_tokens: 1, completion_tokens: 3, total_tokens: 4, completion_tokens_details: { reasoning_tokens: 2 } } }, '[DONE]',
    ]);
    const { events, t } = translate(wire, 3, adapter.createStreamTranslator({ requestBody: { model: 'm', reasoning: { summary: 'auto' } } }));
    expect(t.usage.reasoningTokens).toBe(2);
    const final = JSON.parse(events[events.length - 1].data) as { response: { output: Record<string, unknown>[] } };
    expect(final.response.output.map((o) => o.type)).toEqual(['reasoning', 'message']);
    expect(final.response.output[0]).toMatchObject({ summary: [{ text: 'Thinking' }] });
    // Chat reasoning cannot go back: without a summary asked for it is left out.
    const plain = JSON.parse(translate(wire, 3).events.at(-1)!.data) as { response: { output: Record<string, unknown>[] } };
    expect(plain.response.output.map((o) => o.type)).toEqual(['message']);
  });

  it('reports an error frame before any content as one error event (the gateway can fall back), and after content as response.failed', () => {
    const early = translate(frames([{ error: { message: 'The server had an error', type: 'server_error', code: 'server_error' } }]), 7);
    expect(early.events.map((e) => e.type)).toEqual(['error']);
    expect(early.t.streamError).toMatchObject({ message: 'The server had an error', code: 'server_error' });
    const late = translate(frames([chunk({ role: 'assistant', content: 'par' }), { error: { message: 'boom', type: 'server_error' } }]), 7);
    expect(late.t.terminal).toBe('failed');
    expect(late.events[late.events.length - 1].type).toBe('response.failed');
    expect(late.t.streamError?.message).toBe('boom');
  });

  it('leaves a stream cut before its end without a terminal (the relay treats it as truncated)', () => {
    const cut = TEXT_STREAM.slice(0, TEXT_STREAM.indexOf('"stop"'));
    expect(translate(cut, 11).t.terminal).toBeNull();
  });
});
