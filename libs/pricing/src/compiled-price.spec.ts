import { PriceCatalog } from './catalog';
import { type CompiledPrice, compilePrice, computeCost, scaledOf } from './compiled-price';
import { COST_SCALE, costToDecimalString, scaledCostToDecimalString } from './decimal';
import { PRICE_SHEET } from './price-sheet';
import type { PriceSpec, TokenUsage } from './price-spec';

const usage = (inputTokens: number, outputTokens: number, cachedTokens = 0, cacheWriteTokens = 0, reasoningTokens = 0): TokenUsage => ({
  inputTokens,
  cachedTokens,
  cacheWriteTokens,
  outputTokens,
  reasoningTokens,
});

const MAX = Number.MAX_SAFE_INTEGER;

// Zero, one token, usual requests, cache and reasoning counts past their totals, both sides of
// the long-context thresholds, and counts too large for the doubles (priced on BigInt).
const USAGES: TokenUsage[] = [
  usage(0, 0),
  usage(1, 0),
  usage(0, 1),
  usage(1, 1, 1, 0, 1),
  usage(12, 9),
  usage(3, 7),
  usage(1_234_567, 7_654, 1_000),
  usage(50_000, 3_000, 20_000, 10_000, 1_000),
  usage(100, 10, 200, 50, 20),
  usage(200_000, 1_000, 0, 0, 2_000),
  usage(200_001, 1_000, 100_000),
  usage(272_001, 1_000, 1, 1, 999),
  usage(300_000, 10_000, 100_000, 50_000, 4_000),
  usage(123_456_789, 98_765_432, 23_456_789, 0, 8_765_432),
  usage(9_999_999_999, 9_999_999_999, 999_999_999, 999_999_999, 99_999_999),
  usage(MAX, MAX, MAX, MAX, MAX),
  usage(MAX, 0, 0, MAX),
];

const spec = (s: PriceSpec) => s;

// Rates of every shape: fractions computed as floats (1/12), a per-request fee, a reasoning rate,
// a long-context tier with and without its own cache rates, free, and one too large for doubles.
const SYNTHETIC: [string, PriceSpec][] = [
  ['twelfth', spec({ input_per_mtok: '0.083333333333', output_per_mtok: '0.333333333333' })],
  ['fee', spec({ input_per_mtok: '1', output_per_mtok: '1', request_cost: '0.005' })],
  ['tiny-fee', spec({ input_per_mtok: '0.15', output_per_mtok: '0.6', request_cost: '0.000000000001' })],
  ['thinker', spec({ input_per_mtok: '0.3', output_per_mtok: '2.5', reasoning_per_mtok: '3.5', cached_input_per_mtok: '0.03' })],
  ['long', spec({ input_per_mtok: '1.25', output_per_mtok: '10', cached_input_per_mtok: '0.125', long_context: { threshold_tokens: 200_000, input_per_mtok: '2.5', output_per_mtok: '15' } })],
  ['long-cache', spec({ input_per_mtok: '3', output_per_mtok: '15', cache_write_per_mtok: '3.75', long_context: { threshold_tokens: 200_000, input_per_mtok: '6', output_per_mtok: '22.5', cached_input_per_mtok: '0.6', cache_write_per_mtok: '7.5' } })],
  ['free', spec({ input_per_mtok: '0', output_per_mtok: '0' })],
  ['dear', spec({ input_per_mtok: '99999.999999999999', output_per_mtok: '1' })],
  ['huge', spec({ input_per_mtok: '123456789', output_per_mtok: '0.000000000001' })],
];

function allPrices(): CompiledPrice[] {
  const prices: CompiledPrice[] = SYNTHETIC.map(([model, s]) => compilePrice('test', model, s, { source: 'override' }));
  for (const [provider, models] of Object.entries(PRICE_SHEET)) {
    for (const [model, { reference: _, ...s }] of Object.entries(models)) prices.push(compilePrice(provider, model, s, { source: 'built_in' }));
  }
  const catalog = new PriceCatalog();
  for (const provider of catalog.providers()) {
    for (const model of catalog.models(provider)) for (const variant of model.variants) if (variant.price !== null) prices.push(variant.price);
  }
  return prices;
}

describe('computeCost', () => {
  const prices = allPrices();

  it('prices on doubles exactly what it prices on BigInt, for every rate the gateway knows and every kind of usage', () => {
    let compared = 0;
    for (const price of prices) {
      // The BigInt path is the reference: the same entry without its scaled rates.
      const reference = { ...price, scaled: null };
      for (const u of USAGES) {
        expect([price.price.id, u, computeCost(price, u)]).toEqual([price.price.id, u, computeCost(reference, u)]);
        compared++;
      }
    }
    expect(compared).toBeGreaterThan(1000);
  });

  it('keeps almost every price on doubles; rates with too many digits go to BigInt', () => {
    const scaled = prices.filter((p) => scaledOf(p) !== null);
    expect(scaled.length).toBeGreaterThan(prices.length * 0.95);
    const byModel = new Map(prices.map((p) => [p.price.id, p]));
    expect(scaledOf(byModel.get('test/dear')!)).toBeNull();
    // 0.000000000001 USD a request is 10^6 cost units: still a small integer once scaled.
    expect(scaledOf(byModel.get('test/tiny-fee')!)).toMatchObject({ shift: 6, request: 1 });
    expect(scaledOf(byModel.get('test/free')!)).toMatchObject({ shift: COST_SCALE, divisor: 1 });
  });

  it('gives the exact decimal of a fractional rate, where a product of doubles would not', () => {
    const twelfth = prices.find((p) => p.price.id === 'test/twelfth')!;
    const cost = computeCost(twelfth, usage(5, 0));
    // 5 x 0.083333333333 / 1M = 0.000000416666666665
    expect(cost.input_tokens_cost).toBe(4.16666666665e-7);
    expect(cost.total_cost_usd).toBe('0.0000004167');
    expect((5 * 0.083333333333) / 1e6).toBe(4.1666666666499997e-7);
  });

  it('prices a zero usage at zero, and the fee alone where there is one', () => {
    const fee = prices.find((p) => p.price.id === 'test/fee')!;
    expect(computeCost(fee, usage(0, 0))).toEqual({ input_tokens_cost: 0, output_tokens_cost: 0, reasoning_tokens_cost: 0, request_cost: 0.005, total_cost: 0.005, total_cost_usd: '0.0050000000' });
  });
});

describe('scaledCostToDecimalString', () => {
  it('formats as costToDecimalString formats the same amount in cost units, rounding half away from zero', () => {
    const mantissas = [0, 1, 4, 5, 9, 10, 49_999_999, 50_000_000, 50_000_001, 149_999_999, 150_000_000, 5_000_000_000, 12_345_678_901_234, 99_999_999_999, Number.MAX_SAFE_INTEGER];
    let seed = 3;
    for (let i = 0; i < 200; i++) {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      mantissas.push(Math.floor((seed / 2 ** 31) ** 3 * Number.MAX_SAFE_INTEGER));
    }
    for (let shift = 0; shift <= COST_SCALE; shift++) {
      for (const m of mantissas) {
        expect([m, shift, scaledCostToDecimalString(m, shift)]).toEqual([m, shift, costToDecimalString(BigInt(m) * 10n ** BigInt(shift))]);
      }
    }
  });
});
