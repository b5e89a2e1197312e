import type { LongContextSpec, PriceSpec } from '@app/common';

export type { LongContextSpec, PriceSpec };

// The shapes of a price, shared by the catalog, the built-in supplement, admin prices and the
// operator's overrides. Amounts are decimal strings in USD per 1M tokens (exact; see decimal.ts).
//
// Conventions:
// - input_per_mtok prices input tokens that were neither read from nor written to a cache.
// - cached_input_per_mtok prices cache reads; absent means cache reads cost the input rate.
// - cache_write_per_mtok prices cache writes (5-minute TTL); absent means the input rate.
// - reasoning_per_mtok only where a provider prices reasoning separately; otherwise reasoning
//   tokens are billed as output (they are counted inside output tokens).
// - long_context applies to the whole request when its input tokens exceed threshold_tokens.

/** Built-in prices by provider, then model; `reference` names where the figures come from. */
export type PriceSheet = Readonly<Record<string, Readonly<Record<string, PriceSpec & { reference?: string }>>>>;

/**
 * Where a price came from, in the order they win: `override` (GATEWAY_CONFIG `pricing`), `admin`
 * (set through the admin API, stored in Postgres), then `built_in` (the few entries the catalog
 * lacks) and `catalog` (the installed @pydantic/genai-prices version).
 */
export type PriceSource = 'override' | 'admin' | 'built_in' | 'catalog';

export const PRICE_SOURCES: readonly PriceSource[] = ['override', 'admin', 'built_in', 'catalog'];

/** A resolved price. Amounts are canonical decimal strings (USD per 1M tokens) so they print exactly. */
export interface ModelPrice extends PriceSpec {
  /** `provider/model` of the entry that priced the request (may differ from the requested id). */
  id: string;
  provider: string;
  model: string;
  source: PriceSource;
  /** Catalog prices: the package version they come from. */
  catalog_version?: string;
  /** Catalog prices whose amount depends on the date or the time of day (the one in force now is shown). */
  time_varying?: boolean;
  /** Built-in prices: where the figures were taken from. */
  reference?: string;
  /** Admin prices: when they were last set. */
  updated_at?: string;
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

/** What the catalog knows of a model's size limits; null where it does not say. */
export interface ModelLimits {
  /** `provider/model` of the catalog entry the limits come from. */
  id: string;
  /** Input plus output tokens the model accepts in one request. */
  context_window: number | null;
  /** Output tokens one response may hold (the installed catalog does not carry it yet). */
  max_output_tokens: number | null;
}
