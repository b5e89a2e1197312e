import OpenAI from 'openai';
import { createFakeUpstream, type FakeUpstream } from '../../apps/fake-upstream/src/fake-upstream';
import type { FakeDialect } from '../../apps/fake-upstream/src/dialect-rules';
import { startGatewayHarness, type GatewayHarness } from '../support/gateway-harness';
import { FAST, weatherFunction } from '../support/provider-scenarios';

/**
 * Each OpenAI-compatible provider the gateway names, against a fake that speaks its dialect as
 * strictly as the real API (refusing what it refuses, Mistral's 422 extra_forbidden included),
 * through the official SDK: streamed and not, with every field a client commonly sets.
 */
const CHAT: FakeDialect[] = ['mistral', 'deepseek', 'together', 'fireworks', 'cerebras', 'perplexity'];
const RESPONSES: FakeDialect[] = ['groq', 'xai', 'openrouter', 'ollama', 'vllm'];

describe('provider dialects through the gateway', () => {
  const fakes = new Map<FakeDialect, FakeUpstream>();
  let h: GatewayHarness;
  let client: OpenAI;

  beforeAll(async () => {
    for (const d of [...CHAT, ...RESPONSES]) fakes.set(d, await createFakeUpstream({ dialect: d }));
    h = await startGatewayHarness(() => Object.fromEntries([...fakes].map(([d, fake]) => [d, { base_url: `${fake.url}/v1`, keys: [{ value: `${d}-key` }], ...FAST }])));
    client = new OpenAI({ apiKey: (await h.createKey({ name: 'dialects' })).key, baseURL: `${h.url}/v1`, maxRetries: 0 });
  });
  afterAll(async () => {
    await h?.close();
    for (const fake of fakes.values()) await fake.close();
  });

  // What Codex and the SDKs commonly send besides the input.
  const body = (d: FakeDialect) => ({
    model: `${d}/m1`,
    input: 'Hi there [[usage:12,4]]',
    instructions: 'Be brief.',
    temperature: 0.2,
    top_p: 0.9,
    max_output_tokens: 100,
    user: 'u-1',
    reasoning: { effort: 'low' as const },
    store: false,
    prompt_cache_key: 'conv-1',
    safety_identifier: 'user-1',
    include: ['reasoning.encrypted_content' as const],
    frequency_penalty: 0.1,
    tools: [{ ...weatherFunction, name: 'weather' }],
    tool_choice: 'none' as const,
  });

  it.each([...CHAT, ...RESPONSES])('%s: streamed and not, usage as the provider reports it', async (d) => {
    const fake = fakes.get(d)!;
    const final = await client.responses.stream(body(d) as never).finalResponse();
    expect(final.status).toBe('completed');
    expect(final.output_text).toContain('Hello from m1');
    expect(final.usage).toMatchObject({ input_tokens: 12, output_tokens: 4 });
    const res = await client.responses.create(body(d) as never);
    expect(res.output_text).toContain('Hello from m1');
    expect(res.usage).toMatchObject({ input_tokens: 12, output_tokens: 4 });
    // Every call reached the fake and none was refused.
    expect(fake.stats.requests).toBeGreaterThanOrEqual(2);
  });

  it('mistral: the fake refuses unknown fields with 422 extra_forbidden, as Mistral does, and the gateway names the field', async () => {
    const fake = fakes.get('mistral')!;
    const direct = await fetch(`${fake.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: 'Bearer k', 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'hi' }], stream: true, stream_options: { include_usage: true } }),
    });
    expect(direct.status).toBe(422);
    expect(await direct.json()).toMatchObject({ object: 'error', message: { detail: [{ type: 'extra_forbidden', loc: ['body', 'stream_options'] }] } });

    const refusal = { object: 'error', message: { detail: [{ type: 'extra_forbidden', loc: ['body', 'max_completion_tokens'], msg: 'Extra inputs are not permitted', input: 1 }] }, type: 'invalid_request_error', param: null, code: null };
    fake.failNext(1, 422, { body: refusal });
    const err = await client.responses.create({ model: 'mistral/m1', input: 'hi' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.APIError);
    expect((err as Error).message).toContain('body.max_completion_tokens: Extra inputs are not permitted (extra_forbidden)');
  });

  it('deepseek: a json_schema format becomes json_object, which DeepSeek takes', async () => {
    const format = { type: 'json_schema' as const, name: 'place', schema: { type: 'object', properties: { city: { type: 'string' } } }, strict: true };
    const res = await client.responses.create({ model: 'deepseek/deepseek-chat', input: 'where?', text: { format } });
    expect(res.status).toBe('completed');
    expect((fakes.get('deepseek')!.requests.at(-1)!.body as { response_format: unknown }).response_format).toEqual({ type: 'json_object' });
  });

  it('groq: a 429 without retry-after waits for the rate-limit reset it names, within the retry budget', async () => {
    const fake = fakes.get('groq')!;
    fake.failNext(1, 429, { headers: { 'retry-after': '', 'x-ratelimit-reset-requests': '10ms', 'x-ratelimit-reset-tokens': '5ms' } });
    const res = await client.responses.create({ model: 'groq/llama-3.3-70b-versatile', input: 'hi' });
    expect(res.status).toBe('completed');
  });
});
