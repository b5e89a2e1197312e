import { createOpenAI } from '@ai-sdk/openai';
import { generateText, stepCountIs, streamText } from 'ai';
import OpenAI from 'openai';
import type { ChatCompletionChunk, ChatCompletionMessageParam, ChatCompletionTool } from 'openai/resources/chat/completions';
import { FAKE_AWS_CREDENTIALS } from '../../apps/fake-upstream/src/bedrock-format';
import { ADMIN_TOKEN } from '../support/gateway-harness';
import { FAST, hello, useProviderGateway, weatherTool } from '../support/provider-scenarios';

/**
 * POST /v1/chat/completions: the OpenAI Chat Completions API in front of every provider, through
 * the canonical Responses pipeline. The official OpenAI SDK and the AI SDK's chat provider are
 * the clients; the fakes speak each provider's real wire format.
 */
describe('Chat Completions through /v1/chat/completions', () => {
  const g = useProviderGateway({
    fakes: ['anthropic', 'gemini', 'bedrock'],
    providers: ({ anthropic, gemini, bedrock }) => ({
      anthropic: { base_url: anthropic.url, keys: [{ value: 'sk-ant-test' }], ...FAST },
      gemini: { base_url: gemini.url, keys: [{ value: 'gemini-test-key' }], ...FAST },
      bedrock: {
        base_url: bedrock.url,
        keys: [{ access_key_id: FAKE_AWS_CREDENTIALS.accessKeyId, secret_access_key: FAKE_AWS_CREDENTIALS.secretAccessKey, region: 'us-west-2' }],
        ...FAST,
      },
    }),
    keyName: 'chat',
    admin: true,
  });

  const PROVIDERS = [
    { provider: 'openai', model: 'openai/gpt-4o-mini', answeredBy: 'gpt-4o-mini' },
    { provider: 'anthropic', model: 'anthropic/claude-sonnet-4-5', answeredBy: 'claude-sonnet-4-5' },
    { provider: 'gemini', model: 'gemini/gemini-2.5-flash', answeredBy: 'gemini-2.5-flash' },
    { provider: 'bedrock', model: 'bedrock/anthropic.claude-3-5-haiku-20241022-v1:0', answeredBy: 'anthropic.claude-3-5-haiku-20241022-v1:0' },
  ];

  const weather: ChatCompletionTool = {
    type: 'function',
    function: { name: 'weather', description: 'Weather', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } },
  };

  describe.each(PROVIDERS)('$provider', ({ provider, model, answeredBy }) => {
    it('chat.completions.create: a chat.completion with usage, cost, x-bf headers and a chat_completions log row', async () => {
      const input = 'Hi there [[usage:40,3]]';
      const { data, response } = await g.client.chat.completions
        .create({ model, messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: input }], max_completion_tokens: 300 })
        .withResponse();
      expect(response.headers.get('x-bf-provider')).toBe(provider);
      expect(response.headers.get('x-bf-fallback-index')).toBe('0');
      expect(data.object).toBe('chat.completion');
      expect(data.id).toMatch(/^chatcmpl-/);
      expect(data.choices).toHaveLength(1);
      expect(data.choices[0]).toMatchObject({ index: 0, finish_reason: 'stop', message: { role: 'assistant', content: hello(answeredBy, input) } });
      expect(data.usage).toMatchObject({ prompt_tokens: 40, completion_tokens: 3, total_tokens: 43 });
      const extra = (data as unknown as { extra_fields: Record<string, unknown> }).extra_fields;
      expect(extra).toMatchObject({ request_type: 'chat_completions', provider, model_requested: model, fallback_index: 0 });
      const rows = await g.h.logRows(response.headers.get('x-request-id')!);
      expect(rows.map((r) => [r.request_type, r.provider, r.status, r.input_tokens, r.output_tokens])).toEqual([['chat_completions', provider, 'success', 40, 3]]);
    });

    it('stream with include_usage: role chunk, content deltas, finish_reason, a usage chunk, [DONE]', async () => {
      const input = 'Stream it [[chunks:4]] [[usage:9,4]]';
      const stream = await g.client.chat.completions.create({ model, messages: [{ role: 'user', content: input }], stream: true, stream_options: { include_usage: true } });
      const chunks: ChatCompletionChunk[] = [];
      for await (const chunk of stream) chunks.push(chunk);
      expect(chunks[0].choices[0].delta.role).toBe('assistant');
      expect(chunks.map((c) => c.choices[0]?.delta.content ?? '').join('')).toBe(hello(answeredBy, input));
      expect(chunks.filter((c) => c.choices[0]?.delta.content)).toHaveLength(4);
      expect(chunks.at(-2)?.choices[0].finish_reason).toBe('stop');
      const last = chunks.at(-1)!;
      expect(last.choices).toEqual([]);
      expect(last.usage).toMatchObject({ prompt_tokens: 9, completion_tokens: 4, total_tokens: 13 });
    });

    it('the chat.completions.stream() helper assembles the final completion', async () => {
      const input = 'Helper [[chunks:3]]';
      const runner = g.client.chat.completions.stream({ model, messages: [{ role: 'user', content: input }] });
      const deltas: string[] = [];
      runner.on('content', (delta) => deltas.push(delta));
      const final = await runner.finalChatCompletion();
      expect(final.choices[0].message.content).toBe(hello(answeredBy, input));
      expect(deltas.join('')).toBe(hello(answeredBy, input));
    });

    it('a tool loop with the official SDK: tool_calls, then the tool message answered', async () => {
      const messages: ChatCompletionMessageParam[] = [{ role: 'user', content: 'weather in Paris?' }];
      const first = await g.client.chat.completions.create({ model, messages, tools: [weather] });
      expect(first.choices[0].finish_reason).toBe('tool_calls');
      const call = first.choices[0].message.tool_calls?.[0];
      if (call?.type !== 'function') throw new Error('no function call');
      expect(call.function).toEqual({ name: 'weather', arguments: '{"city":"test"}' });
      messages.push(first.choices[0].message, { role: 'tool', tool_call_id: call.id, content: 'sunny' });
      const second = await g.client.chat.completions.create({ model, messages, tools: [weather] });
      expect(second.choices[0].message.content).toBe('Tool said: sunny');

      // The same call streamed: tool call deltas assemble through the SDK's helper.
      const streamed = await g.client.chat.completions.stream({ model, messages: messages.slice(0, 1), tools: [weather] }).finalChatCompletion();
      expect(streamed.choices[0].finish_reason).toBe('tool_calls');
      expect(streamed.choices[0].message.tool_calls?.[0]).toMatchObject({ type: 'function', function: { name: 'weather', arguments: '{"city":"test"}' } });
    });

    it('the AI SDK chat provider: generateText with a tool loop, and streamText', async () => {
      const chat = (g.aiSdk as ReturnType<typeof createOpenAI>).chat(model);
      const result = await generateText({ model: chat, prompt: 'weather in Paris?', tools: { weather: weatherTool }, stopWhen: stepCountIs(3) });
      expect(result.steps[0].toolCalls[0]).toMatchObject({ toolName: 'weather', input: { city: 'test' } });
      expect(result.text).toBe('Tool said: sunny in test');

      const streamed = streamText({ model: chat, prompt: 'Stream it [[chunks:3]] [[usage:7,3]]' });
      expect(await streamed.text).toBe(hello(answeredBy, 'Stream it [[chunks:3]] [[usage:7,3]]'));
      expect(await streamed.finishReason).toBe('stop');
    });
  });

  it('falls back on a retryable failure and logs both attempts as chat_completions', async () => {
    const input = 'fallback [[fail-model:claude-sonnet-4-5:529]]';
    const { data, response } = await g.client.chat.completions
      .create({ model: 'anthropic/claude-sonnet-4-5', messages: [{ role: 'user', content: input }], fallbacks: ['gemini/gemini-2.5-flash'] } as OpenAI.ChatCompletionCreateParamsNonStreaming)
      .withResponse();
    expect(response.headers.get('x-bf-provider')).toBe('gemini');
    expect(response.headers.get('x-bf-fallback-index')).toBe('1');
    expect(data.choices[0].message.content).toBe(hello('gemini-2.5-flash', input.slice(0, 40)));
    const rows = await g.h.logRows(response.headers.get('x-request-id')!);
    expect(rows.map((r) => [r.request_type, r.provider, r.status])).toEqual([['chat_completions', 'anthropic', 'error'], ['chat_completions', 'gemini', 'success']]);
  });

  it('refuses what it cannot honour with a 400 naming the parameter, in OpenAI shape', async () => {
    const err = await g.client.chat.completions.create({ model: 'openai/gpt-4o-mini', messages: [{ role: 'user', content: 'x' }], n: 2 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect((err as InstanceType<typeof OpenAI.BadRequestError>).param).toBe('n');
    const stop = await g.client.chat.completions.create({ model: 'openai/gpt-4o-mini', messages: [{ role: 'user', content: 'x' }], stop: ['\n'] }).catch((e: unknown) => e);
    expect((stop as InstanceType<typeof OpenAI.BadRequestError>).param).toBe('stop');
  });

  describe('governance in this format', () => {
    it('an allowlist refusal: 403 model_not_allowed in OpenAI shape, x-should-retry false, nothing sent upstream', async () => {
      const { key } = await g.h.createKey({ name: 'chat-allow', allowed_models: ['openai/gpt-4o-mini'] });
      const client = new OpenAI({ apiKey: key, baseURL: `${g.h.url}/v1`, maxRetries: 2 });
      const err = await client.chat.completions.create({ model: 'anthropic/claude-sonnet-4-5', messages: [{ role: 'user', content: 'x' }] }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(OpenAI.PermissionDeniedError);
      const e = err as InstanceType<typeof OpenAI.PermissionDeniedError>;
      expect(e.code).toBe('model_not_allowed');
      expect(e.headers?.get('x-should-retry')).toBe('false');
      expect(g.fakes.anthropic.stats.requests).toBe(0);
    });

    it('a budget refusal: 402 budget_exceeded in OpenAI shape', async () => {
      const { key } = await g.h.createKey({ name: 'chat-budget', budget_max_usd: 0.0000001, budget_period: '1d' });
      const client = new OpenAI({ apiKey: key, baseURL: `${g.h.url}/v1`, maxRetries: 0 });
      const err = await client.chat.completions.create({ model: 'openai/gpt-4o-mini', messages: [{ role: 'user', content: 'x' }] }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(OpenAI.APIError);
      expect((err as InstanceType<typeof OpenAI.APIError>).status).toBe(402);
      expect((err as InstanceType<typeof OpenAI.APIError>).code).toBe('budget_exceeded');
    });
  });

  it('GET /api/logs?request_type=chat_completions finds this format\'s rows and not the Responses ones', async () => {
    const chat = await g.client.chat.completions.create({ model: 'openai/gpt-4o-mini', messages: [{ role: 'user', content: 'tagged' }] }).withResponse();
    const responses = await g.client.responses.create({ model: 'openai/gpt-4o-mini', input: 'tagged' }).withResponse();
    const chatId = chat.response.headers.get('x-request-id');
    const responsesId = responses.response.headers.get('x-request-id');
    await g.h.logRows(chatId!);
    const list = async (type: string) => {
      const res = await fetch(`${g.h.adminUrl}/api/logs?request_type=${type}&limit=500`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
      expect(res.status).toBe(200);
      return ((await res.json()) as { data: { request_id: string; request_type: string }[] }).data;
    };
    const chatRows = await list('chat_completions');
    expect(chatRows.some((r) => r.request_id === chatId)).toBe(true);
    expect(chatRows.every((r) => r.request_type === 'chat_completions')).toBe(true);
    expect(chatRows.some((r) => r.request_id === responsesId)).toBe(false);
    expect((await list('responses')).some((r) => r.request_id === responsesId)).toBe(true);
  });
});
