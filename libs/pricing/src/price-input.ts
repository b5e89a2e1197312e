import { fieldPath, firstIssue } from '@app/common';
import { z } from 'zod';
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

const AMOUNT_ERROR = `must be a non-negative number (at most ${PRICE_SCALE} decimal places)`;

/** A JSON number or decimal string, as canonical decimal text. */
const amount = z.union([z.number(), z.string()], { error: AMOUNT_ERROR }).transform((value, ctx) => {
  const text = decimalText(value);
  if (text === null) {
    ctx.addIssue({ code: 'custom', message: AMOUNT_ERROR, input: value });
    return z.NEVER;
  }
  return normalizeDecimal(text);
});

const longContextSchema: z.ZodType<LongContextSpec, unknown> = z.strictObject(
  {
    threshold_tokens: z.int({ error: 'must be a positive integer' }).positive({ error: 'must be a positive integer' }),
    input_per_mtok: amount,
    output_per_mtok: amount,
    cached_input_per_mtok: amount.optional(),
    cache_write_per_mtok: amount.optional(),
  },
  { error: (iss) => (iss.code === 'invalid_type' ? 'must be an object' : undefined) },
);

/** One price: a GATEWAY_CONFIG override, or a stored admin price. Output is canonical. */
export const priceSpecSchema: z.ZodType<PriceSpec, unknown> = z.strictObject(
  {
    input_per_mtok: amount,
    output_per_mtok: amount,
    cached_input_per_mtok: amount.optional(),
    cache_write_per_mtok: amount.optional(),
    reasoning_per_mtok: amount.optional(),
    request_cost: amount.optional(),
    long_context: longContextSchema.optional(),
  },
  { error: (iss) => (iss.code === 'invalid_type' ? 'must be an object' : undefined) },
);

/** GATEWAY_CONFIG `pricing`: `provider/model` -> price. */
export const priceOverridesSchema: z.ZodType<Record<string, PriceSpec>, unknown> = z.record(
  z.string().regex(/^[^/]+\/.+$/, { error: 'must be keyed by "provider/model"' }),
  priceSpecSchema,
  { error: (iss) => (iss.code === 'invalid_type' ? 'must be an object of "provider/model" -> price' : undefined) },
);

export const DEFAULT_CONFIG_PATH = 'GATEWAY_CONFIG pricing';

/** Parses with `schema`, or throws an Error whose message starts with the offending field under `at`. */
function parseOrThrow<T>(schema: z.ZodType<T, unknown>, value: unknown, at: string): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const { path, problem } = firstIssue(result.error, value);
  throw new Error(`${fieldPath(at, path)} ${problem}`);
}

/**
 * Validates a `pricing` object (`provider/model` -> price) and returns canonical price specs;
 * errors start with the field, e.g. `GATEWAY_CONFIG pricing["openai/x"].input_per_mtok must be ...`.
 */
export function parsePriceOverrides(raw: unknown, path: string = DEFAULT_CONFIG_PATH): Record<string, PriceSpec> {
  return parseOrThrow(priceOverridesSchema, raw, path);
}

/** Validates one price (an override, or a stored admin price) and returns it canonical. */
export function parsePriceSpec(value: unknown, at: string): PriceSpec {
  return parseOrThrow(priceSpecSchema, value, at);
}

/** A JSON number or decimal string as decimal text, or null if it is not a non-negative amount. */
function decimalText(value: number | string): string | null {
  let text: string;
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value < 0) return null;
    // The shortest text that round-trips is what the operator wrote in the JSON file.
    text = expandExponent(String(value));
  } else {
    text = value.trim();
  }
  return parseDecimal(text) === null ? null : text;
}
