import {
  COST_SCALE,
  PRICE_SCALE,
  costToDecimalString,
  normalizeDecimal,
  parseDecimal,
  tokenCost,
  unitsToNumber,
} from './decimal';
import { LongContextSpec, PRICE_SHEET, PriceSheet, PriceSpec } from './price-sheet';

/** One `pricing` entry of GATEWAY_CONFIG; prices in USD per 1M tokens (number or decimal string). */
export interface PriceOverrideJson {
  input_per_mtok: number | string;
  output_per_mtok: number | string;
  cached_input_per_mtok?: number | string;
  cache_write_per_mtok?: number | string;
  reasoning_per_mtok?: number | string;
  /** USD per request, on top of token costs. */
  request_cost?: number | string;
  long_context?: {
    threshold_tokens: number;
    input_per_mtok: number | string;
    output_per_mtok: number | string;
    cached_input_per_mtok?: number | string;
    cache_write_per_mtok?: number | string;
  };
}

export type PriceSource = 'built_in' | 'override';

/** A resolved price. Amounts are canonical decimal strings (USD per 1M tokens) so they print exactly. */
export interface ModelPrice extends PriceSpec {
  /** `provider/model` of the entry that priced the request (may differ from the requested id). */
  id: string;
  provider: string;
  model: string;
  source: PriceSource;
}

export interface CostBreakdown {
  input_tokens_cost: number;
  output_tokens_cost: number;
  reasoning_tokens_cost: number;
  request_cost: number;
  total_cost: number;
}

/** CostBreakdown plus the exact total for the log row (numeric(20,10)). */
export interface CostResult extends CostBreakdown {
  total_cost_usd: string;
}

export interface TokenUsage {
  /** All input tokens, including cached (read) and cache-write tokens. */
  inputTokens: number;
  /** Input tokens read from a prompt cache (part of inputTokens). */
  cachedTokens: number;
  /** Input tokens written to a prompt cache (part of inputTokens). */
  cacheWriteTokens?: number;
  /** All output tokens, including reasoning tokens. */
  outputTokens: number;
  /** Reasoning tokens (part of outputTokens). */
  reasoningTokens: number;
}

export interface PriceBookOptions {
  /** `provider/model` -> override, typically GATEWAY_CONFIG's `pricing`. Validated on construction. */
  overrides?: Readonly<Record<string, unknown>>;
  /** Prefix for validation messages, naming where the overrides came from. */
  configPath?: string;
  /** Replaces the built-in sheet (tests). */
  sheet?: PriceSheet;
}

const DEFAULT_CONFIG_PATH = 'GATEWAY_CONFIG pricing';

/**
 * Providers whose own price list is authoritative for a model name. A provider that resells
 * models (azure, openrouter, vertex, a self-hosted OpenAI-compatible proxy...) is priced as the
 * first of these that lists the model.
 */
export const FIRST_PARTY_PROVIDERS = ['openai', 'anthropic', 'gemini', 'mistral', 'deepseek', 'xai', 'cohere'] as const;

/** Vendor segments used by aggregators (`openrouter/google/gemini-2.5-pro`) that differ from our provider names. */
const VENDOR_ALIASES: Readonly<Record<string, string>> = {
  google: 'gemini',
  'x-ai': 'xai',
  mistralai: 'mistral',
};

// -2024-08-06, -20250929, -08-2024 (Cohere), @20250929 (Vertex), -latest.
const DATED_SUFFIX = /(?:-(?:\d{4}-\d{2}-\d{2}|\d{8}|\d{2}-\d{4}|latest)|@\d{8})$/;
// Bedrock cross-region inference profiles: us.anthropic.claude-..., global.anthropic.claude-...
const BEDROCK_PROFILE_PREFIX = /^(?:us|eu|apac|ap|jp|au|ca|us-gov|global)\./;

interface CompiledTier {
  thresholdTokens: number;
  input: bigint;
  output: bigint;
  cachedInput: bigint;
  cacheWrite: bigint;
}

interface CompiledPrice {
  price: ModelPrice;
  input: bigint;
  output: bigint;
  cachedInput: bigint;
  cacheWrite: bigint;
  reasoning: bigint | null;
  request: bigint;
  longContext: CompiledTier | null;
}

/**
 * Prices for every `provider/model` the gateway can call: the built-in sheet with the operator's
 * overrides on top. Immutable; build one at start-up and share it.
 *
 * Lookup of `provider/model`, first hit wins (an override takes part in every step, so an
 * override of `openai/gpt-4o` also prices `azure/gpt-4o`):
 *  1. exact `provider/model` (case-insensitive);
 *  2. the model with a date suffix (`-2024-08-06`, `-20250929`, `-08-2024`, `@20250929`) or `-latest` removed,
 *     and for bedrock a cross-region profile prefix (`us.`, `global.`) removed;
 *  3. resellers: a model written `vendor/model` (openrouter style) is priced as that vendor's
 *     model; any other model name is priced as the first of FIRST_PARTY_PROVIDERS that lists it.
 * No match -> null: the caller must record "unpriced", never a cost of 0.
 */
export class PriceBook {
  private readonly entries = new Map<string, CompiledPrice>();
  private readonly resolved = new Map<string, CompiledPrice | null>();

  constructor(options: PriceBookOptions = {}) {
    const sheet = options.sheet ?? PRICE_SHEET;
    for (const [provider, models] of Object.entries(sheet)) {
      for (const [model, spec] of Object.entries(models)) {
        this.add(provider, model, spec, 'built_in');
      }
    }
    const overrides = parsePriceOverrides(options.overrides ?? {}, options.configPath ?? DEFAULT_CONFIG_PATH);
    for (const [id, spec] of Object.entries(overrides)) {
      const [provider, model] = splitModelId(id);
      this.add(provider, model, spec, 'override');
    }
  }

  priceFor(provider: string, model: string): ModelPrice | null {
    return this.resolve(provider, model)?.price ?? null;
  }

  /** Cost of one request, or null when the model has no price. */
  cost(provider: string, model: string, usage: TokenUsage): CostResult | null {
    const entry = this.resolve(provider, model);
    if (!entry) return null;
    return computeCost(entry, usage);
  }

  /** Every priced model, sorted by id (for GET /api/pricing). */
  list(): ModelPrice[] {
    return [...this.entries.values()].map((entry) => entry.price).sort((a, b) => a.id.localeCompare(b.id));
  }

  private add(provider: string, model: string, spec: PriceSpec, source: PriceSource): void {
    const key = `${provider.toLowerCase()}/${model.toLowerCase()}`;
    const price = deepFreeze({ ...canonicalSpec(spec), id: `${provider}/${model}`, provider, model, source });
    this.entries.set(key, compile(price));
  }

  private resolve(provider: string, model: string): CompiledPrice | null {
    const requested = `${provider}/${model}`.toLowerCase();
    // Lookups run per request; the answer for an id never changes, so remember it (nulls too).
    const cached = this.resolved.get(requested);
    if (cached !== undefined) return cached;
    const found = this.lookup(provider.toLowerCase(), model.toLowerCase());
    if (this.resolved.size < 10_000) this.resolved.set(requested, found);
    return found;
  }

  private lookup(provider: string, model: string): CompiledPrice | null {
    const direct = this.find(provider, model);
    if (direct) return direct;

    const slash = model.indexOf('/');
    if (slash > 0) {
      const vendor = model.slice(0, slash);
      return this.find((Object.hasOwn(VENDOR_ALIASES, vendor) ? VENDOR_ALIASES[vendor] : undefined) ?? vendor, model.slice(slash + 1));
    }
    for (const firstParty of FIRST_PARTY_PROVIDERS) {
      if (firstParty === provider) continue;
      const resold = this.find(firstParty, model);
      if (resold) return resold;
    }
    return null;
  }

  /** Steps 1 and 2 for one provider. */
  private find(provider: string, model: string): CompiledPrice | null {
    const exact = this.entries.get(`${provider}/${model}`);
    if (exact) return exact;
    let stripped = model;
    if (provider === 'bedrock') stripped = stripped.replace(BEDROCK_PROFILE_PREFIX, '');
    stripped = stripped.replace(DATED_SUFFIX, '');
    return stripped === model ? null : (this.entries.get(`${provider}/${stripped}`) ?? null);
  }
}

/** The five `usage.cost` fields of the public response, without the log-only decimal string. */
export function toUsageCost(result: CostBreakdown): CostBreakdown {
  return {
    input_tokens_cost: result.input_tokens_cost,
    output_tokens_cost: result.output_tokens_cost,
    reasoning_tokens_cost: result.reasoning_tokens_cost,
    request_cost: result.request_cost,
    total_cost: result.total_cost,
  };
}

function computeCost(entry: CompiledPrice, usage: TokenUsage): CostResult {
  const inputTokens = count(usage.inputTokens, 'inputTokens');
  const cachedTokens = count(usage.cachedTokens, 'cachedTokens');
  const cacheWriteTokens = count(usage.cacheWriteTokens ?? 0, 'cacheWriteTokens');
  const outputTokens = count(usage.outputTokens, 'outputTokens');
  const reasoningTokens = count(usage.reasoningTokens, 'reasoningTokens');

  const tier = entry.longContext && inputTokens > entry.longContext.thresholdTokens ? entry.longContext : entry;
  // Providers occasionally report cache counts that exceed the input total; never bill negative tokens.
  const uncachedTokens = Math.max(0, inputTokens - cachedTokens - cacheWriteTokens);

  const input =
    tokenCost(uncachedTokens, tier.input) + tokenCost(cachedTokens, tier.cachedInput) + tokenCost(cacheWriteTokens, tier.cacheWrite);

  let output: bigint;
  let reasoning = 0n;
  if (entry.reasoning !== null) {
    const billedReasoning = Math.min(reasoningTokens, outputTokens);
    output = tokenCost(outputTokens - billedReasoning, tier.output);
    reasoning = tokenCost(billedReasoning, entry.reasoning);
  } else {
    output = tokenCost(outputTokens, tier.output);
  }
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

function compile(price: ModelPrice): CompiledPrice {
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
          // A tier without its own cache prices keeps the base cache prices.
          cachedInput: long.cached_input_per_mtok !== undefined ? units(long.cached_input_per_mtok) : cachedInput,
          cacheWrite: long.cache_write_per_mtok !== undefined ? units(long.cache_write_per_mtok) : cacheWrite,
        }
      : null,
  };
}

function canonicalSpec(spec: PriceSpec): PriceSpec {
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

function deepFreeze<T extends object>(value: T): T {
  for (const child of Object.values(value)) if (typeof child === 'object' && child !== null) Object.freeze(child);
  return Object.freeze(value);
}

function splitModelId(id: string): [string, string] {
  const slash = id.indexOf('/');
  return [id.slice(0, slash), id.slice(slash + 1)];
}

// ---- validation of GATEWAY_CONFIG `pricing` ----

const PRICE_FIELDS = ['input_per_mtok', 'output_per_mtok', 'cached_input_per_mtok', 'cache_write_per_mtok', 'reasoning_per_mtok', 'request_cost'] as const;
const REQUIRED_PRICE_FIELDS = new Set<string>(['input_per_mtok', 'output_per_mtok']);
const TIER_PRICE_FIELDS = ['input_per_mtok', 'output_per_mtok', 'cached_input_per_mtok', 'cache_write_per_mtok'] as const;

/**
 * Validates GATEWAY_CONFIG's `pricing` object and returns it as canonical price specs.
 * Throws an Error whose message starts with the offending field's path, e.g.
 * `GATEWAY_CONFIG pricing["openai/x"].input_per_mtok must be a non-negative number`.
 */
export function parsePriceOverrides(raw: unknown, path: string = DEFAULT_CONFIG_PATH): Record<string, PriceSpec> {
  if (!isPlainObject(raw)) throw new Error(`${path} must be an object of "provider/model" -> price`);
  const result: Record<string, PriceSpec> = {};
  for (const [id, value] of Object.entries(raw)) {
    const at = `${path}[${JSON.stringify(id)}]`;
    const slash = id.indexOf('/');
    if (slash <= 0 || slash === id.length - 1) throw new Error(`${at} must be keyed by "provider/model"`);
    result[id] = parseOverride(value, at);
  }
  return result;
}

function parseOverride(value: unknown, at: string): PriceSpec {
  if (!isPlainObject(value)) throw new Error(`${at} must be an object`);
  rejectUnknown(value, [...PRICE_FIELDS, 'long_context'], at);
  const spec: Partial<PriceSpec> = {};
  for (const field of PRICE_FIELDS) {
    const price = priceField(value, field, at, REQUIRED_PRICE_FIELDS.has(field));
    if (price !== undefined) spec[field] = price;
  }
  if (value.long_context !== undefined) {
    const tierAt = `${at}.long_context`;
    const tier = value.long_context;
    if (!isPlainObject(tier)) throw new Error(`${tierAt} must be an object`);
    rejectUnknown(tier, ['threshold_tokens', ...TIER_PRICE_FIELDS], tierAt);
    const threshold = tier.threshold_tokens;
    if (typeof threshold !== 'number' || !Number.isSafeInteger(threshold) || threshold <= 0) {
      throw new Error(`${tierAt}.threshold_tokens must be a positive integer`);
    }
    const long: Partial<LongContextSpec> = { threshold_tokens: threshold };
    for (const field of TIER_PRICE_FIELDS) {
      const price = priceField(tier, field, tierAt, REQUIRED_PRICE_FIELDS.has(field));
      if (price !== undefined) long[field] = price;
    }
    spec.long_context = long as LongContextSpec;
  }
  return spec as PriceSpec;
}

function priceField(obj: Record<string, unknown>, field: string, at: string, required: boolean): string | undefined {
  const value = obj[field];
  if (value === undefined) {
    if (required) throw new Error(`${at}.${field} is required`);
    return undefined;
  }
  const text = decimalText(value);
  if (text === null) throw new Error(`${at}.${field} must be a non-negative number (at most ${PRICE_SCALE} decimal places)`);
  return normalizeDecimal(text);
}

/** A JSON number or decimal string as decimal text, or null if it is not a non-negative amount. */
function decimalText(value: unknown): string | null {
  let text: string;
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value < 0) return null;
    // The shortest text that round-trips is what the operator wrote in the JSON file.
    text = expandExponent(String(value));
  } else if (typeof value === 'string') {
    text = value.trim();
  } else {
    return null;
  }
  return parseDecimal(text) === null ? null : text;
}

/** "1.5e-7" -> "0.00000015"; plain decimals pass through. */
function expandExponent(text: string): string {
  const match = /^(\d+)(?:\.(\d+))?e([+-]\d+)$/.exec(text);
  if (!match) return text;
  const digits = match[1] + (match[2] ?? '');
  const point = match[1].length + Number(match[3]);
  if (point <= 0) return `0.${'0'.repeat(-point)}${digits}`;
  if (point >= digits.length) return digits + '0'.repeat(point - digits.length);
  return `${digits.slice(0, point)}.${digits.slice(point)}`;
}

function rejectUnknown(obj: Record<string, unknown>, allowed: readonly string[], at: string): void {
  for (const key of Object.keys(obj)) {
    if (!allowed.includes(key)) throw new Error(`${at}.${key} is not a known field (expected one of ${allowed.join(', ')})`);
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
