import { BedrockAdapter } from '../../../libs/providers/src/bedrock/bedrock.adapter';
import { EventStreamReader } from '../../../libs/providers/src/bedrock/event-stream';
import { FAKE_AWS_CREDENTIALS } from './bedrock-format';
import { type FakeUpstream, createFakeUpstream } from './fake-upstream';

/** The fake Bedrock: SigV4 checks, Converse JSON, ConverseStream event-stream frames, error shapes. */
describe('fake upstream: Bedrock format', () => {
  let fake: FakeUpstream;
  const adapter = new BedrockAdapter();

  beforeAll(async () => {
    fake = await createFakeUpstream();
  });
  afterAll(() => fake.close());
  beforeEach(() => fake.reset());

  function signed(input: string, stream: boolean, secret = FAKE_AWS_CREDENTIALS.secretAccessKey, accessKeyId = FAKE_AWS_CREDENTIALS.accessKeyId) {
    const provider = {
      name: 'bedrock', kind: 'bedrock' as const, baseUrl: fake.url, keys: [], timeoutMs: 1, streamIdleTimeoutMs: 1, maxRetries: 0,
      retryBackoffMs: 0, retryBackoffMaxMs: 0, models: [], aliases: {}, headers: {}, deployments: {},
    };
    const key = { id: 'k', value: '', weight: 1, models: [], aws: { accessKeyId, secretAccessKey: secret, region: 'us-east-1' } };
    const req = adapter.buildRequest({ body: { model: 'x', input }, upstreamModel: 'amazon.nova-lite-v1:0', stream, provider, key });
    const headers = { ...req.headers };
    delete headers.host;
    return fetch(req.url, { method: 'POST', headers, body: req.body });
  }

  it('answers Converse JSON for a correctly signed request', async () => {
    const res = await signed('Hi [[usage:10,4]] [[cached:3]]', false);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      output: { message: { role: 'assistant', content: [{ text: 'Hello from amazon.nova-lite-v1:0! You said: Hi [[usage:10,4]] [[cached:3]]' }] } },
      stopReason: 'end_turn',
      usage: { inputTokens: 7, cacheReadInputTokens: 3, outputTokens: 4, totalTokens: 14 },
    });
    expect(fake.requests.at(-1)!.path).toBe('/model/amazon.nova-lite-v1%3A0/converse');
  });

  it('streams AWS event-stream frames with valid CRCs', async () => {
    const res = await signed('a b [[chunks:2]]', true);
    expect(res.headers.get('content-type')).toBe('application/vnd.amazon.eventstream');
    const messages = new EventStreamReader().push(Buffer.from(await res.arrayBuffer()));
    expect(messages.map((m) => m.headers[':event-type'])).toEqual(['messageStart', 'contentBlockDelta', 'contentBlockDelta', 'contentBlockStop', 'messageStop', 'metadata']);
    expect(JSON.parse(messages[5].payload.toString()).usage).toMatchObject({ inputTokens: expect.any(Number), outputTokens: expect.any(Number) });
  });

  it('ends a [[stream-error]] stream with an exception frame', async () => {
    const messages = new EventStreamReader().push(Buffer.from(await (await signed('x [[stream-error]]', true)).arrayBuffer()));
    expect(messages.at(-1)!.headers).toMatchObject({ ':message-type': 'exception', ':exception-type': 'modelStreamErrorException' });
  });

  it('refuses a missing, unknown or wrongly signed request with Bedrock error shapes', async () => {
    const missing = await fetch(`${fake.url}/model/m/converse`, { method: 'POST', body: '{}' });
    expect(missing.status).toBe(403);
    expect(await missing.json()).toEqual({ message: 'Missing Authentication Token' });
    expect(missing.headers.get('x-amzn-errortype')).toMatch(/^MissingAuthenticationTokenException:/);
    const wrong = await signed('x', false, 'not-the-secret');
    expect(wrong.status).toBe(403);
    expect(wrong.headers.get('x-amzn-errortype')).toMatch(/^InvalidSignatureException:/);
    const bad = await signed('x', false, 's', 'bad-key');
    expect(bad.headers.get('x-amzn-errortype')).toMatch(/^UnrecognizedClientException:/);
    // Any other access key passes on a well-formed signature (the offline demo's credentials).
    expect((await signed('x', false, 'whatever', 'AKIAANY')).status).toBe(200);
  });

  it('injects failures as {"message"} with the type in x-amzn-errortype', async () => {
    const res = await signed('x [[fail:429]]', false);
    expect(res.status).toBe(429);
    expect(res.headers.get('x-amzn-errortype')).toMatch(/^ThrottlingException:/);
    expect(await res.json()).toEqual({ message: 'Rate limit reached for amazon.nova-lite-v1:0 (fake upstream). Please try again in 1s.' });
  });
});
