import { COST_SCALE, PRICE_SCALE, costToDecimalString, normalizeDecimal, parseDecimal, powerOfTen, scaledCostToDecimalString, tokenCost, unitsToNumber } from './decimal';
import type { CostResult, LongContextSpec, ModelPrice, PriceSpec, TokenUsage } from './price-spec';

interface CompiledTier {
  thresholdTokens: number;
  input: bigint;
  output: bigint;
  cachedInput: bigint;
  cacheWrite: bigint;
}

/** A price turned into fixed-point units once, so that pricing a request is integer arithmetic only. */
export interface CompiledPrice {
  price: ModelPrice;
  input: bigint;
  output: bigint;
  cachedInput: bigint;
  cacheWrite: bigint;
  reasoning: bigint | null;
  request: bigint;
  longContext: CompiledTier | null;
  /** Worked out on first use (see scaledOf); undefined until then. */
  scaled: ScaledPrice | null | undefined;
}

interface ScaledRates {
  input: number;
  output: number;
  cachedInput: number;
  cacheWrite: number;
}

/**
 * The same amounts as safe integers of units of 10^(shift - COST_SCALE) USD (per token for the
 * rates). A rate has few significant digits (0.15 per 1M tokens is 15 x 10^10 price units), so
 * in these units a request's cost is a small integer that a double holds exactly, and pricing it
 * needs no BigInt. Null when some amount does not fit.
 */
interface ScaledPrice {
  /** The trailing zeros all the amounts (in cost units) share, at most COST_SCALE. */
  shift: number;
  /** 10^(COST_SCALE - shift): an amount in these units divided by it is the nearest double to the USD amount. */
  divisor: number;
  base: ScaledRates;
  long: ScaledRates | null;
  reasoning: number;
  request: number;
}

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/**
 * The entry's scaled amounts, worked out when first asked for: the whole catalog is compiled at
 * start (to list it), but only the few models requests go to are ever priced.
 */
export function scaledOf(entry: CompiledPrice): ScaledPrice | null {
  if (entry.scaled === undefined) entry.scaled = scaledPrice(entry);
  return entry.scaled;
}

function scaledPrice(price: CompiledPrice): ScaledPrice | null {
  const long = price.longContext;
  const reasoning = price.reasoning ?? 0n;
  const amounts = [price.input, price.output, price.cachedInput, price.cacheWrite, reasoning, price.request];
  if (long !== null) amounts.push(long.input, long.output, long.cachedInput, long.cacheWrite);
  let shift = COST_SCALE;
  for (const amount of amounts) {
    if (amount === 0n) continue;
    const digits = amount.toString();
    let zeros = 0;
    while (zeros < shift && digits.charCodeAt(digits.length - 1 - zeros) === 48 /* 0 */) zeros++;
    shift = zeros;
  }
  const unit = 10n ** BigInt(shift);
  if (amounts.some((amount) => amount / unit > MAX_SAFE)) return null;
  const scaled = (amount: bigint): number => Number(amount / unit);
  const rates = (r: Pick<CompiledTier, keyof ScaledRates>): ScaledRates => ({
    input: scaled(r.input),
    output: scaled(r.output),
    cachedInput: scaled(r.cachedInput),
    cacheWrite: scaled(r.cacheWrite),
  });
  return {
    shift,
    divisor: powerOfTen(COST_SCALE - shift),
    base: rates(price),
    long: long === null ? null : rates(long),
    reasoning: scaled(reasoning),
    request: scaled(price.request),
  };
}

/** `price` must hold canonical decimals (see canonicalSpec). */
export function compile(price: ModelPrice): CompiledPrice {
  const units = (text: string): bigint => parseDecimal(text) as bigint;
  const input = units(price.input_per_mtok);
  const cachedInput = price.cached_input_per_mtok !== undefined ? units(price.cached_input_per_mtok) : input;
  const cacheWrite = price.cache_write_per_mtok !== undefined ? units(price.cache_write_per_mtok) : input;
  const long = price.long_context;
  const longInput = long ? units(long.input_per_mtok) : 0n;
  return {
    price,
    input,
    output: units(price.output_per_mtok),
    cachedInput,
    cacheWrite,
    reasoning: price.reasoning_per_mtok !== undefined ? units(price.reasoning_per_mtok) : null,
    // request_cost is USD, not USD per 1M tokens: scale it to cost units directly.
    request: price.request_cost !== undefined ? units(price.request_cost) * 10n ** BigInt(COST_SCALE - PRICE_SCALE) : 0n,
    longContext: long
      ? {
          thresholdTokens: long.threshold_tokens,
          input: longInput,
          output: units(long.output_per_mtok),
          // A tier without its own cache prices keeps the base cache prices; where the base has
          // none, cache tokens cost the input rate, and in the tier that is the tier's input rate.
          cachedInput: long.cached_input_per_mtok !== undefined ? units(long.cached_input_per_mtok) : price.cached_input_per_mtok !== undefined ? cachedInput : longInput,
          cacheWrite: long.cache_write_per_mtok !== undefined ? units(long.cache_write_per_mtok) : price.cache_write_per_mtok !== undefined ? cacheWrite : longInput,
        }
      : null,
    scaled: undefined,
  };
}

export function computeCost(entry: CompiledPrice, usage: TokenUsage): CostResult {
  const inputTokens = count(usage.inputTokens, 'inputTokens');
  const cachedTokens = count(usage.cachedTokens, 'cachedTokens');
  const cacheWriteTokens = count(usage.cacheWriteTokens ?? 0, 'cacheWriteTokens');
  const outputTokens = count(usage.outputTokens, 'outputTokens');
  const reasoningTokens = count(usage.reasoningTokens, 'reasoningTokens');

  const longContext = entry.longContext !== null && inputTokens > entry.longContext.thresholdTokens;
  // Providers occasionally report cache counts that exceed the input total; never bill negative tokens.
  const uncachedTokens = Math.max(0, inputTokens - cachedTokens - cacheWriteTokens);
  // Reasoning tokens are output tokens; where reasoning has a price of its own, they are billed at it instead.
  const billedReasoning = entry.reasoning !== null ? Math.min(reasoningTokens, outputTokens) : 0;
  const plainOutputTokens = outputTokens - billedReasoning;

  const scaled = scaledOf(entry);
  if (scaled !== null) {
    const rates = longContext ? scaled.long! : scaled.base;
    const input = uncachedTokens * rates.input + cachedTokens * rates.cachedInput + cacheWriteTokens * rates.cacheWrite;
    const output = plainOutputTokens * rates.output;
    const reasoning = billedReasoning * scaled.reasoning;
    const total = input + output + reasoning + scaled.request;
    // All terms are non-negative integers, so a total below 2^53 means every product and sum
    // on the way was exact; a larger one is priced on BigInt below.
    if (total <= Number.MAX_SAFE_INTEGER) {
      const divisor = scaled.divisor;
      return {
        input_tokens_cost: input / divisor,
        output_tokens_cost: output / divisor,
        reasoning_tokens_cost: reasoning / divisor,
        request_cost: scaled.request / divisor,
        total_cost: total / divisor,
        total_cost_usd: scaledCostToDecimalString(total, scaled.shift),
      };
    }
  }

  const tier = longContext ? entry.longContext! : entry;
  const input =
    tokenCost(uncachedTokens, tier.input) + tokenCost(cachedTokens, tier.cachedInput) + tokenCost(cacheWriteTokens, tier.cacheWrite);
  const output = tokenCost(plainOutputTokens, tier.output);
  const reasoning = entry.reasoning !== null ? tokenCost(billedReasoning, entry.reasoning) : 0n;
  const request = entry.request;
  const total = input + output + reasoning + request;

  return {
    input_tokens_cost: unitsToNumber(input, COST_SCALE),
    output_tokens_cost: unitsToNumber(output, COST_SCALE),
    reasoning_tokens_cost: unitsToNumber(reasoning, COST_SCALE),
    request_cost: unitsToNumber(request, COST_SCALE),
    total_cost: unitsToNumber(total, COST_SCALE),
    total_cost_usd: costToDecimalString(total),
  };
}

function count(value: number, name: string): number {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(`usage.${name} must be a non-negative integer, got ${String(value)}`);
  }
  return value;
}

/** The spec with every amount in canonical decimal form ("0.150" -> "0.15"). */
export function canonicalSpec(spec: PriceSpec): PriceSpec {
  const out: PriceSpec = {
    input_per_mtok: normalizeDecimal(spec.input_per_mtok),
    output_per_mtok: normalizeDecimal(spec.output_per_mtok),
  };
  if (spec.cached_input_per_mtok !== undefined) out.cached_input_per_mtok = normalizeDecimal(spec.cached_input_per_mtok);
  if (spec.cache_write_per_mtok !== undefined) out.cache_write_per_mtok = normalizeDecimal(spec.cache_write_per_mtok);
  if (spec.reasoning_per_mtok !== undefined) out.reasoning_per_mtok = normalizeDecimal(spec.reasoning_per_mtok);
  if (spec.request_cost !== undefined) out.request_cost = normalizeDecimal(spec.request_cost);
  if (spec.long_context) {
    const long = spec.long_context;
    const tier: LongContextSpec = {
      threshold_tokens: long.threshold_tokens,
      input_per_mtok: normalizeDecimal(long.input_per_mtok),
      output_per_mtok: normalizeDecimal(long.output_per_mtok),
    };
    if (long.cached_input_per_mtok !== undefined) tier.cached_input_per_mtok = normalizeDecimal(long.cached_input_per_mtok);
    if (long.cache_write_per_mtok !== undefined) tier.cache_write_per_mtok = normalizeDecimal(long.cache_write_per_mtok);
    out.long_context = tier;
  }
  return out;
}

/** A frozen, compiled price for `provider/model`. */
export function compilePrice(provider: string, model: string, spec: PriceSpec, extra: Omit<ModelPrice, keyof PriceSpec | 'id' | 'provider' | 'model'>): CompiledPrice {
  return compile(deepFreeze({ ...canonicalSpec(spec), id: `${provider}/${model}`, provider, model, ...extra }));
}

function deepFreeze<T extends object>(value: T): T {
  for (const child of Object.values(value)) if (typeof child === 'object' && child !== null) Object.freeze(child);
  return Object.freeze(value);
}
