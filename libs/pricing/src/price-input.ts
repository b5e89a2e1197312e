import { PRICE_SCALE, expandExponent, normalizeDecimal, parseDecimal } from './decimal';
import type { LongContextSpec, PriceSpec } from './price-spec';

// Validation of prices written by people: GATEWAY_CONFIG `pricing` and admin prices.

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

export const DEFAULT_CONFIG_PATH = 'GATEWAY_CONFIG pricing';


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
    result[id] = parsePriceSpec(value, at);
  }
  return result;
}

/**
 * Validates one price (an override, or a stored admin price) and returns it canonical. Throws an
 * Error whose message starts with `at` and the offending field.
 */
export function parsePriceSpec(value: unknown, at: string): PriceSpec {
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

function rejectUnknown(obj: Record<string, unknown>, allowed: readonly string[], at: string): void {
  for (const key of Object.keys(obj)) {
    if (!allowed.includes(key)) throw new Error(`${at}.${key} is not a known field (expected one of ${allowed.join(', ')})`);
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
