import { DEFAULT_REQUEST_LIMITS, GatewayError } from '@app/common';
import { AnthropicAdapter } from '@app/providers/anthropic/anthropic.adapter';
import { carryThinking } from '@app/providers/responses/reasoning-carrier';
import { testProvider } from '@app/providers/testing/adapter-fixtures';
import { BedrockAdapter } from '@app/providers/bedrock/bedrock.adapter';
import { OpenAIAdapter } from '@app/providers/openai/openai.adapter';
import { CACHE_CONTROL, type ResponsesRequest, STOP_SEQUENCES } from '@app/providers';
import { ChatCompletionsAdapter } from '@app/providers/chat-completions/chat-completions.adapter';
import { CohereAdapter } from '@app/providers/cohere/cohere.adapter';
import { GeminiAdapter } from '@app/providers/gemini/gemini.adapter';
import { toAnthropicMessage } from './messages-response';
import { estimateInputTokens, IMAGE_TOKENS } from './messages-count-tokens';
import { decodeMessagesRequest } from './messages-request';
import { signatureOf } from './thinking-signature';
import { thrownError } from '../../../../../test/support/error-of';

const decode = (body: unknown, countTokens = false) => decodeMessagesRequest(Buffer.from(JSON.stringify(body)), DEFAULT_REQUEST_LIMITS, { countTokens });

const rejection = (body: unknown): GatewayError => thrownError(() => decode(body));

/** What the gateway's Anthropic translator sends upstream for a canonical body. */
function toAnthropic(body: ResponsesRequest, stream = false): Record<string, unknown> {
  const adapter = new AnthropicAdapter();
  const provider = testProvider({ name: 'anthropic', kind: 'anthropic', baseUrl: 'https://api.anthropic.com' });
  const upstreamModel = body.model.slice(body.model.indexOf('/') + 1);
  return JSON.parse(adapter.buildRequest({ body, upstreamModel, stream, provider, key: { id: 'k', value: 'sk-ant', weight: 1, models: [] } }).body) as Record<string, unknown>;
}

const SIGNATURE = 'EqQBCkYIBhgCIkB0ZXN0LXNpZ25hdHVyZQ==';

/** A canonical object with the gateway-only cache breakpoint the decoder puts on it. */
const cached = <T extends object>(o: T, ttl?: '5m' | '1h'): T => Object.assign(o, { [CACHE_CONTROL]: ttl === undefined ? { type: 'ephemeral' } : { type: 'ephemeral', ttl } });
const EPHEMERAL = { type: 'ephemeral' };

// The shape Claude Code sends (system and tools with cache_control, a tool loop with thinking,
// metadata.user_id), as recorded from its requests; texts and schemas abridged.
const CLAUDE_CODE_REQUEST = {
  model: 'claude-sonnet-4-5-20250929',
  max_tokens: 32000,
  stream: true,
  system: [
    { type: 'text', text: "You are Claude Code, Anthropic's official CLI for Claude.", cache_control: { type: 'ephemeral' } },
    { type: 'text', text: 'Working directory: /tmp/project', cache_control: { type: 'ephemeral' } },
  ],
  messages: [
    { role: 'user', content: [{ type: 'text', text: '<system-reminder>Context.</system-reminder>' }, { type: 'text', text: 'List the files.', cache_control: { type: 'ephemeral' } }] },
    {
      role: 'assistant',
      content: [
        { type: 'thinking', thinking: 'I should run ls.', signature: SIGNATURE },
        { type: 'text', text: "I'll list them." },
        { type: 'tool_use', id: 'toolu_01D7FLrfh4GYq7yT1ULFeyMV', name: 'Bash', input: { command: 'ls', description: 'List files' } },
      ],
    },
    {
      role: 'user',
      content: [
        { type: 'tool_result', tool_use_id: 'toolu_01D7FLrfh4GYq7yT1ULFeyMV', content: 'a.txt\nb.txt', is_error: false },
        { type: 'text', text: 'Thanks.' },
      ],
    },
  ],
  tools: [
    {
      name: 'Bash',
      description: 'Executes a given bash command.',
      input_schema: { type: 'object', properties: { command: { type: 'string' }, description: { type: 'string' } }, required: ['command'], additionalProperties: false, $schema: 'http://json-schema.org/draft-07/schema#' },
      cache_control: { type: 'ephemeral' },
    },
  ],
  tool_choice: { type: 'auto' },
  thinking: { budget_tokens: 31999, type: 'enabled', display: 'omitted' },
  context_management: { edits: [{ type: 'clear_thinking_20251015', keep: 'all' }] },
  metadata: { user_id: '{"device_id":"975d3ce5d4bd7a76dc36933e68a628e645e410584f3d6a4e56f434fa24c07cc4","account_uuid":"","session_id":"a3718822-886a-4d71-961f-333390c6c4b7"}' },
  temperature: 1,
};

describe('decodeMessagesRequest', () => {
  it("decodes Claude Code's request into the canonical Responses request", () => {
    const decoded = decode(CLAUDE_CODE_REQUEST);
    expect(decoded.stream).toBe(true);
    expect(decoded.models).toEqual(['anthropic/claude-sonnet-4-5-20250929']);
    expect(decoded.hasRequestFallbacks).toBe(false);
    expect(decoded.egress).toEqual({ model: 'claude-sonnet-4-5-20250929' });
    expect(decoded.body).toEqual({
      model: 'anthropic/claude-sonnet-4-5-20250929',
      store: false,
      stream: true,
      max_output_tokens: 32000,
      temperature: 1,
      input: [
        cached({ type: 'message', role: 'system', content: "You are Claude Code, Anthropic's official CLI for Claude." }),
        cached({ type: 'message', role: 'system', content: 'Working directory: /tmp/project' }),
        { type: 'message', role: 'user', content: [{ type: 'input_text', text: '<system-reminder>Context.</system-reminder>' }, cached({ type: 'input_text', text: 'List the files.' })] },
        { type: 'reasoning', summary: [{ type: 'summary_text', text: 'I should run ls.' }], encrypted_content: carryThinking('anthropic', { text: 'I should run ls.', signature: SIGNATURE }) },
        { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: "I'll list them." }] },
        { type: 'function_call', call_id: 'toolu_01D7FLrfh4GYq7yT1ULFeyMV', name: 'Bash', arguments: '{"command":"ls","description":"List files"}' },
        { type: 'function_call_output', call_id: 'toolu_01D7FLrfh4GYq7yT1ULFeyMV', output: 'a.txt\nb.txt' },
        { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'Thanks.' }] },
      ],
      tools: [cached({ type: 'function', name: 'Bash', description: 'Executes a given bash command.', parameters: CLAUDE_CODE_REQUEST.tools[0].input_schema, strict: false })],
      tool_choice: 'auto',
      // display "omitted": no thinking text asked for; the signed thinking still travels back
      reasoning: { effort: 'high' },
      include: ['reasoning.encrypted_content'],
      metadata: { user_id: CLAUDE_CODE_REQUEST.metadata.user_id },
    });
  });

  it('reaches Anthropic through the Responses translator as the client sent it: thinking signed, tool loop intact', () => {
    const upstream = toAnthropic(decode(CLAUDE_CODE_REQUEST).body, true);
    expect(upstream).toEqual({
      model: 'claude-sonnet-4-5-20250929',
      max_tokens: 32000,
      stream: true,
      // the breakpoints where the client put them
      system: [{ type: 'text', text: "You are Claude Code, Anthropic's official CLI for Claude.", cache_control: EPHEMERAL }, { type: 'text', text: 'Working directory: /tmp/project', cache_control: EPHEMERAL }],
      messages: [
        { role: 'user', content: [{ type: 'text', text: '<system-reminder>Context.</system-reminder>' }, { type: 'text', text: 'List the files.', cache_control: EPHEMERAL }] },
        {
          role: 'assistant',
          content: [
            { type: 'thinking', thinking: 'I should run ls.', signature: SIGNATURE },
            { type: 'text', text: "I'll list them." },
            { type: 'tool_use', id: 'toolu_01D7FLrfh4GYq7yT1ULFeyMV', name: 'Bash', input: { command: 'ls', description: 'List files' } },
          ],
        },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_01D7FLrfh4GYq7yT1ULFeyMV', content: 'a.txt\nb.txt' }, { type: 'text', text: 'Thanks.' }] },
      ],
      tools: [{ name: 'Bash', description: 'Executes a given bash command.', input_schema: CLAUDE_CODE_REQUEST.tools[0].input_schema, cache_control: EPHEMERAL }],
      tool_choice: { type: 'auto' },
      // budget 31999 -> effort high -> Anthropic's high budget, inside max_tokens
      thinking: { type: 'enabled', budget_tokens: 16384 },
      temperature: 1,
      metadata: { user_id: CLAUDE_CODE_REQUEST.metadata.user_id },
    });
  });

  it('carries cache_control on tool_use, tool_result, images and ttl; at most 4 breakpoints, each checked', () => {
    const { body } = decode({
      model: 'anthropic/claude-sonnet-4-5',
      max_tokens: 100,
      messages: [
        { role: 'user', content: [{ type: 'image', source: { type: 'url', url: 'https://example.com/a.png' }, cache_control: { type: 'ephemeral', ttl: '1h' } }] },
        { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_1', name: 'f', input: {}, cache_control: { type: 'ephemeral' } }] },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: 'ok', cache_control: { type: 'ephemeral' } }] },
      ],
    });
    expect(body.input).toEqual([
      { type: 'message', role: 'user', content: [cached({ type: 'input_image', image_url: 'https://example.com/a.png', detail: 'auto' }, '1h')] },
      cached({ type: 'function_call', call_id: 'toolu_1', name: 'f', arguments: '{}' }),
      cached({ type: 'function_call_output', call_id: 'toolu_1', output: 'ok' }),
    ]);
    // gateway-only: never in the JSON a pass-through provider receives
    expect(JSON.stringify(body)).not.toContain('cache_control');
    expect(toAnthropic(body).messages).toEqual([
      { role: 'user', content: [{ type: 'image', source: { type: 'url', url: 'https://example.com/a.png' }, cache_control: { type: 'ephemeral', ttl: '1h' } }] },
      { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_1', name: 'f', input: {}, cache_control: EPHEMERAL }] },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: 'ok', cache_control: EPHEMERAL }] },
    ]);

    const five = { ...CLAUDE_CODE_REQUEST, messages: [...CLAUDE_CODE_REQUEST.messages, { role: 'assistant', content: [{ type: 'text', text: 'x', cache_control: { type: 'ephemeral' } }] }] };
    expect(rejection(five)).toMatchObject({ status: 400, param: 'messages[3].content[0].cache_control', message: expect.stringMatching(/maximum of 4 blocks with cache_control/) });
    const bad = (cc: unknown) => rejection({ model: 'anthropic/claude-sonnet-4-5', max_tokens: 10, system: [{ type: 'text', text: 's', cache_control: cc }], messages: [{ role: 'user', content: 'Hi' }] });
    expect(bad({ type: 'persistent' }).param).toBe('system[0].cache_control.type');
    expect(bad({ type: 'ephemeral', ttl: '2h' }).param).toBe('system[0].cache_control.ttl');
  });

  it('sends breakpoints to Claude on Bedrock as cachePoint blocks; OpenAI and non-Claude Bedrock models get none', () => {
    const { body } = decode(CLAUDE_CODE_REQUEST);
    const key = { id: 'k', value: '', weight: 1, models: [], aws: { accessKeyId: 'AKID', secretAccessKey: 's', region: 'us-east-1' } };
    const bedrock = (model: string) => JSON.parse(new BedrockAdapter().buildRequest({ body, upstreamModel: model, stream: false, provider: testProvider({ name: 'bedrock', kind: 'bedrock', baseUrl: 'https://bedrock-runtime.us-east-1.amazonaws.com' }), key }).body) as Record<string, any>;
    const point = { cachePoint: { type: 'default' } };
    const claude = bedrock('anthropic.claude-sonnet-4-5-20250929-v1:0');
    expect(claude.system).toEqual([{ text: "You are Claude Code, Anthropic's official CLI for Claude." }, point, { text: 'Working directory: /tmp/project' }, point]);
    expect(claude.toolConfig.tools).toEqual([{ toolSpec: expect.objectContaining({ name: 'Bash' }) }, point]);
    expect(claude.messages[0].content).toEqual([{ text: '<system-reminder>Context.</system-reminder>' }, { text: 'List the files.' }, point]);
    expect(JSON.stringify(bedrock('amazon.nova-pro-v1:0'))).not.toContain('cachePoint');

    const openai = new OpenAIAdapter().buildRequest({ body, upstreamModel: 'gpt-4o', stream: false, provider: testProvider({ name: 'openai', kind: 'openai', baseUrl: 'https://api.openai.com/v1' }), key });
    expect(openai.body).not.toContain('cache_control');
  });

  it('carries stop_sequences to every provider that takes them; OpenAI Responses refuses them naming itself', () => {
    const { body } = decode({ model: 'anthropic/claude-sonnet-4-5', max_tokens: 100, stop_sequences: ['END', '\n\nHuman:'], messages: [{ role: 'user', content: 'Hi' }] });
    expect(body[STOP_SEQUENCES]).toEqual(['END', '\n\nHuman:']);
    expect(JSON.stringify(body)).not.toContain('END');
    expect(toAnthropic(body).stop_sequences).toEqual(['END', '\n\nHuman:']);
    const key = { id: 'k', value: 'v', weight: 1, models: [], aws: { accessKeyId: 'AKID', secretAccessKey: 's', region: 'us-east-1' } };
    const wire = (adapter: { buildRequest: ChatCompletionsAdapter['buildRequest'] }, name: string, kind: string, upstreamModel: string) =>
      JSON.parse(adapter.buildRequest({ body, upstreamModel, stream: false, provider: testProvider({ name, kind, baseUrl: 'https://example.com/v1' } as never), key }).body) as Record<string, any>;
    const claude = wire(new BedrockAdapter(), 'bedrock', 'bedrock', 'anthropic.claude-sonnet-4-5-20250929-v1:0');
    expect(claude.inferenceConfig).toEqual({ maxTokens: 100, stopSequences: ['END', '\n\nHuman:'] });
    expect(claude.additionalModelResponseFieldPaths).toEqual(['/stop_sequence']);
    expect(wire(new GeminiAdapter(), 'gemini', 'gemini', 'gemini-2.5-flash').generationConfig.stopSequences).toEqual(['END', '\n\nHuman:']);
    expect(wire(new CohereAdapter(), 'cohere', 'cohere', 'command-a-03-2025').stop_sequences).toEqual(['END', '\n\nHuman:']);
    expect(wire(new ChatCompletionsAdapter(), 'groq', 'openai-compatible', 'llama-3.3-70b').stop).toEqual(['END', '\n\nHuman:']);
    expect(() => wire(new OpenAIAdapter(), 'openai', 'openai', 'gpt-4o')).toThrow(/openai does not support stop sequences \('stop' \/ 'stop_sequences'\)/);
    const tooMany = decode({ model: 'gemini/gemini-2.5-flash', max_tokens: 10, stop_sequences: ['a', 'b', 'c', 'd', 'e', 'f'], messages: [{ role: 'user', content: 'Hi' }] }).body;
    expect(() => new GeminiAdapter().buildRequest({ body: tooMany, upstreamModel: 'gemini-2.5-flash', stream: false, provider: testProvider({ name: 'gemini', kind: 'gemini', baseUrl: 'https://example.com' }), key })).toThrow(/gemini takes at most 5 stop sequences/);
  });

  it("answers a stop at a sequence with stop_reason 'stop_sequence' and the sequence", () => {
    const response = { id: 'resp_1', status: 'completed', output: [{ type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'Hi ' }] }], stop_sequence: 'END' };
    expect(toAnthropicMessage(response, { model: 'claude-sonnet-4-5' })).toMatchObject({ stop_reason: 'stop_sequence', stop_sequence: 'END' });
    expect(toAnthropicMessage({ ...response, stop_sequence: undefined }, { model: 'claude-sonnet-4-5' })).toMatchObject({ stop_reason: 'end_turn', stop_sequence: null });
  });

  it('sends back the signatures it handed out: carried thinking, redacted thinking, OpenAI encrypted reasoning', () => {
    const carried = carryThinking('anthropic', { text: 'Plan.', signature: 'sig-A' });
    const redacted = carryThinking('anthropic', { redacted: 'EmwKAhgB' });
    const openai = signatureOf({ id: 'rs_68c1', encrypted_content: 'gAAAAABo' })!;
    const { body } = decode({
      model: 'anthropic/claude-sonnet-4-5',
      max_tokens: 2048,
      messages: [
        { role: 'user', content: 'Hi' },
        { role: 'assistant', content: [{ type: 'redacted_thinking', data: redacted }, { type: 'thinking', thinking: 'Plan.', signature: carried }, { type: 'thinking', thinking: 'o', signature: openai }, { type: 'thinking', thinking: 'unsigned' }, { type: 'text', text: 'Hello' }] },
        { role: 'user', content: 'Again' },
      ],
    });
    expect((body.input as unknown[]).slice(1, 4)).toEqual([
      { type: 'reasoning', summary: [], encrypted_content: redacted },
      { type: 'reasoning', summary: [{ type: 'summary_text', text: 'Plan.' }], encrypted_content: carried },
      { type: 'reasoning', id: 'rs_68c1', summary: [{ type: 'summary_text', text: 'o' }], encrypted_content: 'gAAAAABo' },
    ]);
    // Anthropic gets its own blocks back; OpenAI's reasoning and the unsigned block are not sent to it.
    expect((toAnthropic(body).messages as { content: unknown }[])[1].content).toEqual([
      { type: 'redacted_thinking', data: 'EmwKAhgB' },
      { type: 'thinking', thinking: 'Plan.', signature: 'sig-A' },
      { type: 'text', text: 'Hello' },
    ]);
  });

  it('keeps a system message sent mid-conversation in place (Claude Code sends one for models it does not know)', () => {
    const { body } = decode({
      model: 'openai/gpt-4o-mini',
      max_tokens: 32000,
      messages: [
        { role: 'user', content: [{ type: 'text', text: 'Say hello' }] },
        { role: 'system', content: [{ type: 'text', text: '# Environment\nPrimary working directory: /tmp/w' }, { type: 'text', text: 'gitStatus: none' }] },
      ],
    });
    expect(body.input).toEqual([
      { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'Say hello' }] },
      { type: 'message', role: 'system', content: '# Environment\nPrimary working directory: /tmp/w' },
      { type: 'message', role: 'system', content: 'gitStatus: none' },
    ]);
  });

  it('takes images, PDFs and text documents, and tool results with images or errors', () => {
    const { body } = decode({
      model: 'gemini/gemini-2.5-flash',
      max_tokens: 100,
      system: 'Be brief.',
      messages: [
        {
          role: 'user',
          content: [
            { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBORw0KGgo=' } },
            { type: 'image', source: { type: 'url', url: 'https://upload.wikimedia.org/a.jpg' } },
            { type: 'document', source: { type: 'base64', media_type: 'application/pdf', data: 'JVBERi0x' }, title: 'spec.pdf' },
            { type: 'document', source: { type: 'url', url: 'https://example.com/a.pdf' } },
            { type: 'document', source: { type: 'text', media_type: 'text/plain', data: 'The grass is green.' }, title: 'Notes' },
            { type: 'text', text: 'Describe.' },
          ],
        },
        { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_1', name: 'shot', input: {} }, { type: 'tool_use', id: 'toolu_2', name: 'rm', input: { path: '/' } }] },
        {
          role: 'user',
          content: [
            { type: 'tool_result', tool_use_id: 'toolu_1', content: [{ type: 'text', text: 'A screenshot:' }, { type: 'image', source: { type: 'base64', media_type: 'image/jpeg', data: '/9j/4AAQ' } }] },
            { type: 'tool_result', tool_use_id: 'toolu_2', content: [{ type: 'text', text: 'permission denied' }], is_error: true },
          ],
        },
      ],
    });
    expect(body.input).toEqual([
      { type: 'message', role: 'system', content: 'Be brief.' },
      {
        type: 'message',
        role: 'user',
        content: [
          { type: 'input_image', image_url: 'data:image/png;base64,iVBORw0KGgo=', detail: 'auto' },
          { type: 'input_image', image_url: 'https://upload.wikimedia.org/a.jpg', detail: 'auto' },
          { type: 'input_file', file_data: 'data:application/pdf;base64,JVBERi0x', filename: 'spec.pdf' },
          { type: 'input_file', file_url: 'https://example.com/a.pdf' },
          { type: 'input_text', text: 'Notes\n\nThe grass is green.' },
          { type: 'input_text', text: 'Describe.' },
        ],
      },
      { type: 'function_call', call_id: 'toolu_1', name: 'shot', arguments: '{}' },
      { type: 'function_call', call_id: 'toolu_2', name: 'rm', arguments: '{"path":"/"}' },
      { type: 'function_call_output', call_id: 'toolu_1', output: [{ type: 'input_text', text: 'A screenshot:' }, { type: 'input_image', image_url: 'data:image/jpeg;base64,/9j/4AAQ', detail: 'auto' }] },
      { type: 'function_call_output', call_id: 'toolu_2', output: 'Error: permission denied' },
    ]);
  });

  it('maps tool_choice, parallel use, web search, thinking budgets and fallbacks', () => {
    const base = { model: 'openai/gpt-4o-mini', max_tokens: 20000, messages: [{ role: 'user', content: 'Hi' }] };
    expect(decode({ ...base, tool_choice: { type: 'any', disable_parallel_tool_use: true } }).body).toMatchObject({ tool_choice: 'required', parallel_tool_calls: false });
    expect(decode({ ...base, tool_choice: { type: 'tool', name: 'get_weather' } }).body.tool_choice).toEqual({ type: 'function', name: 'get_weather' });
    expect(decode({ ...base, tool_choice: { type: 'none' } }).body.tool_choice).toBe('none');
    const ws = decode({ ...base, tools: [{ type: 'web_search_20250305', name: 'web_search', max_uses: 5, allowed_domains: ['docs.anthropic.com'], user_location: { type: 'approximate', city: 'Paris', country: 'FR' } }] });
    expect(ws.body.tools).toEqual([{ type: 'web_search', filters: { allowed_domains: ['docs.anthropic.com'] }, user_location: { type: 'approximate', city: 'Paris', country: 'FR' } }]);
    expect(decode({ ...base, thinking: { type: 'enabled', budget_tokens: 1024 } }).body.reasoning).toEqual({ effort: 'low', summary: 'auto' });
    expect(decode({ ...base, thinking: { type: 'enabled', budget_tokens: 10000 } }).body.reasoning).toEqual({ effort: 'medium', summary: 'auto' });
    expect(decode({ ...base, thinking: { type: 'disabled' } }).body.reasoning).toBeUndefined();
    // adaptive: the model's own choice, no reasoning parameter (what Claude Code sends for models it does not know)
    expect(decode({ ...base, thinking: { type: 'adaptive', display: 'omitted' }, output_config: { effort: 'high' } }).body).toEqual({
      model: 'openai/gpt-4o-mini', store: false, max_output_tokens: 20000, input: [{ type: 'message', role: 'user', content: 'Hi' }],
    });
    const fb = decode({ ...base, model: 'claude-3-5-haiku-20241022', fallbacks: ['gemini/gemini-2.5-flash', 'anthropic/claude-haiku-4-5'] });
    expect(fb.models).toEqual(['anthropic/claude-3-5-haiku-20241022', 'gemini/gemini-2.5-flash', 'anthropic/claude-haiku-4-5']);
    expect(fb.hasRequestFallbacks).toBe(true);
    expect(fb.body.fallbacks).toBeUndefined();
    // top_k is checked, then ignored; an empty stop_sequences is nothing
    expect(decode({ ...base, top_k: 40, stop_sequences: [] }).body).toEqual({ model: 'openai/gpt-4o-mini', store: false, max_output_tokens: 20000, input: [{ type: 'message', role: 'user', content: 'Hi' }] });
    // count_tokens needs no max_tokens
    expect(decode({ model: 'openai/gpt-4o-mini', messages: [{ role: 'user', content: 'Hi' }] }, true).body.max_output_tokens).toBeUndefined();
  });

  it.each([
    [{ max_tokens: undefined }, 'max_tokens', /'max_tokens' is required/],
    [{ max_tokens: 0 }, 'max_tokens', /between 1 and/],
    [{ max_tokens: 1.5 }, 'max_tokens', /integer/],
    [{ model: 'gpt-4o' }, 'model', /provider\/model/],
    [{ messages: 'hi' }, 'messages', /array/],
    [{ messages: [{ role: 'tool', content: 'x' }] }, 'messages[0].role', /'user', 'assistant' or 'system'/],
    [{ messages: [{ role: 'system', content: [{ type: 'image' }] }] }, 'messages[0].content[0]', /text block/],
    [{ thinking: { type: 'enabled', budget_tokens: 2048, display: 1 } }, 'thinking.display', /string/],
    [{ messages: [{ role: 'user', content: [{ type: 'tool_use', id: 't', name: 'n', input: {} }] }] }, 'messages[0].content[0].type', /assistant/],
    [{ messages: [{ role: 'user', content: [{ type: 'text' }] }] }, 'messages[0].content[0].text', /string/],
    [{ messages: [{ role: 'user', content: [{ type: 'image', source: { type: 'file', file_id: 'f' } }] }] }, 'messages[0].content[0].source.type', /by id/],
    [{ messages: [{ role: 'user', content: [{ type: 'container_upload', file_id: 'f' }] }] }, 'messages[0].content[0].type', /not supported/],
    [{ system: [{ type: 'image' }] }, 'system[0]', /text block/],
    [{ tools: [{ name: 'x' }] }, 'tools[0].input_schema', /schema/],
    [{ tools: [{ type: 'bash_20250124', name: 'bash' }] }, 'tools[0].type', /custom tool/],
    [{ tool_choice: { type: 'required' } }, 'tool_choice.type', /auto, any, tool, none/],
    [{ thinking: { type: 'enabled', budget_tokens: 512 } }, 'thinking.budget_tokens', /at least 1024/],
    [{ thinking: { type: 'enabled', budget_tokens: 4096 }, max_tokens: 4096 }, 'thinking.budget_tokens', /greater than/],
    [{ stop_sequences: [''] }, 'stop_sequences', /empty/],
    [{ stop_sequences: 'END' }, 'stop_sequences', /array of strings/],
    [{ temperature: 1.5 }, 'temperature', /between 0 and 1/],
    [{ top_k: -1 }, 'top_k', /between/],
    [{ metadata: { user_id: 'x'.repeat(257) } }, 'metadata.user_id', /256/],
    [{ stream: 'yes' }, 'stream', /boolean/],
    [{ fallbacks: 'openai/gpt-4o' }, 'fallbacks', /array/],
    [{ fallbacks: Array(11).fill('openai/gpt-4o') }, 'fallbacks', /at most 10/],
  ])('refuses %j with a 400 naming %s', (over, param, message) => {
    const err = rejection({ model: 'anthropic/claude-sonnet-4-5', max_tokens: 1024, messages: [{ role: 'user', content: 'Hi' }], ...over });
    expect(err.status).toBe(400);
    expect(err.param).toBe(param);
    expect(err.message).toMatch(message);
  });

  it('refuses bodies that are not JSON objects, or nest too deep, before reading them', () => {
    expect(() => decodeMessagesRequest(Buffer.from('{'), DEFAULT_REQUEST_LIMITS)).toThrow(/not valid JSON/);
    expect(() => decodeMessagesRequest(Buffer.from('[1]'), DEFAULT_REQUEST_LIMITS)).toThrow(/JSON object/);
    expect(() => decodeMessagesRequest(Buffer.from(`{"a":${'['.repeat(70)}${']'.repeat(70)}}`), DEFAULT_REQUEST_LIMITS)).toThrow(/deeper than the limit/);
  });
});

describe('estimateInputTokens', () => {
  it('counts four bytes of text per token, tool definitions as JSON, a fixed count per image', () => {
    const text = 'x'.repeat(400);
    expect(estimateInputTokens(decode({ model: 'openai/gpt-4o', messages: [{ role: 'user', content: text }] }, true).body)).toBe(100);
    const tools = [{ name: 'Bash', description: 'Run.', input_schema: { type: 'object', properties: {} } }];
    const withTools = decode({ model: 'openai/gpt-4o', system: text, tools, messages: [{ role: 'user', content: [{ type: 'text', text }, { type: 'image', source: { type: 'url', url: 'https://a/b.png' } }] }] }, true).body;
    const toolBytes = Buffer.byteLength(JSON.stringify(withTools.tools));
    expect(estimateInputTokens(withTools)).toBe(Math.ceil((800 + toolBytes) / 4) + IMAGE_TOKENS);
    // a tool loop: the call's name and arguments, and its result
    const loop = decode({
      model: 'openai/gpt-4o',
      messages: [
        { role: 'user', content: 'Hi' },
        { role: 'assistant', content: [{ type: 'tool_use', id: 't', name: 'ab', input: { c: 1 } }] },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 't', content: 'done' }] },
      ],
    }, true).body;
    expect(estimateInputTokens(loop)).toBe(Math.ceil(('Hi'.length + 'ab'.length + '{"c":1}'.length + 'done'.length) / 4));
  });
});
