import Anthropic from '@anthropic-ai/sdk';
import { randomUUID } from 'node:crypto';
import { countWords } from '../../apps/fake-upstream/src/answer';
import { translatedProviders } from '../support/provider-scenarios';
import { startGatewayHarness, type GatewayHarness } from '../support/gateway-harness';

/**
 * Prompt caching for Anthropic clients: `cache_control` sent through /v1/messages with
 * Anthropic's SDK reaches Anthropic (and Claude on Bedrock, as cachePoint blocks) where the
 * client put it, the cache writes and reads come back in usage and are priced; providers
 * without it never see the marker (their fakes refuse unknown fields, as the real APIs do).
 */

const BEDROCK_MODEL = 'anthropic.claude-3-5-haiku-20241022-v1:0';
// Pinned per-1M-token prices: input, cache read, cache write, output.
const PRICE = { input_per_mtok: '3', cached_input_per_mtok: '0.3', cache_write_per_mtok: '3.75', output_per_mtok: '15' };
const PRICING = { 'anthropic/claude-sonnet-4-5': PRICE, [`bedrock/${BEDROCK_MODEL}`]: PRICE };

const weatherTool: Anthropic.Tool = {
  name: 'get_weather',
  description: 'The weather in a city',
  input_schema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
  cache_control: { type: 'ephemeral' },
};

describe('prompt caching through /v1/messages', () => {
  let h: GatewayHarness;
  let client: Anthropic;

  beforeAll(async () => {
    h = await startGatewayHarness({
      pricing: PRICING,
      providers: translatedProviders,
    });
    const { key } = await h.createKey({ name: 'caching' });
    client = new Anthropic({ apiKey: key, baseURL: h.url, maxRetries: 0 });
  });
  afterAll(async () => {
    await h?.close();
  });
  beforeEach(() => h.upstream.reset());

  /** A long stable system prompt, unique per test so the fake's cache starts empty for it. */
  const systemPrompt = (): string => `You are a careful assistant (${randomUUID()}). Answer briefly and cite the tool output when you use it.`;

  const ask = (model: string, system: string) =>
    client.messages.create({
      model,
      max_tokens: 200,
      system: [{ type: 'text', text: system, cache_control: { type: 'ephemeral' } }],
      tools: [weatherTool],
      messages: [{ role: 'user', content: 'Hi there' }],
    }).withResponse();

  /** What the pinned prices make of a Messages usage, in USD. */
  const priced = (u: Anthropic.Usage): number =>
    ((u.input_tokens * 3) + ((u.cache_creation_input_tokens ?? 0) * 3.75) + ((u.cache_read_input_tokens ?? 0) * 0.3) + (u.output_tokens * 15)) / 1e6;

  it.each([
    { provider: 'anthropic', model: 'anthropic/claude-sonnet-4-5' },
    { provider: 'bedrock', model: `bedrock/${BEDROCK_MODEL}` },
  ])('through $provider: the breakpoints reach the upstream, the first call writes the cache, the second reads it, both priced', async ({ provider, model }) => {
    const system = systemPrompt();
    const first = await ask(model, system);
    const sent = h.upstream.requests.at(-1)!.body as Record<string, unknown>;
    if (provider === 'anthropic') {
      expect(sent.system).toEqual([{ type: 'text', text: system, cache_control: { type: 'ephemeral' } }]);
      expect(sent.tools).toEqual([expect.objectContaining({ name: 'get_weather', cache_control: { type: 'ephemeral' } })]);
    } else {
      expect(sent.system).toEqual([{ text: system }, { cachePoint: { type: 'default' } }]);
      expect((sent.toolConfig as { tools: unknown[] }).tools).toEqual([{ toolSpec: expect.objectContaining({ name: 'get_weather' }) }, { cachePoint: { type: 'default' } }]);
    }
    const words = countWords(system);
    expect(first.data.usage).toMatchObject({ cache_creation_input_tokens: words, cache_read_input_tokens: 0 });

    const second = await ask(model, system);
    expect(second.data.usage).toMatchObject({ cache_creation_input_tokens: 0, cache_read_input_tokens: words, input_tokens: first.data.usage.input_tokens });

    for (const { data, response } of [first, second]) {
      const [row] = await h.logRows(response.headers.get('x-request-id')!);
      expect(row).toMatchObject({ provider, status: 'success', cached_tokens: data.usage.cache_read_input_tokens });
      expect(Number(row.cost_usd)).toBeCloseTo(priced(data.usage), 12);
      expect(Number(response.headers.get('x-bf-cost-usd'))).toBeCloseTo(priced(data.usage), 12);
    }
    // the write costs more than plain input, the read less
    expect(Number(first.response.headers.get('x-bf-cost-usd'))).toBeGreaterThan(Number(second.response.headers.get('x-bf-cost-usd')));
  });

  it.each([
    { provider: 'openai', model: 'openai/gpt-4o-mini' },
    { provider: 'gemini', model: 'gemini/gemini-2.5-flash' },
  ])('through $provider: nothing of the cache markers reaches the upstream, and the request succeeds', async ({ provider, model }) => {
    const { data, response } = await ask(model, systemPrompt());
    expect(response.headers.get('x-bf-provider')).toBe(provider);
    expect(data.content.length).toBeGreaterThan(0);
    const sent = h.upstream.requests.at(-1)!;
    expect(JSON.stringify(sent.body)).not.toMatch(/cache_control|cachePoint/);
  });
});
