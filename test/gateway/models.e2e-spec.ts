import OpenAI from 'openai';
import { FAKE_AWS_CREDENTIALS } from '../../apps/fake-upstream/src/bedrock-format';
import { ModelCatalog } from '../../apps/gateway/src/models/model-catalog.service';
import { eventually, startGatewayHarness, type GatewayHarness } from '../support/gateway-harness';

/**
 * GET /v1/models with providers configured the README's way, by environment only: each lists
 * what its own list-models API says it serves (read in the background, paged), filtered by the
 * calling key's allowlist, in the shape the official SDK's models.list() reads.
 */
describe('GET /v1/models for providers configured by environment only', () => {
  let h: GatewayHarness;
  let all: OpenAI;
  let limited: OpenAI;

  beforeAll(async () => {
    h = await startGatewayHarness({
      envProviders: ({ upstream }) => ({
        OPENAI_API_KEY: 'sk-openai', OPENAI_BASE_URL: `${upstream}/v1`,
        ANTHROPIC_API_KEY: 'sk-ant', ANTHROPIC_BASE_URL: upstream,
        GEMINI_API_KEY: 'gemini-key', GEMINI_BASE_URL: upstream,
        COHERE_API_KEY: 'co-key', COHERE_BASE_URL: upstream,
        AZURE_OPENAI_API_KEY: 'az-key', AZURE_OPENAI_BASE_URL: upstream,
        MISTRAL_API_KEY: 'sk-mistral', MISTRAL_BASE_URL: `${upstream}/v1`,
        AWS_ACCESS_KEY_ID: FAKE_AWS_CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: FAKE_AWS_CREDENTIALS.secretAccessKey, AWS_REGION: 'us-east-1', BEDROCK_BASE_URL: upstream,
      }),
    });
    all = new OpenAI({ apiKey: (await h.createKey({ name: 'all' })).key, baseURL: `${h.url}/v1`, maxRetries: 0 });
    limited = new OpenAI({ apiKey: (await h.createKey({ name: 'limited', allowed_models: ['anthropic/*', 'gemini/gemini-2.5-flash'] })).key, baseURL: `${h.url}/v1`, maxRetries: 0 });
  });
  afterAll(async () => {
    await h?.close();
  });

  const ids = async (client: OpenAI): Promise<string[]> => {
    const out: string[] = [];
    for await (const m of client.models.list()) out.push(m.id);
    return out;
  };

  const EXPECTED = [
    'openai/gpt-4o', 'openai/gpt-4o-mini',
    // Anthropic's list comes a page at a time.
    'anthropic/claude-sonnet-4-5', 'anthropic/claude-haiku-4-5', 'anthropic/claude-opus-4-1',
    'gemini/gemini-2.5-flash', 'gemini/gemini-2.5-pro',
    'bedrock/anthropic.claude-3-5-sonnet-20240620-v1:0', 'bedrock/amazon.nova-pro-v1:0',
    'cohere/command-a-03-2025', 'cohere/command-r7b-12-2024',
    'azure/prod-gpt4o', 'azure/gpt-4o-mini',
    'mistral/gpt-4o',
  ];

  it('lists what each provider serves, read from its own list-models API', async () => {
    // The lists arrive in the background after start.
    await eventually(async () => {
      const now = await ids(all);
      return EXPECTED.every((id) => now.includes(id));
    }, 10_000);
    const listed = await ids(all);
    expect(listed).toEqual(expect.arrayContaining(EXPECTED));
    // Not chat models, or not callable by their id: left out.
    for (const absent of ['gemini/text-embedding-004', 'bedrock/amazon.titan-embed-text-v2:0', 'bedrock/anthropic.claude-sonnet-4-5-20250929-v1:0', 'cohere/embed-v4.0']) {
      expect(listed).not.toContain(absent);
    }
    const page = await all.models.list();
    expect(page.data.find((m) => m.id === 'anthropic/claude-sonnet-4-5')).toEqual({ id: 'anthropic/claude-sonnet-4-5', object: 'model', created: Date.parse('2025-09-29T00:00:00Z') / 1000, owned_by: 'anthropic' });
    expect(await all.models.retrieve('x').catch((e: unknown) => e)).toBeInstanceOf(OpenAI.APIError);
  });

  it("honours the key's allowlist", async () => {
    await eventually(async () => (await ids(limited)).includes('anthropic/claude-opus-4-1'), 10_000);
    expect((await ids(limited)).sort()).toEqual(['anthropic/claude-haiku-4-5', 'anthropic/claude-opus-4-1', 'anthropic/claude-sonnet-4-5', 'gemini/gemini-2.5-flash']);
  });

  it('never asks a provider on the request: the lists are read in the background', async () => {
    await h.gateway.app.get(ModelCatalog).refresh();
    const before = { ...h.upstream.stats.byPath };
    for (let i = 0; i < 3; i++) await ids(all);
    expect(h.upstream.stats.byPath).toEqual(before);
  });

  it('a listed model answers', async () => {
    const res = await all.responses.create({ model: 'anthropic/claude-opus-4-1', input: 'hi' });
    expect(res.output_text).toContain('Hello from claude-opus-4-1');
  });
});
