import { createOpenAI } from '@ai-sdk/openai';
import { generateText, jsonSchema, stepCountIs, streamText, tool } from 'ai';
import OpenAI from 'openai';
import type { Response as OpenAIResponse, ResponseFunctionToolCall } from 'openai/resources/responses/responses';
import { createFakeUpstream, type FakeUpstream } from '../../apps/fake-upstream/src/fake-upstream';
import type { FakeDialect } from '../../apps/fake-upstream/src/dialect-rules';
import { FAKE_AWS_CREDENTIALS } from '../../apps/fake-upstream/src/bedrock-format';
import { startGatewayHarness, type GatewayHarness } from './gateway-harness';

/**
 * The scenarios every provider spec runs against the gateway (test/gateway/providers-*): the
 * official OpenAI SDK and the AI SDK in front of a fake upstream of the provider's own wire
 * format. Each asserts what holds for every provider and returns what the spec needs for its
 * provider-specific assertions (the wire format sent, log rows...).
 */

/** Quick retries and short timeouts, so that failure and fallback tests stay fast. */
export const FAST = { max_retries: 2, retry_backoff_ms: 1, retry_backoff_max_ms: 20, timeout_ms: 5_000, stream_idle_timeout_ms: 2_000 };

/** Anthropic, Gemini and Bedrock (signed with the fake's credentials) on one fake upstream, beside the harness's OpenAI. */
export function translatedProviders({ upstream }: { upstream: string }): Record<string, unknown> {
  return {
    anthropic: { base_url: upstream, keys: [{ value: 'sk-ant-test' }], ...FAST },
    gemini: { base_url: upstream, keys: [{ value: 'gemini-test-key' }], ...FAST },
    bedrock: {
      base_url: upstream,
      keys: [{ access_key_id: FAKE_AWS_CREDENTIALS.accessKeyId, secret_access_key: FAKE_AWS_CREDENTIALS.secretAccessKey, region: 'us-west-2' }],
      ...FAST,
    },
  };
}

export interface ProviderGateway<N extends string> {
  h: GatewayHarness;
  /** The fake upstreams by name, reset (with the harness's backup) before each test. */
  fakes: Record<N, FakeUpstream>;
  client: OpenAI;
  aiSdk: ReturnType<typeof createOpenAI>;
}

/**
 * Registers the spec's beforeAll/afterAll/beforeEach: fake upstreams named `fakes`, the gateway
 * with `providers` (given the fakes and the harness's origins), one virtual key, and the two
 * clients. The returned object is filled in by beforeAll.
 */
export function useProviderGateway<N extends string>(setup: {
  fakes: readonly N[];
  /** The provider dialect a fake impersonates (default OpenAI's). */
  dialects?: Partial<Record<N, FakeDialect>>;
  providers: (fakes: Record<N, FakeUpstream>, origins: { upstream: string; backup: string }) => Record<string, unknown>;
  keyName: string;
  /** Start the admin app too (its URL in `h.adminUrl`). */
  admin?: boolean;
}): ProviderGateway<N> {
  const g = { fakes: {} } as ProviderGateway<N>;
  beforeAll(async () => {
    for (const name of setup.fakes) g.fakes[name] = await createFakeUpstream({ dialect: setup.dialects?.[name] });
    g.h = await startGatewayHarness({ providers: (origins) => setup.providers(g.fakes, origins), admin: setup.admin });
    const { key } = await g.h.createKey({ name: setup.keyName });
    g.client = new OpenAI({ apiKey: key, baseURL: `${g.h.url}/v1`, maxRetries: 0 });
    g.aiSdk = createOpenAI({ apiKey: key, baseURL: `${g.h.url}/v1` });
  });
  afterAll(async () => {
    await g.h?.close();
    for (const name of setup.fakes) await g.fakes[name]?.close();
  });
  beforeEach(() => {
    for (const name of setup.fakes) g.fakes[name].reset();
    g.h.backup.reset();
  });
  return g;
}

/** The AI SDK tool of the tool-loop scenario; the fakes call it with `{ city: 'test' }`. */
export const weatherTool = tool({
  description: 'Weather in a city',
  inputSchema: jsonSchema<{ city: string }>({ type: 'object', properties: { city: { type: 'string' } }, required: ['city'], additionalProperties: false }),
  execute: async ({ city }) => `sunny in ${city}`,
});

/** The function tool of the official-SDK round trip. */
export const weatherFunction = {
  type: 'function' as const,
  name: 'weather',
  description: 'Weather',
  parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } as Record<string, unknown>,
  strict: false,
};

/** The fakes' echo: `Hello from <model>! You said: <input>`. */
export const hello = (model: string, input: string): string => `Hello from ${model}! You said: ${input}`;

/**
 * responses.create with instructions, answered by `provider` with the fake's echo. Returns the
 * Response, the HTTP response and the request's log rows.
 */
export async function createHello(
  g: ProviderGateway<string>,
  call: { model: string; input: string; provider: string; answeredBy: string; body?: Record<string, unknown> },
): Promise<{ data: OpenAIResponse; response: globalThis.Response; rows: Record<string, unknown>[] }> {
  const { data, response } = await g.client.responses
    .create({ model: call.model, instructions: 'Be brief.', input: call.input, ...call.body })
    .withResponse();
  expect(response.headers.get('x-bf-provider')).toBe(call.provider);
  expect(data.status).toBe('completed');
  expect(data.output_text).toBe(hello(call.answeredBy, call.input));
  const rows = await g.h.logRows(response.headers.get('x-request-id')!);
  return { data, response, rows };
}

/**
 * responses.stream().finalResponse() of an answer in `chunks` deltas, with the event order the
 * official SDK insists on: response.created first, response.completed last.
 */
export async function streamHello(g: ProviderGateway<string>, model: string, answeredBy: string, chunks: number): Promise<OpenAIResponse> {
  const input = `Stream it [[chunks:${chunks}]] [[usage:9,${chunks}]]`;
  const stream = g.client.responses.stream({ model, input });
  const types: string[] = [];
  stream.on('event', (e) => types.push(e.type));
  const final = await stream.finalResponse();
  expect(final.status).toBe('completed');
  expect(final.output_text).toBe(hello(answeredBy, input));
  expect(final.usage).toMatchObject({ input_tokens: 9, output_tokens: chunks });
  expect(types.filter((t) => t === 'response.output_text.delta')).toHaveLength(chunks);
  expect(types[0]).toBe('response.created');
  expect(types.at(-1)).toBe('response.completed');
  return final;
}

/**
 * The first half of a function tool round trip with the official SDK: the model calls
 * `weather` with `{"city":"test"}`. `answer(output)` sends the call and its output back and
 * expects the fake's `Tool said: <output>`.
 */
export async function callWeather(
  g: ProviderGateway<string>,
  model: string,
  opts: { tools?: (typeof weatherFunction)[]; stream?: boolean; body?: Record<string, unknown> } = {},
): Promise<{ first: OpenAIResponse; call: ResponseFunctionToolCall; answer(output: string): Promise<OpenAIResponse> }> {
  const tools = opts.tools ?? [weatherFunction];
  const request = { model, input: 'weather in Paris?', tools, ...opts.body };
  const first = opts.stream ? await g.client.responses.stream(request).finalResponse() : await g.client.responses.create(request);
  const call = first.output.find((o) => o.type === 'function_call');
  if (call?.type !== 'function_call') throw new Error('no call');
  expect(call).toMatchObject({ name: 'weather', arguments: '{"city":"test"}', status: 'completed' });
  const answer = async (output: string): Promise<OpenAIResponse> => {
    const second = await g.client.responses.create({
      model,
      input: [{ role: 'user', content: 'weather in Paris?' }, call, { type: 'function_call_output', call_id: call.call_id, output }],
      tools,
    });
    expect(second.output_text).toBe(`Tool said: ${output}`);
    return second;
  };
  return { first, call, answer };
}

/** AI SDK: generateText, then streamText with a two-step tool loop (call weather, then answer). */
export async function aiSdkToolLoop(g: ProviderGateway<string>, model: string, answeredBy: string): Promise<void> {
  const text = await generateText({ model: g.aiSdk.responses(model), prompt: 'Hi [[usage:7,3]]', maxRetries: 0 });
  expect(text.text).toContain(`Hello from ${answeredBy}`);
  expect(text.usage).toMatchObject({ inputTokens: 7, outputTokens: 3 });

  const streamed = streamText({
    model: g.aiSdk.responses(model),
    prompt: 'What is the weather in Paris?',
    tools: { weather: weatherTool },
    stopWhen: stepCountIs(3),
    maxRetries: 0,
  });
  const errors: unknown[] = [];
  for await (const part of streamed.fullStream) if (part.type === 'error') errors.push(part.error);
  expect(errors).toEqual([]);
  const steps = await streamed.steps;
  expect(steps).toHaveLength(2);
  expect(steps[0].toolCalls[0]).toMatchObject({ toolName: 'weather', input: { city: 'test' } });
  expect(steps[0].finishReason).toBe('tool-calls');
  expect(await streamed.text).toBe('Tool said: sunny in test');
  expect(await streamed.finishReason).toBe('stop');
}

/** A length-limited answer (`[[incomplete]]`) is an incomplete response, streaming and not. */
export async function expectIncomplete(g: ProviderGateway<string>, model: string): Promise<void> {
  const res = await g.client.responses.create({ model, input: 'long [[incomplete]]' });
  expect(res.status).toBe('incomplete');
  expect(res.incomplete_details).toEqual({ reason: 'max_output_tokens' });
  const final = await g.client.responses.stream({ model, input: 'long [[incomplete]]' }).finalResponse();
  expect(final.status).toBe('incomplete');
}

/** A request the gateway refuses with a 400 naming the provider and the feature. */
export async function expectRefused(g: ProviderGateway<string>, model: string, body: Record<string, unknown>, refusal: { message: string; param: string }): Promise<void> {
  const err = await g.client.responses.create({ model, input: 'x', ...body } as never).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(OpenAI.BadRequestError);
  expect((err as Error).message).toContain(refusal.message);
  expect(((err as InstanceType<typeof OpenAI.BadRequestError>).error as { param: string }).param).toBe(refusal.param);
}

/** The `response.failed` error of a stream the upstream breaks after content (`[[stream-error]]`). */
export async function midStreamError(g: ProviderGateway<string>, model: string): Promise<{ code?: string; message?: string } | undefined> {
  const stream = await g.client.responses.create({ model, input: 'hi [[stream-error]]', stream: true });
  const events: { type: string; response?: { error?: { code?: string; message?: string } } }[] = [];
  try {
    for await (const e of stream) events.push(e as never);
  } catch {
    // the SDK may throw on response.failed
  }
  expect(events[0].type).toBe('response.created');
  return events.find((e) => e.type === 'response.failed')?.response?.error;
}

export interface FallbackCase {
  model: string;
  fallback: string;
  /** The fake behind `model`: it answers `status` to all three attempts (max_retries 2). */
  failing: FakeUpstream;
  status: number;
  /** The provider and model name answering instead. */
  provider: string;
  answeredBy: string;
}

/** `model` keeps failing, `fallback` answers (not streaming). Returns the HTTP response and log rows. */
export async function expectFallback(g: ProviderGateway<string>, c: FallbackCase): Promise<{ response: globalThis.Response; rows: Record<string, unknown>[] }> {
  c.failing.failNext(3, c.status);
  const before = c.failing.stats.requests;
  const { data, response } = await g.client.responses.create({ model: c.model, input: 'fallback please', fallbacks: [c.fallback] } as never).withResponse();
  expect(response.headers.get('x-bf-provider')).toBe(c.provider);
  expect(response.headers.get('x-bf-fallback-index')).toBe('1');
  expect(data.output_text).toContain(`Hello from ${c.answeredBy}`);
  expect(c.failing.stats.requests - before).toBe(3);
  return { response, rows: await g.h.logRows(response.headers.get('x-request-id')!) };
}

/** The same while streaming: the fallback happens before anything reached the client. */
export async function expectStreamedFallback(g: ProviderGateway<string>, c: FallbackCase): Promise<void> {
  c.failing.failNext(3, c.status);
  const before = c.failing.stats.requests;
  const final = await g.client.responses.stream({ model: c.model, input: 'fallback please', fallbacks: [c.fallback] } as never).finalResponse();
  expect(final.output_text).toContain(`Hello from ${c.answeredBy}`);
  expect(c.failing.stats.requests - before).toBe(3);
}
