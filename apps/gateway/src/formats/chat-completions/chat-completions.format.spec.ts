import { DEFAULT_REQUEST_LIMITS, ErrorCode, GatewayError } from '@app/common';
import { chatCompletionsFormat as format } from './chat-completions.format';
import { thrownError } from '../../../../../test/support/error-of';
const limits = { ...DEFAULT_REQUEST_LIMITS };

function decode(body: unknown) {
  return format.decode(Buffer.from(JSON.stringify(body)), limits);
}

const refusal = (body: unknown): GatewayError => thrownError(() => decode(body));

/** What the openai SDK sends for a tool loop's second turn (recorded from `chat.completions.create`). */
const TOOL_LOOP_REQUEST = {
  model: 'anthropic/claude-sonnet-4-5',
  messages: [
    { role: 'system', content: 'You are a weather bot.' },
    { role: 'user', content: [{ type: 'text', text: 'Weather in Paris?' }, { type: 'image_url', image_url: { url: 'https://example.com/sky.png', detail: 'low' } }] },
    {
      role: 'assistant',
      content: null,
      tool_calls: [{ id: 'call_abc', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }],
    },
    { role: 'tool', tool_call_id: 'call_abc', content: '{"temp":21}' },
    { role: 'developer', content: 'Answer in one sentence.' },
  ],
  tools: [{ type: 'function', function: { name: 'get_weather', description: 'Weather by city', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } } }],
  tool_choice: { type: 'function', function: { name: 'get_weather' } },
  parallel_tool_calls: false,
  max_completion_tokens: 300,
  temperature: 0.2,
  stream: true,
  stream_options: { include_usage: true },
  response_format: { type: 'json_schema', json_schema: { name: 'w', schema: { type: 'object' }, strict: true } },
  reasoning_effort: 'low',
  user: 'u-1',
  metadata: { team: 'a' },
  fallbacks: ['openai/gpt-4o-mini'],
  service_tier: 'auto',
  n: 1,
  stop: null,
};

describe('ChatCompletionsFormat.decode', () => {
  it('reads a tool loop turn into the canonical Responses request', () => {
    const d = decode(TOOL_LOOP_REQUEST);
    expect(d.models).toEqual(['anthropic/claude-sonnet-4-5', 'openai/gpt-4o-mini']);
    expect(d.hasRequestFallbacks).toBe(true);
    expect(d.stream).toBe(true);
    expect(d.egress).toEqual({ stream: true, includeUsage: true });
    expect(d.body).toEqual({
      model: 'anthropic/claude-sonnet-4-5',
      parallel_tool_calls: false,
      temperature: 0.2,
      user: 'u-1',
      metadata: { team: 'a' },
      service_tier: 'auto',
      instructions: 'You are a weather bot.',
      input: [
        { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'Weather in Paris?' }, { type: 'input_image', image_url: 'https://example.com/sky.png', detail: 'low' }] },
        { type: 'function_call', call_id: 'call_abc', name: 'get_weather', arguments: '{"city":"Paris"}' },
        { type: 'function_call_output', call_id: 'call_abc', output: '{"temp":21}' },
        { type: 'message', role: 'developer', content: 'Answer in one sentence.' },
      ],
      tools: [{ type: 'function', name: 'get_weather', description: 'Weather by city', strict: false, parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } }],
      tool_choice: { type: 'function', name: 'get_weather' },
      max_output_tokens: 300,
      reasoning: { effort: 'low' },
      text: { format: { type: 'json_schema', name: 'w', schema: { type: 'object' }, strict: true } },
      store: false,
      stream: true,
    });
  });

  it('stores nothing and takes max_tokens when max_completion_tokens is absent', () => {
    const d = decode({ model: 'openai/gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }], max_tokens: 5, store: true, response_format: { type: 'json_object' } });
    expect(d.body.store).toBe(false);
    expect(d.body.max_output_tokens).toBe(5);
    expect(d.body.text).toEqual({ format: { type: 'json_object' } });
    expect(d.egress).toEqual({ stream: false, includeUsage: false });
    expect(d.body).not.toHaveProperty('max_tokens');
    expect(d.body).not.toHaveProperty('messages');
  });

  it.each([
    [{ messages: [{ role: 'user', content: 'x' }] }, 'model'],
    [{ model: 'openai/gpt-4o', messages: [] }, 'messages'],
    [{ model: 'openai/gpt-4o', messages: [{ role: 'robot', content: 'x' }] }, 'messages[0].role'],
    [{ model: 'openai/gpt-4o', messages: [{ role: 'user', content: [{ type: 'input_audio', input_audio: {} }] }] }, 'messages[0].content[0].type'],
    [{ model: 'openai/gpt-4o', messages: [{ role: 'tool', content: 'x' }] }, 'messages[0].tool_call_id'],
    [{ model: 'openai/gpt-4o', messages: [{ role: 'assistant' }] }, 'messages[0].content'],
    [{ model: 'openai/gpt-4o', messages: [{ role: 'user', content: 'x' }], n: 2 }, 'n'],
    [{ model: 'openai/gpt-4o', messages: [{ role: 'user', content: 'x' }], stop: ['a', 'b', 'c', 'd', 'e'] }, 'stop'],
    [{ model: 'openai/gpt-4o', messages: [{ role: 'user', content: 'x' }], stop: [''] }, 'stop'],
    [{ model: 'openai/gpt-4o', messages: [{ role: 'user', content: 'x' }], logprobs: true }, 'logprobs'],
    [{ model: 'openai/gpt-4o', messages: [{ role: 'user', content: 'x' }], temperature: 3 }, 'temperature'],
    [{ model: 'openai/gpt-4o', messages: [{ role: 'user', content: 'x' }], max_tokens: 0 }, 'max_tokens'],
    [{ model: 'openai/gpt-4o', messages: [{ role: 'user', content: 'x' }], tools: [{ type: 'custom', custom: {} }] }, 'tools[0].type'],
    [{ model: 'openai/gpt-4o', messages: [{ role: 'user', content: 'x' }], tool_choice: 'sometimes' }, 'tool_choice'],
    [{ model: 'openai/gpt-4o', messages: [{ role: 'user', content: 'x' }], response_format: { type: 'yaml' } }, 'response_format.type'],
    [{ model: 'openai/gpt-4o', messages: [{ role: 'user', content: 'x' }], reasoning_effort: 'max' }, 'reasoning_effort'],
    [{ model: 'openai/gpt-4o', messages: [{ role: 'user', content: 'x' }], fallbacks: 'anthropic/x' }, 'fallbacks'],
    [{ model: 'openai/gpt-4o', messages: [{ role: 'user', content: 'x' }], metadata: { k: 1 } }, 'metadata.k'],
    [{ model: 'openai/gpt-4o', messages: [{ role: 'user', content: 'x' }], stream_options: { include_usage: 'yes' } }, 'stream_options.include_usage'],
  ])('refuses %j naming %s', (body, param) => {
    const err = refusal(body);
    expect(err.status).toBe(400);
    expect(err.code).toBe(ErrorCode.InvalidRequest);
    expect(err.param).toBe(param);
  });

  it('bounds the JSON nesting before parsing', () => {
    const deep = `{"model":"openai/gpt-4o","messages":[{"role":"user","content":"x"}],"x":${'['.repeat(200)}${']'.repeat(200)}}`;
    expect(() => format.decode(Buffer.from(deep), limits)).toThrow(/deeper than the limit/);
  });
});

/** A translated Anthropic answer with a tool call, as the Responses builder produces it. */
const TOOL_RESPONSE = {
  id: 'resp_0193abc',
  object: 'response',
  created_at: 1765000000,
  status: 'completed',
  model: 'claude-sonnet-4-5',
  output: [
    { id: 'rs_1', type: 'reasoning', summary: [{ type: 'summary_text', text: 'thinking' }] },
    { id: 'msg_1', type: 'message', role: 'assistant', status: 'completed', content: [{ type: 'output_text', text: 'Checking.', annotations: [] }] },
    { id: 'fc_1', type: 'function_call', call_id: 'toolu_1', name: 'get_weather', arguments: '{"city":"Paris"}', status: 'completed' },
  ],
  usage: {
    input_tokens: 120, input_tokens_details: { cached_tokens: 100 }, output_tokens: 30, output_tokens_details: { reasoning_tokens: 12 }, total_tokens: 150,
    cost: { input_tokens_cost: 0.0001, output_tokens_cost: 0.0004, reasoning_tokens_cost: 0, request_cost: 0, total_cost: 0.0005 },
  },
  extra_fields: { request_type: 'responses', provider: 'anthropic', model_requested: 'anthropic/claude-sonnet-4-5', model_deployment: 'claude-sonnet-4-5', fallback_index: 0, latency: 12, cache_debug: null },
};

describe('ChatCompletionsFormat.encodeResponse', () => {
  it('turns a Response with text and a function call into a chat.completion', () => {
    const out = JSON.parse(format.encodeResponse(TOOL_RESPONSE, { stream: false, includeUsage: false })) as Record<string, unknown>;
    expect(out).toEqual({
      id: 'chatcmpl-0193abc',
      object: 'chat.completion',
      created: 1765000000,
      model: 'claude-sonnet-4-5',
      choices: [{
        index: 0,
        message: {
          role: 'assistant', content: 'Checking.', refusal: null, annotations: [],
          tool_calls: [{ id: 'toolu_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }],
        },
        logprobs: null,
        finish_reason: 'tool_calls',
      }],
      usage: {
        prompt_tokens: 120, completion_tokens: 30, total_tokens: 150,
        prompt_tokens_details: { cached_tokens: 100, audio_tokens: 0 },
        completion_tokens_details: { reasoning_tokens: 12, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
        cost: TOOL_RESPONSE.usage.cost,
      },
      service_tier: null,
      system_fingerprint: null,
      extra_fields: { ...TOOL_RESPONSE.extra_fields, request_type: 'chat_completions' },
    });
  });

  it.each([
    [{ status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' } }, 'length'],
    [{ status: 'incomplete', incomplete_details: { reason: 'content_filter' } }, 'content_filter'],
    [{ status: 'completed' }, 'stop'],
  ])('maps %j to finish_reason %s', (fields, reason) => {
    const response = { ...TOOL_RESPONSE, ...fields, output: [TOOL_RESPONSE.output[1]] };
    const out = JSON.parse(format.encodeResponse(response, { stream: false, includeUsage: false })) as { choices: { finish_reason: string }[] };
    expect(out.choices[0].finish_reason).toBe(reason);
  });
});

function sse(type: string, data: Record<string, unknown>) {
  return { type, data: { type, ...data } };
}

/** OpenAI's Responses event sequence for a text answer followed by a function call. */
const STREAM = [
  sse('response.created', { response: { id: 'resp_9', created_at: 1765000001, model: 'gpt-4o-mini-2024-07-18', status: 'in_progress', output: [] } }),
  sse('response.in_progress', { response: { id: 'resp_9', created_at: 1765000001, model: 'gpt-4o-mini-2024-07-18', status: 'in_progress', output: [] } }),
  sse('response.output_item.added', { output_index: 0, item: { id: 'msg_1', type: 'message', role: 'assistant', content: [] } }),
  sse('response.content_part.added', { item_id: 'msg_1', output_index: 0, content_index: 0, part: { type: 'output_text', text: '' } }),
  sse('response.output_text.delta', { item_id: 'msg_1', output_index: 0, content_index: 0, delta: 'Hel' }),
  sse('response.output_text.delta', { item_id: 'msg_1', output_index: 0, content_index: 0, delta: 'lo' }),
  sse('response.output_text.done', { item_id: 'msg_1', output_index: 0, content_index: 0, text: 'Hello' }),
  sse('response.output_item.done', { output_index: 0, item: { id: 'msg_1', type: 'message' } }),
  sse('response.output_item.added', { output_index: 1, item: { id: 'fc_1', type: 'function_call', call_id: 'call_1', name: 'get_weather', arguments: '' } }),
  sse('response.function_call_arguments.delta', { item_id: 'fc_1', output_index: 1, delta: '{"city":' }),
  sse('response.function_call_arguments.delta', { item_id: 'fc_1', output_index: 1, delta: '"Paris"}' }),
  sse('response.function_call_arguments.done', { item_id: 'fc_1', output_index: 1, arguments: '{"city":"Paris"}' }),
  sse('response.completed', {
    response: {
      id: 'resp_9', created_at: 1765000001, model: 'gpt-4o-mini-2024-07-18', status: 'completed', output: [],
      usage: { input_tokens: 10, input_tokens_details: { cached_tokens: 0 }, output_tokens: 5, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: 15, cost: { total_cost: 0.00001 } },
      extra_fields: { request_type: 'responses', provider: 'openai', fallback_index: 0 },
    },
  }),
];

function encodeStream(includeUsage: boolean, events = STREAM): (Record<string, unknown> | '[DONE]')[] {
  const encoder = format.createStreamEncoder({ stream: true, includeUsage });
  let text = '';
  for (const ev of events) text += encoder.event(ev.type, ev.data);
  text += encoder.end();
  return text.split('\n\n').filter((f) => f !== '').map((f) => {
    expect(f.startsWith('data: ')).toBe(true);
    const data = f.slice(6);
    return data === '[DONE]' ? '[DONE]' : (JSON.parse(data) as Record<string, unknown>);
  });
}

describe('ChatCompletionStreamEncoder', () => {
  it('writes role, content, tool call, finish and usage chunks, then [DONE]', () => {
    const frames = encodeStream(true);
    expect(frames[frames.length - 1]).toBe('[DONE]');
    const chunks = frames.slice(0, -1) as Record<string, unknown>[];
    for (const c of chunks) expect(c).toMatchObject({ id: 'chatcmpl-9', object: 'chat.completion.chunk', created: 1765000001, model: 'gpt-4o-mini-2024-07-18' });
    const choices = chunks.map((c) => (c.choices as { delta: unknown; finish_reason: unknown }[])[0] ?? null);
    expect(choices.map((c) => c?.delta ?? null)).toEqual([
      { role: 'assistant', content: '', refusal: null },
      { content: 'Hel' },
      { content: 'lo' },
      { tool_calls: [{ index: 0, id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '' } }] },
      { tool_calls: [{ index: 0, function: { arguments: '{"city":' } }] },
      { tool_calls: [{ index: 0, function: { arguments: '"Paris"}' } }] },
      {},
      null,
    ]);
    expect(choices[6]?.finish_reason).toBe('tool_calls');
    // Every chunk but the last says `usage: null` (OpenAI's include_usage shape); the last has it.
    expect(chunks.slice(0, -1).every((c) => c.usage === null)).toBe(true);
    const last = chunks[chunks.length - 1];
    expect(last.choices).toEqual([]);
    expect(last.usage).toMatchObject({ prompt_tokens: 10, completion_tokens: 5, total_tokens: 15, cost: { total_cost: 0.00001 } });
    expect(last.extra_fields).toMatchObject({ request_type: 'chat_completions', provider: 'openai' });
  });

  it('sends no usage chunk unless include_usage asked for it', () => {
    const frames = encodeStream(false);
    const chunks = frames.slice(0, -1) as Record<string, unknown>[];
    expect(chunks.some((c) => 'usage' in c)).toBe(false);
    expect(chunks[chunks.length - 1].choices).toEqual([expect.objectContaining({ finish_reason: 'tool_calls' })]);
  });

  it('ends a failed stream on an OpenAI error frame, without [DONE]', () => {
    const events = [
      ...STREAM.slice(0, 5),
      sse('error', { code: 'upstream_error', message: 'openai: connection reset' }),
      sse('response.failed', { response: { id: 'resp_9', status: 'failed', error: { code: 'upstream_error', message: 'openai: connection reset' } } }),
    ];
    const frames = encodeStream(true, events);
    expect(frames[frames.length - 1]).toEqual({ error: { message: 'openai: connection reset', type: 'upstream_error', param: null, code: 'upstream_error' } });
    expect(frames).not.toContain('[DONE]');
  });

  it('maps an incomplete response to finish_reason length', () => {
    const events = [...STREAM.slice(0, 6), sse('response.incomplete', { response: { id: 'resp_9', status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' } } })];
    const frames = encodeStream(false, events);
    const finish = frames[frames.length - 2] as { choices: { finish_reason: string }[] };
    expect(finish.choices[0].finish_reason).toBe('length');
  });
});

describe('ChatCompletionsFormat.renderError', () => {
  it('renders OpenAI error bodies with the refusal headers', () => {
    const out = format.renderError(GatewayError.refusal(402, ErrorCode.BudgetExceeded, 'Budget exceeded.'), 'req-1');
    expect(out.status).toBe(402);
    expect(JSON.parse(out.body)).toEqual({ error: { message: 'Budget exceeded.', type: 'insufficient_quota', param: null, code: 'budget_exceeded' } });
    expect(out.headers['x-should-retry']).toBe('false');
  });
});
