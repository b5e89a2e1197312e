import OpenAI from 'openai';
import { adapterFor, Cancellation, HttpExecutor, type ResponsesStreamEvent } from '@app/providers';
import type { ProviderConfig, UpstreamKey } from '@app/common';
import { FAKE_AWS_CREDENTIALS } from '../../apps/fake-upstream/src/bedrock-format';
import { FAST, aiSdkToolLoop, callWeather, createHello, expectIncomplete, expectRefused, midStreamError, streamHello, useProviderGateway } from '../support/provider-scenarios';

/**
 * Bedrock Converse / ConverseStream through /v1/responses, against a fake Bedrock that checks
 * the SigV4 signature (its own verifier) and streams the AWS binary event-stream.
 */
describe('Bedrock through /v1/responses', () => {
  const g = useProviderGateway({
    fakes: ['bedrock'],
    providers: ({ bedrock }) => ({
      bedrock: {
        base_url: bedrock.url,
        keys: [{ access_key_id: FAKE_AWS_CREDENTIALS.accessKeyId, secret_access_key: FAKE_AWS_CREDENTIALS.secretAccessKey, session_token: 'session-token', region: 'us-west-2' }],
        ...FAST,
      },
      'bedrock-bad': { kind: 'bedrock', base_url: bedrock.url, keys: [{ access_key_id: FAKE_AWS_CREDENTIALS.accessKeyId, secret_access_key: 'wrong-secret' }], ...FAST },
    }),
    keyName: 'bedrock',
  });
  const MODEL_ID = 'anthropic.claude-3-5-haiku-20241022-v1:0';
  const MODEL = `bedrock/${MODEL_ID}`;
  const lastSent = () => g.fakes.bedrock.requests.at(-1)!;

  it('responses.create: a SigV4-signed Converse call the fake verifies, usage with cache reads', async () => {
    const { data, rows } = await createHello(g, {
      model: MODEL, input: 'Hi there [[usage:40,3]] [[cached:30]]', provider: 'bedrock', answeredBy: MODEL_ID, body: { max_output_tokens: 300 },
    });
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
    expect(rows.map((r) => [r.provider, r.status, r.input_tokens, r.cached_tokens, r.output_tokens])).toEqual([['bedrock', 'success', 40, 30, 3]]);
  });

  it('a wrong secret is refused by the signature check: 403, not retried', async () => {
    const err = await g.client.responses.create({ model: `bedrock-bad/${MODEL_ID}`, input: 'hi' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.APIError);
    expect((err as Error).message).toContain('The request signature we calculated does not match');
    expect(g.fakes.bedrock.stats.requests).toBe(1);
  });

  it('a function tool round trip: toolUse / toolResult on the wire', async () => {
    const { call, answer } = await callWeather(g, MODEL);
    expect(call.call_id).toMatch(/^tooluse_/);
    await answer('sunny');
    expect((lastSent().body as { messages: unknown[] }).messages).toEqual([
      { role: 'user', content: [{ text: 'weather in Paris?' }] },
      { role: 'assistant', content: [{ toolUse: { toolUseId: call.call_id, name: 'weather', input: { city: 'test' } } }] },
      { role: 'user', content: [{ toolResult: { toolUseId: call.call_id, content: [{ text: 'sunny' }] } }] },
    ]);
  });

  it('structured output through the forced json_response tool; max_tokens as incomplete', async () => {
    const schema = { type: 'object', properties: { city: { type: 'string' } }, required: ['city'], additionalProperties: false };
    const res = await g.client.responses.create({ model: MODEL, input: 'json', text: { format: { type: 'json_schema', name: 'f', schema, strict: true } } });
    expect(JSON.parse(res.output_text)).toEqual({ city: 'test' });
    await expectIncomplete(g, MODEL);
  });

  it('Bedrock errors: throttling is retried then 502 naming it; forcing a hosted tool is a 400 naming bedrock', async () => {
    const limited = await g.client.responses.create({ model: MODEL, input: 'x [[fail:429]] [[retry-after:0]]' }).catch((e: unknown) => e);
    expect((limited as InstanceType<typeof OpenAI.APIError>).status).toBe(502);
    expect((limited as Error).message).toContain('429: Rate limit reached');
    expect(g.fakes.bedrock.stats.requests).toBe(3);
    await expectRefused(g, MODEL, { tools: [{ type: 'web_search_preview' }], tool_choice: 'required' }, { message: "bedrock does not support forcing the hosted tool 'web_search_preview'", param: 'tool_choice' });
  });

  it('ConverseStream bytes from a real socket decode into the Responses sequence (adapter + executor, no gateway)', async () => {
    const adapter = adapterFor('bedrock');
    const cfg: ProviderConfig = {
      name: 'bedrock', kind: 'bedrock', baseUrl: g.fakes.bedrock.url, keys: [], timeoutMs: 5_000, streamIdleTimeoutMs: 2_000, maxRetries: 0,
      retryBackoffMs: 0, retryBackoffMaxMs: 0, models: [], aliases: {}, headers: {}, deployments: {},
    };
    const key: UpstreamKey = { id: 'k', value: '', weight: 1, models: [], aws: { ...FAKE_AWS_CREDENTIALS, region: 'us-east-1' } };
    const executor = new HttpExecutor();
    try {
      const req = adapter.buildRequest({ body: { model: MODEL, input: 'stream [[chunks:5]] [[usage:8,5]] [[chunk-delay:2]]' }, upstreamModel: MODEL_ID, stream: true, provider: cfg, key });
      const res = await executor.send(req, { cancel: new Cancellation(), headersTimeoutMs: 5_000, bodyTimeoutMs: 5_000 });
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
    const final = await streamHello(g, MODEL, MODEL_ID, 4);
    expect(lastSent().path).toBe('/model/anthropic.claude-3-5-haiku-20241022-v1%3A0/converse-stream');
    expect(final.model).toBe(MODEL_ID);
  });

  it('AI SDK: generateText, and streamText with a two-step tool loop over ConverseStream', async () => {
    await aiSdkToolLoop(g, MODEL, MODEL_ID);
  });

  it('an exception frame after content reaches the client as response.failed with its message', async () => {
    expect(await midStreamError(g, MODEL)).toEqual({ code: 'modelStreamErrorException', message: 'The model stream failed (fake upstream).' });
  });
});
