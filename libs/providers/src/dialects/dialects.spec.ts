import { PROVIDER_DEFINITIONS } from '../provider-registry';
import { testProvider, translateSse } from '../testing/adapter-fixtures';
import type { ResponsesRequest, Usage } from '../types';
import { DIALECTS, durationMs, retryAfterMs } from './dialects';

/**
 * One fixture per dialect entry, in the provider's recorded wire shapes: what the gateway
 * sends it (a streamed request with every field a client may set), how its stream reports
 * usage, how its errors read, and what its rate-limit headers ask.
 */
interface Fixture {
  /** Fields the sent body must not hold, and ones it must. */
  absent: string[];
  present: Record<string, unknown>;
  /** The tail of a recorded stream carrying the usage, as the provider sends it. */
  stream: string;
  usage: Partial<Usage>;
  /** A recorded error body and what the gateway reads from it. */
  error: { status: number; body: string; message: string; code?: string | null; param?: string | null };
  /** Rate-limit headers of a 429 and the wait they ask for. */
  retry: { headers: Record<string, string>; ms: number | null };
}

const chunk = (model: string, delta: object, finish: string | null, extra: object = {}) =>
  `data: ${JSON.stringify({ id: 'x', object: 'chat.completion.chunk', created: 1, model, choices: [{ index: 0, delta, finish_reason: finish }], ...extra })}\n\n`;
const USAGE = { prompt_tokens: 11, completion_tokens: 3, total_tokens: 14 };
const completed = (usage: object) =>
  `event: response.created\ndata: {"type":"response.created","sequence_number":0,"response":{"id":"resp_1","status":"in_progress","output":[]}}\n\n` +
  `event: response.completed\ndata: ${JSON.stringify({ type: 'response.completed', sequence_number: 1, response: { id: 'resp_1', status: 'completed', output: [], usage } })}\n\n`;
const RESPONSES_USAGE = { input_tokens: 11, input_tokens_details: { cached_tokens: 2 }, output_tokens: 3, output_tokens_details: { reasoning_tokens: 1 }, total_tokens: 14 };
const openaiError = (message: string, code: string | null = null) => JSON.stringify({ error: { message, type: 'invalid_request_error', param: null, code } });

const FIXTURES: Record<string, Fixture> = {
  mistral: {
    absent: ['stream_options', 'user', 'reasoning_effort', 'store', 'metadata_unknown'],
    present: { stream: true, max_tokens: 50, tool_choice: 'auto' },
    // Mistral puts usage on the finish chunk, unasked.
    stream: chunk('mistral-small-latest', { content: 'Hi' }, null) + chunk('mistral-small-latest', {}, 'stop', { usage: USAGE }) + 'data: [DONE]\n\n',
    usage: { inputTokens: 11, outputTokens: 3, totalTokens: 14 },
    error: {
      status: 422,
      body: '{"object":"error","message":{"detail":[{"type":"extra_forbidden","loc":["body","stream_options"],"msg":"Extra inputs are not permitted","input":{"include_usage":true}}]},"type":"invalid_request_error","param":null,"code":null}',
      message: 'body.stream_options: Extra inputs are not permitted (extra_forbidden)', param: 'stream_options',
    },
    retry: { headers: { 'retry-after': '2' }, ms: 2000 },
  },
  deepseek: {
    absent: [],
    present: { stream_options: { include_usage: true }, response_format: { type: 'json_object' } },
    stream: chunk('deepseek-chat', { content: 'Hi' }, null) + chunk('deepseek-chat', {}, 'stop') +
      `data: ${JSON.stringify({ id: 'x', object: 'chat.completion.chunk', model: 'deepseek-chat', choices: [], usage: { ...USAGE, prompt_cache_hit_tokens: 4, prompt_cache_miss_tokens: 7 } })}\n\n` + 'data: [DONE]\n\n',
    usage: { inputTokens: 11, cachedTokens: 4, outputTokens: 3 },
    error: { status: 400, body: openaiError('This response_format type is unavailable now', 'invalid_request_error'), message: 'This response_format type is unavailable now' },
    retry: { headers: {}, ms: null },
  },
  together: {
    absent: ['stream_options'],
    present: { stream: true },
    stream: chunk('meta-llama/Llama-3.3-70B-Instruct-Turbo', { content: 'Hi' }, null) + chunk('meta-llama/Llama-3.3-70B-Instruct-Turbo', {}, 'eos', { usage: USAGE }) + 'data: [DONE]\n\n',
    usage: { inputTokens: 11, outputTokens: 3 },
    error: { status: 429, body: JSON.stringify({ id: 'x', error: { message: 'Rate limit exceeded', type: 'rate_limit', param: null, code: null } }), message: 'Rate limit exceeded' },
    retry: { headers: { 'retry-after': '5' }, ms: 5000 },
  },
  fireworks: {
    absent: ['stream_options'],
    present: { stream: true },
    stream: chunk('accounts/fireworks/models/llama-v3p3-70b-instruct', { content: 'Hi' }, 'stop', { usage: USAGE }) + 'data: [DONE]\n\n',
    usage: { inputTokens: 11, outputTokens: 3 },
    error: { status: 404, body: JSON.stringify({ error: { object: 'error', type: 'invalid_request_error', message: 'Model not found, inaccessible, and/or not deployed', code: 'NOT_FOUND' } }), message: 'Model not found, inaccessible, and/or not deployed', code: 'NOT_FOUND' },
    retry: { headers: {}, ms: null },
  },
  cerebras: {
    absent: ['stream_options', 'frequency_penalty', 'presence_penalty'],
    present: { stream: true, temperature: 0.2 },
    stream: chunk('llama-3.3-70b', { content: 'Hi' }, 'stop', { usage: USAGE, time_info: { queue_time: 0.001 } }) + 'data: [DONE]\n\n',
    usage: { inputTokens: 11, outputTokens: 3 },
    // Cerebras' errors are flat, without an `error` envelope.
    error: { status: 400, body: '{"message":"Unsupported parameter: frequency_penalty","type":"invalid_request_error","param":"frequency_penalty","code":"wrong_api_format"}', message: 'Unsupported parameter: frequency_penalty', code: 'wrong_api_format', param: 'frequency_penalty' },
    retry: { headers: { 'x-ratelimit-reset-requests-day': '3600.5', 'x-ratelimit-reset-tokens-minute': '12.3' }, ms: 3600500 },
  },
  perplexity: {
    absent: ['stream_options', 'tools', 'tool_choice'],
    present: { stream: true },
    stream: chunk('sonar', { content: 'Hi' }, 'stop', { usage: { ...USAGE, search_context_size: 'low' }, citations: ['https://example.com'] }) + 'data: [DONE]\n\n',
    usage: { inputTokens: 11, outputTokens: 3 },
    error: { status: 400, body: JSON.stringify({ error: { message: 'Invalid model', type: 'invalid_model', code: 400 } }), message: 'Invalid model', code: '400' },
    retry: { headers: {}, ms: null },
  },
  groq: {
    absent: ['store', 'include', 'prompt_cache_key', 'safety_identifier', 'truncation'],
    present: { stream: true, temperature: 0.2, future_field: 1 },
    stream: completed(RESPONSES_USAGE),
    usage: { inputTokens: 11, cachedTokens: 2, outputTokens: 3, reasoningTokens: 1 },
    error: { status: 429, body: openaiError('Rate limit reached for model `llama-3.3-70b-versatile` on tokens per minute (TPM)', 'rate_limit_exceeded'), message: 'Rate limit reached for model `llama-3.3-70b-versatile` on tokens per minute (TPM)', code: 'rate_limit_exceeded' },
    // No retry-after: the reset headers say how long the window lasts (Go-style durations).
    retry: { headers: { 'x-ratelimit-reset-requests': '2m59.56s', 'x-ratelimit-reset-tokens': '7.66s' }, ms: 179560 },
  },
  xai: {
    absent: ['background'],
    present: { store: false, include: ['reasoning.encrypted_content'], future_field: 1 },
    stream: completed(RESPONSES_USAGE),
    usage: { inputTokens: 11, outputTokens: 3 },
    error: { status: 400, body: JSON.stringify({ code: 'Client specified an invalid argument', error: 'Incorrect API key provided: xa***. You can obtain an API key from https://console.x.ai.' }), message: 'Incorrect API key provided: xa***. You can obtain an API key from https://console.x.ai.' },
    retry: { headers: { 'retry-after': '1' }, ms: 1000 },
  },
  openrouter: {
    absent: ['store'],
    present: { stream: true, include: ['reasoning.encrypted_content'] },
    stream: completed(RESPONSES_USAGE),
    usage: { inputTokens: 11, outputTokens: 3 },
    error: { status: 402, body: JSON.stringify({ error: { code: 402, message: 'Insufficient credits', metadata: {} } }), message: 'Insufficient credits', code: '402' },
    retry: { headers: {}, ms: null },
  },
  ollama: {
    absent: ['store'],
    present: { stream: true, temperature: 0.2 },
    stream: completed(RESPONSES_USAGE),
    usage: { inputTokens: 11, outputTokens: 3 },
    error: { status: 404, body: JSON.stringify({ error: { message: "model 'llama9' not found", type: 'api_error', param: null, code: null } }), message: "model 'llama9' not found" },
    retry: { headers: {}, ms: null },
  },
  vllm: {
    absent: ['store'],
    present: { stream: true, include: ['reasoning.encrypted_content'] },
    stream: completed(RESPONSES_USAGE),
    usage: { inputTokens: 11, outputTokens: 3 },
    error: { status: 400, body: JSON.stringify({ error: { message: 'max_output_tokens is too large', type: 'BadRequestError', param: null, code: 400 } }), message: 'max_output_tokens is too large', code: '400' },
    retry: { headers: {}, ms: null },
  },
};

// Every field a client (Codex, the SDKs) may put on a streamed request, as the conversation
// stage hands it on (previous_response_id resolved, store false upstream).
const CLIENT_BODY: Omit<ResponsesRequest, 'model'> = {
  input: 'hi', stream: true, instructions: 'Be brief.', max_output_tokens: 50, temperature: 0.2, top_p: 0.9, user: 'u1',
  reasoning: { effort: 'low' }, store: false, include: ['reasoning.encrypted_content'],
  prompt_cache_key: 'k', safety_identifier: 's', truncation: 'disabled', background: false, future_field: 1,
  tools: [{ type: 'function', name: 'f', parameters: { type: 'object' } }], tool_choice: 'auto',
  text: { format: { type: 'json_schema', name: 'x', schema: { type: 'object' } } },
  frequency_penalty: 0.1, presence_penalty: 0.1,
};

describe('provider dialects', () => {
  it('has a fixture for every dialect entry, and every entry names a catalog provider', () => {
    expect(Object.keys(FIXTURES).sort()).toEqual([...DIALECTS.keys()].sort());
    for (const [name, d] of DIALECTS) {
      expect({ name, kind: PROVIDER_DEFINITIONS.get(name)?.kind.kind }).toEqual({ name, kind: d.api === 'chat' ? 'chat-completions' : 'openai-compatible' });
    }
  });

  describe.each([...DIALECTS.keys()])('%s', (name) => {
    const dialect = DIALECTS.get(name)!;
    const fixture = FIXTURES[name];
    const entry = PROVIDER_DEFINITIONS.get(name)!;
    const provider = testProvider({ name, kind: entry.kind.kind, baseUrl: entry.defaultBaseUrl ?? 'http://127.0.0.1:8000/v1' });
    const adapter = entry.kind.adapter;
    // Perplexity takes no function tools: its request leaves them out rather than fail.
    const body = { model: `${name}/m`, ...CLIENT_BODY };

    it('sends only what the API takes', () => {
      const sent = JSON.parse(adapter.buildRequest({ body: structuredClone(body), upstreamModel: 'm', stream: true, provider, key: { id: 'k', value: 'sk', weight: 1, models: [] } }).body) as Record<string, unknown>;
      for (const f of fixture.absent) expect({ field: f, sent: sent[f] }).toEqual({ field: f, sent: undefined });
      expect(sent).toMatchObject(fixture.present);
      if (dialect.accepts !== null) for (const f of Object.keys(sent)) expect({ field: f, accepted: dialect.accepts.has(f) }).toEqual({ field: f, accepted: true });
      for (const f of dialect.rejects) expect(f in sent).toBe(false);
    });

    it('reads usage off its stream as it sends it', () => {
      for (const step of [1, 7, fixture.stream.length]) {
        const { t } = translateSse(fixture.stream, step, adapter.createStreamTranslator({ requestBody: body, upstreamModel: 'm' }));
        expect(t.terminal).toBe('completed');
        expect(t.usage).toMatchObject(fixture.usage);
      }
    });

    it('reads its error body', () => {
      const info = adapter.parseError(fixture.error.status, fixture.error.body);
      expect(info.message).toBe(fixture.error.message);
      if (fixture.error.code !== undefined) expect(info.code).toBe(fixture.error.code);
      if (fixture.error.param !== undefined) expect(info.param).toBe(fixture.error.param);
    });

    it('reads its retry hints on a 429', () => {
      expect(retryAfterMs(name, 429, fixture.retry.headers)).toBe(fixture.retry.ms);
    });
  });

  it('reads Go-style and bare-second durations', () => {
    expect(durationMs('1h2m3.5s')).toBe(3_723_500);
    expect(durationMs('250ms')).toBe(250);
    expect(durationMs('7.66')).toBe(7_660);
    expect(durationMs('soon')).toBeNull();
    // Reset headers only speak for a 429; other failures keep the plain retry-after.
    expect(retryAfterMs('groq', 503, { 'x-ratelimit-reset-tokens': '7s' })).toBeNull();
  });
});
