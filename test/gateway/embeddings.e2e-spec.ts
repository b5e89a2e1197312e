import OpenAI from 'openai';
import { FAKE_AWS_CREDENTIALS } from '../../apps/fake-upstream/src/bedrock-format';
import { fakeEmbedding } from '../../apps/fake-upstream/src/embeddings-format';
import { FAST, useProviderGateway } from '../support/provider-scenarios';

/** The little-endian float32 values of a base64 embedding, as OpenAI encodes them. */
function decodeBase64(text: string): number[] {
  const bytes = Buffer.from(text, 'base64');
  return Array.from({ length: bytes.length / 4 }, (_, i) => bytes.readFloatLE(i * 4));
}

/**
 * POST /v1/embeddings in front of every provider with an embeddings API: the official OpenAI
 * SDK as the client, fakes that speak each provider's embeddings wire format.
 */
describe('Embeddings through /v1/embeddings', () => {
  const g = useProviderGateway({
    fakes: ['gemini', 'bedrock', 'cohere', 'anthropic', 'azure', 'mistral'],
    dialects: { mistral: 'mistral' },
    providers: ({ gemini, bedrock, cohere, anthropic, azure, mistral }) => ({
      mistral: { base_url: `${mistral.url}/v1`, keys: [{ value: 'mistral-key' }], ...FAST },
      gemini: { base_url: gemini.url, keys: [{ value: 'gemini-test-key' }], ...FAST },
      bedrock: {
        base_url: bedrock.url,
        keys: [{ access_key_id: FAKE_AWS_CREDENTIALS.accessKeyId, secret_access_key: FAKE_AWS_CREDENTIALS.secretAccessKey, region: 'us-west-2' }],
        ...FAST,
      },
      cohere: { base_url: cohere.url, keys: [{ value: 'co-test-key' }], ...FAST },
      anthropic: { base_url: anthropic.url, keys: [{ value: 'sk-ant-test' }], ...FAST },
      azure: { base_url: azure.url, keys: [{ value: 'az-key' }], deployments: { 'text-embedding-3-small': 'emb-prod' }, ...FAST },
    }),
    keyName: 'embeddings',
  });

  const TEXTS = ['the quick brown fox', 'jumps over', 'the lazy dog'];

  // [label, model, provider, the upstream model the fake names, path the fake saw, upstream calls for three texts, USD per token]
  const PROVIDERS = [
    ['openai', 'openai/text-embedding-3-small', 'openai', 'text-embedding-3-small', '/v1/embeddings', 1, 0.02e-6],
    ['azure', 'azure/text-embedding-3-small', 'azure', 'emb-prod', '/openai/deployments/emb-prod/embeddings', 1, 0.02e-6],
    ['gemini', 'gemini/gemini-embedding-001', 'gemini', 'gemini-embedding-001', '/v1beta/models/gemini-embedding-001:batchEmbedContents', 1, 0.15e-6],
    ['bedrock titan', 'bedrock/amazon.titan-embed-text-v2:0', 'bedrock', 'amazon.titan-embed-text-v2:0', '/model/amazon.titan-embed-text-v2%3A0/invoke', 3, 0.02e-6],
    ['bedrock cohere', 'bedrock/cohere.embed-english-v3', 'bedrock', 'cohere.embed-english-v3', '/model/cohere.embed-english-v3/invoke', 1, 0.1e-6],
    ['cohere', 'cohere/embed-v4.0', 'cohere', 'embed-v4.0', '/v2/embed', 1, 0.12e-6],
  ] as const;

  const fakeOf = (provider: string) => (provider === 'openai' ? g.h.upstream : g.fakes[provider as 'gemini']);

  describe.each(PROVIDERS)('%s', (_label, model, provider, upstreamModel, path, calls, usdPerToken) => {
    it('embeddings.create (float): vectors in order, usage, cost, x-bf headers, an embeddings log row', async () => {
      // Other tests (in any order) call the same fakes: count from here.
      const since = Date.now();
      const { data, response } = await g.client.embeddings.create({ model, input: TEXTS, encoding_format: 'float' }).withResponse();
      expect(response.headers.get('x-bf-provider')).toBe(provider);
      expect(response.headers.get('x-bf-fallback-index')).toBe('0');
      expect(data.object).toBe('list');
      expect(data.data.map((d) => [d.index, d.embedding])).toEqual(TEXTS.map((t, i) => [i, fakeEmbedding(t)]));
      // Gemini reports no count: the gateway estimates four characters a token.
      const tokens = provider === 'gemini' ? TEXTS.reduce((n, t) => n + Math.ceil(t.length / 4), 0) : 9;
      expect(data.usage).toMatchObject({ prompt_tokens: tokens, total_tokens: tokens });
      expect(Number(response.headers.get('x-bf-cost-usd'))).toBeCloseTo(tokens * usdPerToken, 12);
      expect((data as unknown as { extra_fields: Record<string, unknown> }).extra_fields).toMatchObject({ request_type: 'embeddings', provider, model_requested: model });
      const fake = fakeOf(provider);
      const sent = fake.requests.filter((r) => r.at >= since && r.path.split('?')[0] === path);
      expect(sent).toHaveLength(calls);
      const rows = await g.h.logRows(response.headers.get('x-request-id')!);
      expect(rows.map((r) => [r.request_type, r.provider, r.model, r.status, r.input_tokens, r.output_tokens])).toEqual([
        ['embeddings', provider, model.slice(model.indexOf('/') + 1), 'success', tokens, 0],
      ]);
      expect(Number(rows[0].cost_usd)).toBeCloseTo(tokens * usdPerToken, 12);
      expect(data.model).toBe(upstreamModel);
    });

    it('embeddings.create (base64, the SDK default): the SDK decodes the gateway\'s little-endian float32', async () => {
      const decoded = await g.client.embeddings.create({ model, input: 'one text' });
      expect(decoded.data[0].embedding).toEqual(fakeEmbedding('one text'));
      const raw = await fetch(`${g.h.url}/v1/embeddings`, {
        method: 'POST',
        headers: { authorization: `Bearer ${g.client.apiKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model, input: ['one text'], encoding_format: 'base64' }),
      });
      const body = (await raw.json()) as { data: { embedding: string }[] };
      expect(typeof body.data[0].embedding).toBe('string');
      expect(decodeBase64(body.data[0].embedding)).toEqual(fakeEmbedding('one text'));
    });
  });

  it('sends what each provider expects: Cohere input_type, Titan dimensions, OpenAI token arrays', async () => {
    await g.client.embeddings.create({ model: 'cohere/embed-v4.0', input: ['q'], input_type: 'search_query' } as OpenAI.EmbeddingCreateParams);
    expect(g.fakes.cohere.requests.at(-1)?.body).toEqual({ model: 'embed-v4.0', texts: ['q'], input_type: 'search_query', embedding_types: ['float'] });
    const titan = await g.client.embeddings.create({ model: 'bedrock/amazon.titan-embed-text-v2:0', input: 'short', dimensions: 256, encoding_format: 'float' });
    expect(g.fakes.bedrock.requests.at(-1)?.body).toEqual({ inputText: 'short', dimensions: 256 });
    expect(titan.data[0].embedding).toEqual(fakeEmbedding('short', 256));
    const tokens = await g.client.embeddings.create({ model: 'openai/text-embedding-3-small', input: [[1, 2, 3], [4, 5]], encoding_format: 'float' });
    expect(tokens.usage.prompt_tokens).toBe(5);
    expect(g.h.upstream.requests.at(-1)?.body).toMatchObject({ input: [[1, 2, 3], [4, 5]], encoding_format: 'float' });
  });

  it('Mistral: only the fields its strict API takes (no user), its error shape read back', async () => {
    const res = await g.client.embeddings.create({ model: 'mistral/mistral-embed', input: ['a b c'], user: 'u-1', encoding_format: 'float' }).withResponse();
    expect(res.data.data[0].embedding).toEqual(fakeEmbedding('a b c'));
    expect(res.data.usage.prompt_tokens).toBe(3);
    expect(Number(res.response.headers.get('x-bf-cost-usd'))).toBeCloseTo(3 * 0.1e-6, 12);
    expect(g.fakes.mistral.requests.at(-1)).toMatchObject({ path: '/v1/embeddings', body: { model: 'mistral-embed', input: ['a b c'], encoding_format: 'float' } });
    expect(g.fakes.mistral.requests.at(-1)?.body).not.toHaveProperty('user');
  });

  it('splits a batch past a provider\'s limit: 150 texts to Gemini are two calls, vectors in order', async () => {
    const input = Array.from({ length: 150 }, (_, i) => `text ${i}`);
    const res = await g.client.embeddings.create({ model: 'gemini/gemini-embedding-001', input, encoding_format: 'float' });
    expect(res.data.map((d) => d.embedding)).toEqual(input.map((t) => fakeEmbedding(t)));
    expect(g.fakes.gemini.requests.map((r) => (r.body as { requests: unknown[] }).requests.length)).toEqual([100, 50]);
  });

  it('falls back on a retryable failure, logging both attempts as embeddings', async () => {
    const input = 'fallback [[fail-model:embed-v4.0:503]]';
    const { data, response } = await g.client.embeddings
      .create({ model: 'cohere/embed-v4.0', input, encoding_format: 'float', fallbacks: ['openai/text-embedding-3-small'] } as OpenAI.EmbeddingCreateParams)
      .withResponse();
    expect(response.headers.get('x-bf-provider')).toBe('openai');
    expect(response.headers.get('x-bf-fallback-index')).toBe('1');
    expect(data.data[0].embedding).toEqual(fakeEmbedding(input));
    const rows = await g.h.logRows(response.headers.get('x-request-id')!);
    expect(rows.map((r) => [r.request_type, r.provider, r.status, r.http_status])).toEqual([['embeddings', 'cohere', 'error', 503], ['embeddings', 'openai', 'success', 200]]);
  });

  it('refuses in OpenAI shape, naming the parameter: no embeddings API, token arrays where unsupported, bad input', async () => {
    const cases: [OpenAI.EmbeddingCreateParams, number, string][] = [
      [{ model: 'anthropic/claude-sonnet-4-5', input: 'x' }, 400, 'model'],
      [{ model: 'gemini/gemini-embedding-001', input: [1, 2, 3] }, 400, 'input'],
      [{ model: 'openai/text-embedding-3-small', input: '' }, 400, 'input'],
      [{ model: 'openai/text-embedding-3-small', input: 'x', encoding_format: 'hex' as 'float' }, 400, 'encoding_format'],
      [{ model: 'bedrock/amazon.titan-embed-text-v2:0', input: 'x', dimensions: 100 }, 400, 'dimensions'],
    ];
    for (const [params, status, param] of cases) {
      const err = (await g.client.embeddings.create(params).catch((e: unknown) => e)) as InstanceType<typeof OpenAI.APIError>;
      expect(err).toBeInstanceOf(OpenAI.APIError);
      expect([err.status, err.param]).toEqual([status, param]);
    }
    expect(g.fakes.anthropic.stats.requests).toBe(0);
  });

  it('governance: an allowlist refusal and a budget refusal, in OpenAI shape', async () => {
    const allow = await g.h.createKey({ name: 'emb-allow', allowed_models: ['openai/*'] });
    const client = new OpenAI({ apiKey: allow.key, baseURL: `${g.h.url}/v1`, maxRetries: 0 });
    const denied = (await client.embeddings.create({ model: 'cohere/embed-v4.0', input: 'x' }).catch((e: unknown) => e)) as InstanceType<typeof OpenAI.APIError>;
    expect([denied.status, denied.code]).toEqual([403, 'model_not_allowed']);
    expect((await client.embeddings.create({ model: 'openai/text-embedding-3-small', input: 'x' })).data).toHaveLength(1);

    const broke = await g.h.createKey({ name: 'emb-budget', budget_max_usd: 0.000000001, budget_period: '1d' });
    const poor = new OpenAI({ apiKey: broke.key, baseURL: `${g.h.url}/v1`, maxRetries: 0 });
    const refused = (await poor.embeddings.create({ model: 'openai/text-embedding-3-small', input: 'a longer text to embed' }).catch((e: unknown) => e)) as InstanceType<typeof OpenAI.APIError>;
    expect([refused.status, refused.code]).toEqual([402, 'budget_exceeded']);
    expect(refused.headers?.get('x-should-retry')).toBe('false');
  });
});
