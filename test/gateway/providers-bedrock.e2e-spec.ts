import { createOpenAI } from '@ai-sdk/openai';
import { generateText, jsonSchema, stepCountIs, streamText, tool } from 'ai';
import OpenAI from 'openai';
import { adapterFor, HttpExecutor, type ResponsesStreamEvent } from '@app/providers';
import type { ProviderConfig, UpstreamKey } from '@app/common';
import { FAKE_AWS_CREDENTIALS } from '../../apps/fake-upstream/src/bedrock-format';
import { createFakeUpstream, type FakeUpstream } from '../../apps/fake-upstream/src/fake-upstream';
import { startGatewayHarness, type GatewayHarness } from '../support/gateway-harness';

/**
 * Bedrock Converse / ConverseStream through /v1/responses, against a fake Bedrock that checks
 * the SigV4 signature (its own verifier) and streams the AWS binary event-stream.
 */
describe('Bedrock through /v1/responses', () => {
  let h: GatewayHarness;
  let bedrock: FakeUpstream;
  let client: OpenAI;
  let provider: ReturnType<typeof createOpenAI>;
  const MODEL_ID = 'anthropic.claude-3-5-haiku-20241022-v1:0';
  const MODEL = `bedrock/${MODEL_ID}`;

  beforeAll(async () => {
    bedrock = await createFakeUpstream();
    const fast = { max_retries: 2, retry_backoff_ms: 1, retry_backoff_max_ms: 20, timeout_ms: 5_000, stream_idle_timeout_ms: 2_000 };
    h = await startGatewayHarness(() => ({
      bedrock: {
        base_url: bedrock.url,
        keys: [{ access_key_id: FAKE_AWS_CREDENTIALS.accessKeyId, secret_access_key: FAKE_AWS_CREDENTIALS.secretAccessKey, session_token: 'session-token', region: 'us-west-2' }],
        ...fast,
      },
      'bedrock-bad': { kind: 'bedrock', base_url: bedrock.url, keys: [{ access_key_id: FAKE_AWS_CREDENTIALS.accessKeyId, secret_access_key: 'wrong-secret' }], ...fast },
    }));
    const { key } = await h.createKey({ name: 'bedrock' });
    client = new OpenAI({ apiKey: key, baseURL: `${h.url}/v1`, maxRetries: 0 });
    provider = createOpenAI({ apiKey: key, baseURL: `${h.url}/v1` });
  });
  afterAll(async () => {
    await h?.close();
    await bedrock?.close();
  });
  beforeEach(() => bedrock.reset());

  const lastSent = () => bedrock.requests.at(-1)!;

  const weather = tool({
    description: 'Weather in a city',
    inputSchema: jsonSchema<{ city: string }>({ type: 'object', properties: { city: { type: 'string' } }, required: ['city'], additionalProperties: false }),
    execute: async ({ city }) => `sunny in ${city}`,
  });

  it('responses.create: a SigV4-signed Converse call the fake verifies, usage with cache reads', async () => {
    const { data, response } = await client.responses
      .create({ model: MODEL, instructions: 'Be brief.', input: 'Hi there [[usage:40,3]] [[cached:30]]', max_output_tokens: 300 })
      .withResponse();
    expect(response.headers.get('x-bf-provider')).toBe('bedrock');
    expect(data.status).toBe('completed');
    expect(data.output_text).toBe(`Hello from ${MODEL_ID}! You said: Hi there [[usage:40,3]] [[cached:30]]`);
    // Converse names no model: the Response reports the one called, and echoes the request.
    expect(data).toMatchObject({ model: MODEL_ID, instructions: 'Be brief.', max_output_tokens: 300 });
    expect(data.usage).toMatchObject({ input_tokens: 40, input_tokens_details: { cached_tokens: 30 }, output_tokens: 3, total_tokens: 43 });
    const sent = lastSent();
    expect(sent.path).toBe('/model/anthropic.claude-3-5-haiku-20241022-v1%3A0/converse');
    expect(sent.headers.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDFAKEUPSTREAM\/\d{8}\/us-west-2\/bedrock\/aws4_request, SignedHeaders=[a-z;-]*x-amz-security-token, Signature=[0-9a-f]{64}$/);
    expect(sent.headers['x-amz-security-token']).toBe('session-token');
    expect(sent.body).toEqual({
      messages: [{ role: 'user', content: [{ text: 'Hi there [[usage:40,3]] [[cached:30]]' }] }],
      system: [{ text: 'Be brief.' }],
      inferenceConfig: { maxTokens: 300 },
    });
    const rows = await h.logRows(response.headers.get('x-request-id')!);
    expect(rows.map((r) => [r.provider, r.status, r.input_tokens, r.cached_tokens, r.output_tokens])).toEqual([['bedrock', 'success', 40, 30, 3]]);
  });

  it('a wrong secret is refused by the signature check: 403, not retried', async () => {
    const err = await client.responses.create({ model: `bedrock-bad/${MODEL_ID}`, input: 'hi' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.APIError);
    expect((err as Error).message).toContain('The request signature we calculated does not match');
    expect(bedrock.stats.requests).toBe(1);
  });

  it('a function tool round trip: toolUse / toolResult on the wire', async () => {
    const tools = [{ type: 'function' as const, name: 'weather', description: 'Weather', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] }, strict: false }];
    const first = await client.responses.create({ model: MODEL, input: 'weather in Paris?', tools });
    const call = first.output.find((o) => o.type === 'function_call');
    if (call?.type !== 'function_call') throw new Error('no call');
    expect(call).toMatchObject({ name: 'weather', arguments: '{"city":"test"}', status: 'completed' });
    expect(call.call_id).toMatch(/^tooluse_/);
    const second = await client.responses.create({
      model: MODEL,
      input: [{ role: 'user', content: 'weather in Paris?' }, call, { type: 'function_call_output', call_id: call.call_id, output: 'sunny' }],
      tools,
    });
    expect(second.output_text).toBe('Tool said: sunny');
    expect((lastSent().body as { messages: unknown[] }).messages).toEqual([
      { role: 'user', content: [{ text: 'weather in Paris?' }] },
      { role: 'assistant', content: [{ toolUse: { toolUseId: call.call_id, name: 'weather', input: { city: 'test' } } }] },
      { role: 'user', content: [{ toolResult: { toolUseId: call.call_id, content: [{ text: 'sunny' }] } }] },
    ]);
  });

  it('structured output through the forced json_response tool; max_tokens as incomplete', async () => {
    const schema = { type: 'object', properties: { city: { type: 'string' } }, required: ['city'], additionalProperties: false };
    const res = await client.responses.create({ model: MODEL, input: 'json', text: { format: { type: 'json_schema', name: 'f', schema, strict: true } } });
    expect(JSON.parse(res.output_text)).toEqual({ city: 'test' });
    const cut = await client.responses.create({ model: MODEL, input: 'long [[incomplete]]' });
    expect(cut).toMatchObject({ status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' } });
  });

  it('Bedrock errors: throttling is retried then 502 naming it; a hosted tool is a 400 naming bedrock', async () => {
    const limited = await client.responses.create({ model: MODEL, input: 'x [[fail:429]] [[retry-after:0]]' }).catch((e: unknown) => e);
    expect((limited as InstanceType<typeof OpenAI.APIError>).status).toBe(502);
    expect((limited as Error).message).toContain('429: Rate limit reached');
    expect(bedrock.stats.requests).toBe(3);
    const hosted = await client.responses.create({ model: MODEL, input: 'x', tools: [{ type: 'web_search_preview' }] }).catch((e: unknown) => e);
    expect(hosted).toBeInstanceOf(OpenAI.BadRequestError);
    expect((hosted as Error).message).toContain('bedrock does not support the web_search_preview tool');
  });

  it('ConverseStream bytes from a real socket decode into the Responses sequence (adapter + executor, no gateway)', async () => {
    const adapter = adapterFor('bedrock');
    const cfg: ProviderConfig = {
      name: 'bedrock', kind: 'bedrock', baseUrl: bedrock.url, keys: [], timeoutMs: 5_000, streamIdleTimeoutMs: 2_000, maxRetries: 0,
      retryBackoffMs: 0, retryBackoffMaxMs: 0, models: [], aliases: {}, headers: {}, deployments: {},
    };
    const key: UpstreamKey = { id: 'k', value: '', weight: 1, models: [], aws: { ...FAKE_AWS_CREDENTIALS, region: 'us-east-1' } };
    const executor = new HttpExecutor();
    try {
      const req = adapter.buildRequest({ body: { model: MODEL, input: 'stream [[chunks:5]] [[usage:8,5]] [[chunk-delay:2]]' }, upstreamModel: MODEL_ID, stream: true, provider: cfg, key });
      const res = await executor.send(req, { signal: new AbortController().signal, headersTimeoutMs: 5_000, bodyTimeoutMs: 5_000 });
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toBe('application/vnd.amazon.eventstream');
      const decoder = adapter.createStreamDecoder!();
      const t = adapter.createStreamTranslator({ upstreamModel: MODEL_ID });
      const events: ResponsesStreamEvent[] = [];
      for await (const chunk of res.body) for (const ev of decoder.push(chunk as Buffer)) events.push(...t.push(ev));
      expect(decoder.end()).toEqual({ incomplete: false });
      expect(events.filter((e) => e.type === 'response.output_text.delta')).toHaveLength(5);
      expect(events.at(-1)!.type).toBe('response.completed');
      expect(t.usage).toMatchObject({ inputTokens: 8, outputTokens: 5 });
    } finally {
      await executor.close();
    }
  });

  it('responses.stream().finalResponse() over ConverseStream (binary event-stream decoded by the adapter)', async () => {
    const final = await client.responses.stream({ model: MODEL, input: 'Stream it [[chunks:4]] [[usage:9,4]]' }).finalResponse();
    expect(final.status).toBe('completed');
    expect(final.output_text).toBe(`Hello from ${MODEL_ID}! You said: Stream it [[chunks:4]] [[usage:9,4]]`);
    expect(final.usage).toMatchObject({ input_tokens: 9, output_tokens: 4 });
    expect(lastSent().path).toBe('/model/anthropic.claude-3-5-haiku-20241022-v1%3A0/converse-stream');
    expect(final.model).toBe(MODEL_ID);
  });

  it('AI SDK: generateText, and streamText with a two-step tool loop over ConverseStream', async () => {
    const text = await generateText({ model: provider.responses(MODEL), prompt: 'Hi [[usage:7,3]]', maxRetries: 0 });
    expect(text.usage).toMatchObject({ inputTokens: 7, outputTokens: 3 });
    const streamed = streamText({ model: provider.responses(MODEL), prompt: 'What is the weather in Paris?', tools: { weather }, stopWhen: stepCountIs(3), maxRetries: 0 });
    const errors: unknown[] = [];
    for await (const part of streamed.fullStream) if (part.type === 'error') errors.push(part.error);
    expect(errors).toEqual([]);
    expect(await streamed.steps).toHaveLength(2);
    expect(await streamed.text).toBe('Tool said: sunny in test');
  });

  it('an exception frame after content reaches the client as response.failed with its message', async () => {
    const stream = await client.responses.create({ model: MODEL, input: 'hi [[stream-error]]', stream: true });
    const events: { type: string; response?: { error?: unknown } }[] = [];
    try {
      for await (const e of stream) events.push(e as never);
    } catch {
      // the SDK may throw on response.failed
    }
    expect(events.find((e) => e.type === 'response.failed')?.response?.error).toEqual({ code: 'modelStreamErrorException', message: 'The model stream failed (fake upstream).' });
  });
});
