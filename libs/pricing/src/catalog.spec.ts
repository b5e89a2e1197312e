import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { calcPrice, findProvider, type MatchLogic, type ModelInfo, type ModelPrice as CatalogPrice } from '@pydantic/genai-prices';
import { CATALOG_PROVIDER_IDS, CATALOG_PUBLISHED_AT, PriceCatalog } from './catalog';
import type { TokenUsage } from './price-spec';
import { PriceBook } from './pricing';

// The catalog as the gateway reads it, checked against the package's own data and arithmetic.
const catalog = new PriceCatalog();
const book = new PriceBook({ sheet: {} });
const AT = new Date('2026-12-01T12:00:00Z');

/** What each served provider is called in the catalog (test/providers/provider-registry.spec.ts checks every registered one has a price source). */
const served = [...CATALOG_PROVIDER_IDS.keys()];

/** Names a request could carry that the model's own matching rules accept. */
function namesOf(info: ModelInfo): string[] {
  const names = new Set<string>([info.id]);
  const walk = (match: MatchLogic) => {
    if ('or' in match) match.or.forEach(walk);
    else if ('and' in match) match.and.forEach(walk);
    else if ('equals' in match) names.add(match.equals);
    else if ('starts_with' in match) names.add(match.starts_with);
    else if ('contains' in match) names.add(match.contains);
  };
  walk(info.match);
  return [...names];
}

/** Whether the catalog prices this model in something a request's token usage measures. */
function measured(prices: CatalogPrice): boolean {
  const keys = Object.keys(prices).filter((k) => prices[k] !== undefined);
  return keys.length === 0 || keys.some((k) => ['input_mtok', 'output_mtok', 'cache_read_mtok', 'cache_write_mtok', 'output_reasoning_mtok', 'requests_kcount'].includes(k));
}

/** The model's price in force at `at`, as the package itself selects it. */
function priceAt(info: ModelInfo, at: Date): CatalogPrice {
  const alone = { id: 'walk', name: 'walk', api_pattern: 'walk', models: [info] };
  for (const name of namesOf(info)) {
    const result = calcPrice({}, name, { provider: alone, timestamp: at });
    if (result !== null) return result.model_price;
  }
  throw new Error(`${info.id} matches none of its own names`);
}

// Usages that exercise every rate: plain, cache reads and writes, reasoning, and past a long-context threshold.
const USAGES: TokenUsage[] = [
  { inputTokens: 1_234, cachedTokens: 0, outputTokens: 567, reasoningTokens: 0 },
  { inputTokens: 50_000, cachedTokens: 20_000, cacheWriteTokens: 10_000, outputTokens: 3_000, reasoningTokens: 1_000 },
  { inputTokens: 300_000, cachedTokens: 100_000, cacheWriteTokens: 50_000, outputTokens: 10_000, reasoningTokens: 4_000 },
];

function floatCost(name: string, providerId: string, usage: TokenUsage): number | null {
  const result = calcPrice(
    {
      input_tokens: usage.inputTokens,
      cache_read_tokens: usage.cachedTokens,
      cache_write_tokens: usage.cacheWriteTokens ?? 0,
      output_tokens: usage.outputTokens,
      output_reasoning_tokens: usage.reasoningTokens,
    },
    name,
    { providerId, timestamp: AT },
  );
  return result?.total_price ?? null;
}

describe('the price catalog', () => {
  it('is a version whose publish date is known', () => {
    const entry = require.resolve('@pydantic/genai-prices');
    const { version } = JSON.parse(readFileSync(path.join(path.dirname(entry), '..', 'package.json'), 'utf8')) as { version: string };
    expect(catalog.info).toEqual({ package: '@pydantic/genai-prices', version, published_at: CATALOG_PUBLISHED_AT[version] });
    expect(catalog.info.published_at).toMatch(/^\d{4}-\d{2}-\d{2}$/);
  });

  it('has a list for every provider the gateway serves', () => {
    for (const provider of served) {
      const id = CATALOG_PROVIDER_IDS.get(provider);
      expect([provider, id && findProvider({ providerId: id })?.id]).toEqual([provider, id]);
      expect(catalog.models(provider).length).toBeGreaterThan(0);
    }
  });

  describe.each(served)('%s: every model in its catalog list', (provider) => {
    const providerId = CATALOG_PROVIDER_IDS.get(provider)!;
    const infos = findProvider({ providerId })?.models ?? [];

    it('prices a request on each model, at the catalog rates, to the cent of its own float arithmetic', () => {
      const failures: string[] = [];
      let priced = 0;
      for (const info of infos) {
        const names = namesOf(info);
        const catalogPrice = priceAt(info, AT);
        // Resolve each name the model's rules accept; at least one must land on this model
        // (an earlier entry of the list may claim a shared prefix, as in the catalog itself).
        const isThis = (name: string) => {
          const price = book.priceFor(provider, name, AT);
          return price !== null && price.model === info.id && catalog.providerId(price.provider) === providerId;
        };
        const own = names.filter(isThis);
        if (!measured(catalogPrice)) {
          // Priced only per audio hour or page: unpriced here, never free.
          if (own.length > 0) failures.push(`${info.id}: priced though the catalog has no token price`);
          continue;
        }
        if (own.length === 0) {
          failures.push(`${info.id}: none of ${JSON.stringify(names)} resolves to it`);
          continue;
        }
        const name = own[0];
        const price = book.priceFor(provider, name, AT)!;
        const base = (v: unknown): string | undefined => (v === undefined ? undefined : String(typeof v === 'number' ? v : (v as { base: number }).base));
        const expectedRates = { input: base(catalogPrice.input_mtok) ?? '0', output: base(catalogPrice.output_mtok) ?? '0', cached: base(catalogPrice.cache_read_mtok), write: base(catalogPrice.cache_write_mtok) };
        const rates = { input: price.input_per_mtok, output: price.output_per_mtok, cached: price.cached_input_per_mtok, write: price.cache_write_per_mtok };
        if (!sameRates(rates, expectedRates)) failures.push(`${info.id}: rates ${JSON.stringify(rates)} != ${JSON.stringify(expectedRates)}`);
        for (const usage of USAGES) {
          const exact = book.cost(provider, name, usage, AT);
          const float = floatCost(name, providerId, usage);
          if (exact === null || float === null) {
            failures.push(`${info.id} as ${name}: no cost (exact ${String(exact?.total_cost_usd)}, float ${String(float)})`);
            continue;
          }
          // The stored cost keeps 10 places; the catalog's float differs by rounding only.
          if (Math.abs(Number(exact.total_cost_usd) - float) > 1e-9 + float * 1e-12) {
            failures.push(`${info.id} as ${name}: ${exact.total_cost_usd} != ${float} for ${JSON.stringify(usage)}`);
          }
        }
        priced++;
      }
      expect(failures).toEqual([]);
      expect(priced).toBeGreaterThan(0);
    });
  });

  // The ids users call that the hand-kept sheet did not price, and the snapshot and profile forms.
  it.each([
    ['bedrock', 'anthropic.claude-3-5-sonnet-20240620-v1:0', 3],
    ['bedrock', 'us.anthropic.claude-3-5-sonnet-20240620-v1:0', 3],
    ['bedrock', 'us.amazon.nova-pro-v1:0', 0.8],
    ['bedrock', 'us.meta.llama3-3-70b-instruct-v1:0', 0.72],
    ['bedrock', 'us.anthropic.claude-sonnet-4-5-20250929-v1:0', 3.3],
    ['bedrock', 'global.anthropic.claude-sonnet-4-5-20250929-v1:0', 3],
    ['openai', 'o1-pro', 150],
    ['openai', 'o3-pro', 20],
    ['openai', 'gpt-4-turbo', 10],
    ['openai', 'gpt-4o-2024-11-20', 2.5],
    ['anthropic', 'claude-3-haiku-20240307', 0.25],
    ['anthropic', 'claude-sonnet-4-5-20250929', 3],
    ['gemini', 'gemini-1.5-pro', 1.25],
    ['gemini', 'gemini-2.5-flash-preview-05-20', 0.15],
    ['mistral', 'magistral-medium-latest', 2],
    ['azure', 'gpt-4o', 2.5],
    ['azure', 'gpt-4.1-mini-2025-04-14', 0.4],
    ['azure', 'gpt-5', 1.25],
    ['xai', 'grok-3-mini', 0.3],
    ['cohere', 'command-r-08-2024', 0.15],
  ])('prices %s/%s (input $%s per 1M)', (provider, model, input) => {
    expect(book.priceFor(provider, model, AT)?.input_per_mtok).toBe(String(input));
    // 100k tokens: below every long-context threshold.
    expect(book.cost(provider, model, { inputTokens: 100_000, cachedTokens: 0, outputTokens: 0, reasoningTokens: 0 }, AT)?.total_cost).toBeCloseTo(input / 10, 12);
  });

  it('prices Gemini long context, cache reads and writes, reasoning and per-request fees from the catalog', () => {
    const pro = book.priceFor('gemini', 'gemini-2.5-pro', AT)!;
    expect(pro.long_context).toMatchObject({ threshold_tokens: 200_000, input_per_mtok: '2.5', output_per_mtok: '15', cached_input_per_mtok: '0.25' });
    expect(book.priceFor('anthropic', 'claude-haiku-4-5', AT)).toMatchObject({ cached_input_per_mtok: '0.1', cache_write_per_mtok: '1.25' });
    const all = book.list(AT);
    expect(all.some((p) => p.source === 'catalog' && p.reasoning_per_mtok !== undefined)).toBe(true);
    expect(all.some((p) => p.source === 'catalog' && p.request_cost !== undefined && Number(p.request_cost) > 0)).toBe(true);
  });
});

/** Equal rates; a catalog float past 12 decimal places (1/12) is rounded there. */
function sameRates(ours: Record<string, string | undefined>, theirs: Record<string, string | undefined>): boolean {
  return Object.keys(theirs).every((k) => {
    const [a, b] = [ours[k], theirs[k]];
    if (a === undefined || b === undefined) return a === b;
    return a === b || Math.abs(Number(a) - Number(b)) <= 5e-13;
  });
}
