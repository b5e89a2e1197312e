import { costToDecimalString, decimalFromNumber, shiftDecimal } from './decimal';
import { parsePriceOverrides } from './price-input';
import { PRICE_SHEET } from './price-sheet';
import type { TokenUsage } from './price-spec';
import { PriceBook, modelLimits, toUsageCost, usageCostJson } from './pricing';

const usage = (partial: Partial<TokenUsage>): TokenUsage => ({
  inputTokens: 0,
  cachedTokens: 0,
  outputTokens: 0,
  reasoningTokens: 0,
  ...partial,
});

describe('PriceBook', () => {
  const book = new PriceBook();

  describe('exact arithmetic', () => {
    it('prices 1,234,567 gpt-4o-mini input tokens exactly at the sheet rate', () => {
      const cost = book.cost('openai', 'gpt-4o-mini', usage({ inputTokens: 1_234_567 }))!;
      // 1,234,567 x $0.15 / 1M
      expect(cost.input_tokens_cost).toBe(0.18518505);
      expect(cost.total_cost).toBe(0.18518505);
      expect(cost.total_cost_usd).toBe('0.1851850500');
    });

    it('does not accumulate floating-point error across components', () => {
      // 3 x 0.15/1M + 7 x 0.6/1M: summing the two doubles gives 4.6500000000000005e-6.
      const cost = book.cost('openai', 'gpt-4o-mini', usage({ inputTokens: 3, outputTokens: 7 }))!;
      // Each amount is the double nearest its exact decimal, the total included: it is summed on
      // the exact amounts and converted once, not added up from the rounded components.
      expect([cost.input_tokens_cost, cost.output_tokens_cost]).toEqual([4.5e-7, 4.2e-6]);
      expect(cost.total_cost).toBe(4.65e-6);
      expect(cost.total_cost_usd).toBe('0.0000046500');
    });

    it('rounds the stored total half up at the tenth decimal place', () => {
      // One cached nova-micro token: $0.00875 / 1M = 0.00000000875
      const cost = book.cost('bedrock', 'amazon.nova-micro-v1:0', usage({ inputTokens: 1, cachedTokens: 1 }))!;
      expect(cost.total_cost).toBe(8.75e-9);
      expect(cost.total_cost_usd).toBe('0.0000000088');
    });

    it('stays exact for large token counts', () => {
      const cost = book.cost('anthropic', 'claude-opus-4-1', usage({ inputTokens: 123_456_789, outputTokens: 98_765_432 }))!;
      // 123,456,789 x 15/1M = 1851.851835; 98,765,432 x 75/1M = 7407.4074
      expect(cost.total_cost_usd).toBe('9259.2592350000');
    });

    it('exposes exactly the five usage.cost fields for the response', () => {
      const cost = book.cost('openai', 'gpt-4o-mini', usage({ inputTokens: 1_000_000, outputTokens: 1_000_000 }))!;
      expect(toUsageCost(cost)).toEqual({
        input_tokens_cost: 0.15,
        output_tokens_cost: 0.6,
        reasoning_tokens_cost: 0,
        request_cost: 0,
        total_cost: 0.75,
      });
    });

    it('writes usage.cost as JSON.stringify does, whatever the numbers', () => {
      const cost = book.cost('openai', 'gpt-4o-mini', usage({ inputTokens: 1_234, outputTokens: 56_789, reasoningTokens: 7 }))!;
      expect(usageCostJson(cost)).toBe(JSON.stringify(toUsageCost(cost)));
      for (const n of [1e-7, 2.5e-21, 1e21, 123.456, -0, NaN, Infinity, -Infinity]) {
        const odd = { input_tokens_cost: n, output_tokens_cost: 0, reasoning_tokens_cost: n, request_cost: 1, total_cost: n };
        expect(usageCostJson(odd)).toBe(JSON.stringify(odd));
      }
    });

    it('reads catalog numbers as the decimals they were written as', () => {
      expect(decimalFromNumber(0.1)).toBe('0.1');
      expect(decimalFromNumber(0.00875)).toBe('0.00875');
      expect(decimalFromNumber(1.5e-7)).toBe('0.00000015');
      expect(decimalFromNumber(3)).toBe('3');
      expect(decimalFromNumber(1e-13)).toBeNull();
      expect(decimalFromNumber(-1)).toBeNull();
      expect(shiftDecimal('5', 3)).toBe('0.005');
      expect(shiftDecimal('0.000000001', 3)).toBe('0.000000000001');
      expect(shiftDecimal('0.0000000001', 3)).toBeNull();
    });

    it('formats numbers for the log column', () => {
      expect(costToDecimalString(0.1 + 0.2)).toBe('0.3000000000');
      expect(costToDecimalString(0)).toBe('0.0000000000');
      expect(costToDecimalString(12.5)).toBe('12.5000000000');
    });
  });

  describe('token classes', () => {
    it('prices cached input at the cached rate and the rest at the input rate', () => {
      const cost = book.cost('openai', 'gpt-4o', usage({ inputTokens: 10_000, cachedTokens: 4_000, outputTokens: 1_000 }))!;
      // 6,000 x 2.5 + 4,000 x 1.25 = 0.015 + 0.005
      expect(cost.input_tokens_cost).toBe(0.02);
      expect(cost.output_tokens_cost).toBe(0.01);
      expect(cost.total_cost).toBe(0.03);
    });

    it('prices Anthropic cache writes at the cache-write rate', () => {
      const cost = book.cost(
        'anthropic',
        'claude-sonnet-4-5',
        usage({ inputTokens: 10_000, cachedTokens: 2_000, cacheWriteTokens: 3_000, outputTokens: 500 }),
      )!;
      // 5,000 x 3 + 2,000 x 0.3 + 3,000 x 3.75 = 0.015 + 0.0006 + 0.01125
      expect(cost.input_tokens_cost).toBe(0.02685);
      expect(cost.output_tokens_cost).toBe(0.0075);
      expect(cost.total_cost_usd).toBe('0.0343500000');
    });

    it('prices cached tokens at the input rate when the model has no cached rate', () => {
      const cost = book.cost('groq', 'llama-3.1-8b-instant', usage({ inputTokens: 1_000_000, cachedTokens: 500_000 }))!;
      expect(cost.input_tokens_cost).toBe(0.05);
    });

    it('bills reasoning as output when the model has no reasoning rate', () => {
      const cost = book.cost('openai', 'o3', usage({ inputTokens: 0, outputTokens: 1_000, reasoningTokens: 800 }))!;
      expect(cost.output_tokens_cost).toBe(0.008);
      expect(cost.reasoning_tokens_cost).toBe(0);
      expect(cost.total_cost).toBe(0.008);
    });

    it('splits reasoning out of output when the model has a reasoning rate', () => {
      const withReasoning = new PriceBook({
        overrides: parsePriceOverrides({ 'test/thinker': { input_per_mtok: 0.3, output_per_mtok: 2.5, reasoning_per_mtok: '3.5' } }),
      });
      const cost = withReasoning.cost('test', 'thinker', usage({ outputTokens: 1_000, reasoningTokens: 800 }))!;
      expect(cost.output_tokens_cost).toBe(0.0005); // 200 x 2.5
      expect(cost.reasoning_tokens_cost).toBe(0.0028); // 800 x 3.5
      expect(cost.total_cost).toBe(0.0033);
    });

    it('adds the per-request fee', () => {
      const withFee = new PriceBook({
        overrides: parsePriceOverrides({ 'test/fee': { input_per_mtok: 1, output_per_mtok: 1, request_cost: 0.005 } }),
      });
      const cost = withFee.cost('test', 'fee', usage({ inputTokens: 1_000 }))!;
      expect(cost.request_cost).toBe(0.005);
      expect(cost.total_cost_usd).toBe('0.0060000000');
    });

    it('never bills negative uncached tokens when cache counts exceed the input', () => {
      const cost = book.cost('openai', 'gpt-4o', usage({ inputTokens: 100, cachedTokens: 200 }))!;
      expect(cost.input_tokens_cost).toBe(0.00025); // 200 x 1.25
    });

    it('rejects malformed usage', () => {
      expect(() => book.cost('openai', 'gpt-4o', usage({ inputTokens: -1 }))).toThrow(/usage\.inputTokens/);
      expect(() => book.cost('openai', 'gpt-4o', usage({ outputTokens: 1.5 }))).toThrow(/usage\.outputTokens/);
    });
  });

  describe('long-context tier', () => {
    it('keeps the base tier up to the threshold', () => {
      const cost = book.cost('gemini', 'gemini-2.5-pro', usage({ inputTokens: 200_000, outputTokens: 1_000 }))!;
      expect(cost.input_tokens_cost).toBe(0.25);
      expect(cost.output_tokens_cost).toBe(0.01);
    });

    it('prices the whole request at the tier once input exceeds the threshold', () => {
      const cost = book.cost('gemini', 'gemini-2.5-pro', usage({ inputTokens: 200_001, outputTokens: 1_000 }))!;
      expect(cost.input_tokens_cost).toBe(0.5000025);
      expect(cost.output_tokens_cost).toBe(0.015);
    });

    it('uses the tier cached rate', () => {
      const cost = book.cost('gemini', 'gemini-2.5-pro', usage({ inputTokens: 250_000, cachedTokens: 100_000 }))!;
      // 150,000 x 2.5 + 100,000 x 0.25
      expect(cost.input_tokens_cost).toBe(0.4);
    });

    it('applies Anthropic long-context prices to cache reads and writes', () => {
      const cost = book.cost(
        'anthropic',
        'claude-sonnet-4',
        usage({ inputTokens: 300_000, cachedTokens: 100_000, cacheWriteTokens: 100_000, outputTokens: 1_000 }),
      )!;
      // 100,000 x 6 + 100,000 x 0.6 + 100,000 x 7.5
      expect(cost.input_tokens_cost).toBe(1.41);
      expect(cost.output_tokens_cost).toBe(0.0225);
    });
  });

  describe('lookup', () => {
    it('finds exact provider/model ids case-insensitively', () => {
      expect(book.priceFor('openai', 'gpt-4o-mini')?.id).toBe('openai/gpt-4o-mini');
      expect(book.priceFor('OpenAI', 'GPT-4o-mini')?.id).toBe('openai/gpt-4o-mini');
    });

    it.each([
      ['openai', 'gpt-4o-2024-08-06', 'openai/gpt-4o'],
      ['openai', 'gpt-4.1-mini-2025-04-14', 'openai/gpt-4.1-mini'],
      ['anthropic', 'claude-sonnet-4-5-20250929', 'anthropic/claude-sonnet-4-5'],
      ['anthropic', 'claude-3-5-haiku-20241022', 'anthropic/claude-3-5-haiku-latest'],
      ['anthropic', 'claude-sonnet-4-20250514', 'anthropic/claude-sonnet-4'],
      ['cohere', 'command-r-plus-08-2024', 'cohere/command-r-plus'],
      ['mistral', 'ministral-3b-latest', 'mistral/ministral-3b'],
      ['xai', 'grok-4-latest', 'xai/grok-4'],
      // Regional (and in-region) Bedrock endpoints cost more than the global profile.
      ['bedrock', 'us.anthropic.claude-sonnet-4-5-20250929-v1:0', 'bedrock/regional.anthropic.claude-sonnet-4-5-20250929-v1:0'],
      ['bedrock', 'anthropic.claude-sonnet-4-5-20250929-v1:0', 'bedrock/regional.anthropic.claude-sonnet-4-5-20250929-v1:0'],
      ['bedrock', 'global.anthropic.claude-sonnet-4-5-20250929-v1:0', 'bedrock/global.anthropic.claude-sonnet-4-5-20250929-v1:0'],
    ])('matches dated snapshots and profile ids: %s/%s -> %s', (provider, model, expected) => {
      expect(book.priceFor(provider, model)?.id).toBe(expected);
    });

    it('prefers an exact dated entry over the stripped one', () => {
      expect(book.priceFor('openai', 'gpt-4o-2024-05-13')).toMatchObject({ id: 'openai/gpt-4o-2024-05-13', input_per_mtok: '5' });
    });

    it.each([
      ['azure', 'gpt-4o', 'openai/gpt-4o'],
      ['azure', 'gpt-4o-2024-08-06', 'openai/gpt-4o'],
      ['openrouter', 'anthropic/claude-sonnet-4-5', 'anthropic/claude-sonnet-4-5'],
      ['local-proxy', 'google/gemini-2.5-flash', 'gemini/gemini-2.5-flash'],
      ['local-proxy', 'gpt-4o-mini', 'openai/gpt-4o-mini'],
      ['vertex', 'claude-sonnet-4-5@20250929', 'anthropic/claude-sonnet-4-5'],
    ])('prices resellers as the first party: %s/%s -> %s', (provider, model, expected) => {
      expect(book.priceFor(provider, model)?.id).toBe(expected);
    });

    it.each([
      ['openrouter', 'openai/gpt-4o', 'openrouter/openai/gpt-4o'],
      ['openrouter', 'google/gemini-2.5-flash', 'openrouter/google/gemini-2.5-flash'],
    ])('prefers a reseller\'s own catalog price: %s/%s -> %s', (provider, model, expected) => {
      expect(book.priceFor(provider, model)?.id).toBe(expected);
    });

    it('returns null, never a zero cost, for unknown models, and 0 only for a model priced at 0', () => {
      const withFree = new PriceBook({ overrides: parsePriceOverrides({ 'local/free': { input_per_mtok: 0, output_per_mtok: 0 } }) });
      const free = withFree.cost('local', 'free', usage({ inputTokens: 10, outputTokens: 10 }));
      expect(free).toMatchObject({ total_cost: 0, total_cost_usd: '0.0000000000' });
      // Names next to known ones: a known model's dated or prefixed spelling is priced, these are not.
      expect(withFree.cost('openai', 'gpt-4o-2024-08-06', usage({ inputTokens: 10 }))).not.toBeNull();
      for (const [provider, model] of [['openai', 'gpt-unknown'], ['openai', 'gpt-unknown-2024-08-06'], ['local', 'free-2'], ['fake', 'echo'], ['openrouter', 'unknown-vendor/gpt-4o']]) {
        expect({ id: `${provider}/${model}`, price: withFree.priceFor(provider, model), cost: withFree.cost(provider, model, usage({ inputTokens: 10 })) }).toEqual({ id: `${provider}/${model}`, price: null, cost: null });
      }
    });

    it('prices every model the old hand-kept sheet priced', () => {
      const expected = [
        'openai/gpt-4o', 'openai/gpt-4o-mini', 'openai/gpt-4.1', 'openai/gpt-4.1-mini', 'openai/gpt-4.1-nano',
        'openai/o3', 'openai/o3-mini', 'openai/o4-mini', 'openai/gpt-5', 'openai/gpt-5-mini', 'openai/gpt-5-nano',
        'anthropic/claude-opus-4-1', 'anthropic/claude-sonnet-4-5', 'anthropic/claude-sonnet-4',
        'anthropic/claude-haiku-4-5', 'anthropic/claude-3-5-haiku',
        'gemini/gemini-2.5-pro', 'gemini/gemini-2.5-flash', 'gemini/gemini-2.5-flash-lite', 'gemini/gemini-2.0-flash',
        'bedrock/amazon.nova-pro-v1:0', 'bedrock/amazon.nova-lite-v1:0', 'bedrock/amazon.nova-micro-v1:0',
        'deepseek/deepseek-chat', 'deepseek/deepseek-reasoner',
        'groq/llama-3.3-70b-versatile', 'groq/llama-3.1-8b-instant',
        'xai/grok-4', 'xai/grok-3-mini',
        'cohere/command-r-plus', 'cohere/command-r', 'cohere/command-a',
      ];
      for (const id of expected) {
        const [provider, model] = id.split('/');
        expect([id, book.priceFor(provider, model)?.source]).toEqual([id, expect.stringMatching(/^(catalog|built_in)$/)]);
      }
    });

    it('lists every built-in entry with the source of its figures', () => {
      const builtIn = book.list().filter((price) => price.source === 'built_in');
      const count = Object.values(PRICE_SHEET).reduce((n, models) => n + Object.keys(models).length, 0);
      expect(builtIn).toHaveLength(count);
      for (const price of builtIn) expect(price.reference).toMatch(/\w+\.\w+/);
    });
  });

  describe('overrides', () => {
    const overridden = new PriceBook({
      overrides: parsePriceOverrides({
        'openai/gpt-4o': { input_per_mtok: 1, output_per_mtok: '2.000', cached_input_per_mtok: 0.5 },
        'azure/gpt-4o-mini': { input_per_mtok: 0.2, output_per_mtok: 0.8 },
        'fake/echo': { input_per_mtok: 1.5e-7, output_per_mtok: 0 },
      }),
    });

    it('replaces the built-in entry', () => {
      expect(overridden.priceFor('openai', 'gpt-4o')).toMatchObject({
        source: 'override',
        input_per_mtok: '1',
        output_per_mtok: '2',
        cached_input_per_mtok: '0.5',
      });
      expect(overridden.cost('openai', 'gpt-4o', usage({ inputTokens: 1_000_000, outputTokens: 1_000_000 }))!.total_cost).toBe(3);
    });

    it('takes part in dated-suffix and reseller lookups', () => {
      expect(overridden.priceFor('openai', 'gpt-4o-2024-11-20')?.source).toBe('override');
      expect(overridden.priceFor('azure', 'gpt-4o')?.source).toBe('override');
    });

    it('lets a reseller override win over the first-party price', () => {
      expect(overridden.priceFor('azure', 'gpt-4o-mini')).toMatchObject({ id: 'azure/gpt-4o-mini', input_per_mtok: '0.2' });
      expect(overridden.priceFor('openai', 'gpt-4o-mini')?.source).toBe('catalog');
    });

    it('prices models the sheet does not know, keeping exact decimals', () => {
      expect(overridden.priceFor('fake', 'echo')?.input_per_mtok).toBe('0.00000015');
      expect(overridden.cost('fake', 'echo', usage({ inputTokens: 10_000_000, outputTokens: 10 }))!.total_cost_usd).toBe('0.0000015000');
    });

    it('marks overrides in list()', () => {
      const list = overridden.list();
      expect(list.find((price) => price.id === 'openai/gpt-4o')?.source).toBe('override');
      expect(list.find((price) => price.id === 'openai/o3')?.source).toBe('catalog');
      expect(list.filter((price) => price.id === 'openai/gpt-4o')).toHaveLength(1);
      expect(list.map((price) => price.id)).toEqual([...list.map((price) => price.id)].sort((a, b) => a.localeCompare(b)));
    });

    it('returns immutable prices', () => {
      const price = overridden.priceFor('openai', 'gpt-4o')!;
      expect(() => {
        (price as { input_per_mtok: string }).input_per_mtok = '0';
      }).toThrow();
    });
  });

  describe('sources', () => {
    const admin = (provider: string, model: string, input: string) => ({
      provider,
      model,
      price: { input_per_mtok: input, output_per_mtok: '1' },
      updatedAt: new Date('2026-12-01T00:00:00Z'),
    });

    it('lets an override win over an admin price, and an admin price over the catalog', () => {
      const base = new PriceBook({ overrides: parsePriceOverrides({ 'openai/gpt-4o': { input_per_mtok: 1, output_per_mtok: 1 } }) });
      const withAdmin = base.withAdminPrices([admin('openai', 'gpt-4o', '7'), admin('openai', 'gpt-4o-mini', '8'), admin('local', 'my-model', '0.5')]);
      expect(withAdmin.priceFor('openai', 'gpt-4o')).toMatchObject({ source: 'override', input_per_mtok: '1' });
      expect(withAdmin.priceFor('openai', 'gpt-4o-mini')).toMatchObject({ source: 'admin', input_per_mtok: '8', updated_at: '2026-12-01T00:00:00.000Z' });
      expect(withAdmin.priceFor('LOCAL', 'My-Model')).toMatchObject({ source: 'admin', id: 'local/my-model' });
      // The book it came from is unchanged.
      expect(base.priceFor('openai', 'gpt-4o-mini')?.source).toBe('catalog');
      expect(base.priceFor('local', 'my-model')).toBeNull();
    });

    it('applies admin prices to dated ids and resellers like any other source', () => {
      const book = new PriceBook().withAdminPrices([admin('openai', 'gpt-4o-mini', '9')]);
      expect(book.priceFor('openai', 'gpt-4o-mini-2024-07-18')?.source).toBe('admin');
      expect(book.priceFor('azure', 'gpt-4o-mini')?.source).toBe('admin');
    });

    it('drops an admin price that is no longer in the set', () => {
      const book = new PriceBook().withAdminPrices([admin('local', 'm', '1')]).withAdminPrices([]);
      expect(book.priceFor('local', 'm')).toBeNull();
    });

    it('says which catalog version a price came from', () => {
      const price = book.priceFor('openai', 'gpt-4o-mini')!;
      expect(price).toMatchObject({ source: 'catalog', catalog_version: book.catalogInfo!.version });
      expect(book.catalogInfo).toMatchObject({ package: '@pydantic/genai-prices', published_at: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/) });
    });

    it('prices a freely named provider of a first-party kind from that kind\'s catalog list', () => {
      const kinds = new PriceBook({ providerKinds: new Map([['bedrock-eu', 'bedrock'], ['corp-proxy', 'openai-compatible']]) });
      expect(kinds.priceFor('bedrock-eu', 'eu.anthropic.claude-sonnet-4-5-20250929-v1:0')).toMatchObject({ id: 'bedrock/regional.anthropic.claude-sonnet-4-5-20250929-v1:0', source: 'catalog' });
      // Without its kind only the resale rules apply, which miss Bedrock's regional price.
      expect(book.priceFor('bedrock-eu', 'eu.anthropic.claude-sonnet-4-5-20250929-v1:0')?.id).not.toBe('bedrock/regional.anthropic.claude-sonnet-4-5-20250929-v1:0');
      // A generic kind says nothing of the vendor: the model name decides (resold first-party models).
      expect(kinds.priceFor('corp-proxy', 'gpt-4o')?.id).toBe('openai/gpt-4o');
    });

    it('prices nothing from a catalog when there is none', () => {
      const bare = new PriceBook({ catalog: null });
      expect(bare.priceFor('openai', 'gpt-4o-mini')).toBeNull();
      expect(bare.priceFor('xai', 'grok-4')?.source).toBe('built_in');
      expect(bare.list().every((price) => price.source === 'built_in')).toBe(true);
    });
  });

  describe('prices that change with time', () => {
    it('uses the price in force at the time of the request (history)', () => {
      // ministral-8b-latest moved to a new model and price on 2025-12-02.
      expect(book.priceFor('mistral', 'ministral-8b-latest', new Date('2025-12-01T12:00:00Z'))).toMatchObject({ input_per_mtok: '0.1', time_varying: true });
      expect(book.priceFor('mistral', 'ministral-8b-latest', new Date('2025-12-02T00:00:00Z'))).toMatchObject({ input_per_mtok: '0.15', cached_input_per_mtok: '0.015' });
    });

    it('uses the time-of-day price in force (off-peak discounts)', () => {
      const usage1M = usage({ inputTokens: 1_000_000 });
      const peak = book.cost('deepseek', 'deepseek-chat', usage1M, new Date('2026-06-01T12:00:00Z'))!;
      const offPeak = book.cost('deepseek', 'deepseek-chat', usage1M, new Date('2026-06-01T20:00:00Z'))!;
      expect(peak.total_cost_usd).toBe('0.2700000000');
      expect(offPeak.total_cost_usd).toBe('0.1350000000');
    });

    it('prices at the present time when none is given, reading the clock only for a price that changes', () => {
      const now = jest.spyOn(Date, 'now');
      try {
        now.mockReturnValue(Date.parse('2026-06-01T20:00:00Z'));
        expect(book.cost('deepseek', 'deepseek-chat', usage({ inputTokens: 1_000_000 }))?.total_cost_usd).toBe('0.1350000000');
        now.mockReturnValue(Date.parse('2025-12-01T12:00:00Z'));
        expect(book.priceFor('mistral', 'ministral-8b-latest')).toMatchObject({ input_per_mtok: '0.1' });
        now.mockReturnValue(Date.parse('2025-12-02T00:00:00Z'));
        expect(book.priceFor('mistral', 'ministral-8b-latest')).toMatchObject({ input_per_mtok: '0.15' });
        now.mockClear();
        expect(book.cost('openai', 'gpt-4o-mini', usage({ inputTokens: 1 }))).not.toBeNull();
        expect(now).not.toHaveBeenCalled();
      } finally {
        now.mockRestore();
      }
    });
  });

  describe('model limits', () => {
    it('gives the catalog context window, found like a price', () => {
      expect(modelLimits('openai', 'gpt-4o-2024-08-06')).toEqual({ id: 'openai/gpt-4o', context_window: 128_000, max_output_tokens: null });
      expect(modelLimits('azure', 'gpt-4o')?.context_window).toBe(128_000);
      expect(modelLimits('bedrock', 'us.anthropic.claude-sonnet-4-5-20250929-v1:0')?.context_window).toBe(200_000);
      expect(modelLimits('local', 'unknown-model')).toBeNull();
    });
  });

  describe('override validation', () => {
    const build = (overrides: Record<string, unknown>) => () => new PriceBook({ overrides: parsePriceOverrides(overrides) });

    it.each<[string, Record<string, unknown>, string]>([
      ['negative price', { 'openai/x': { input_per_mtok: -1, output_per_mtok: 1 } }, 'GATEWAY_CONFIG pricing["openai/x"].input_per_mtok must be a non-negative number'],
      ['non-numeric string', { 'openai/x': { input_per_mtok: 1, output_per_mtok: 'cheap' } }, 'GATEWAY_CONFIG pricing["openai/x"].output_per_mtok must be a non-negative number'],
      ['boolean', { 'openai/x': { input_per_mtok: true, output_per_mtok: 1 } }, 'GATEWAY_CONFIG pricing["openai/x"].input_per_mtok must be a non-negative number'],
      ['too many decimals', { 'openai/x': { input_per_mtok: '0.0000000000001', output_per_mtok: 1 } }, 'GATEWAY_CONFIG pricing["openai/x"].input_per_mtok must be a non-negative number'],
      ['missing output', { 'openai/x': { input_per_mtok: 1 } }, 'GATEWAY_CONFIG pricing["openai/x"].output_per_mtok is required'],
      ['unknown field', { 'openai/x': { input_per_mtok: 1, output_per_mtok: 1, input_price: 2 } }, 'GATEWAY_CONFIG pricing["openai/x"].input_price is not a known field'],
      ['bad key', { 'gpt-4o': { input_per_mtok: 1, output_per_mtok: 1 } }, 'GATEWAY_CONFIG pricing["gpt-4o"] must be keyed by "provider/model"'],
      ['entry not an object', { 'openai/x': 3 }, 'GATEWAY_CONFIG pricing["openai/x"] must be an object'],
      ['bad threshold', { 'openai/x': { input_per_mtok: 1, output_per_mtok: 1, long_context: { threshold_tokens: 0, input_per_mtok: 2, output_per_mtok: 2 } } }, 'GATEWAY_CONFIG pricing["openai/x"].long_context.threshold_tokens must be a positive integer'],
      ['bad tier price', { 'openai/x': { input_per_mtok: 1, output_per_mtok: 1, long_context: { threshold_tokens: 10, input_per_mtok: 2, output_per_mtok: -2 } } }, 'GATEWAY_CONFIG pricing["openai/x"].long_context.output_per_mtok must be a non-negative number'],
    ])('names the field: %s', (_case, overrides, message) => {
      expect(build(overrides)).toThrow(expect.objectContaining({ message: expect.stringMatching(new RegExp(`^${escape(message)}`)) }));
    });

    it('rejects a non-object pricing section', () => {
      expect(() => parsePriceOverrides([], 'GATEWAY_CONFIG pricing')).toThrow(/^GATEWAY_CONFIG pricing must be an object/);
    });

    it('uses the caller-supplied config path', () => {
      expect(() => parsePriceOverrides({ 'a/b': { input_per_mtok: -1, output_per_mtok: 1 } }, 'config.json pricing')).toThrow(
        /^config\.json pricing\["a\/b"\]\.input_per_mtok/,
      );
    });

    it('accepts a long-context tier from JSON and applies it', () => {
      const tiered = new PriceBook({
        overrides: parsePriceOverrides({
          'test/long': {
            input_per_mtok: 1,
            output_per_mtok: 2,
            long_context: { threshold_tokens: 1_000, input_per_mtok: 10, output_per_mtok: 20 },
          },
        }),
      });
      expect(tiered.cost('test', 'long', usage({ inputTokens: 1_000, outputTokens: 1 }))!.total_cost_usd).toBe('0.0010020000');
      expect(tiered.cost('test', 'long', usage({ inputTokens: 1_001, outputTokens: 1 }))!.total_cost_usd).toBe('0.0100300000');
    });
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
