// A price as configuration carries it (GATEWAY_CONFIG `pricing`): decimal strings in USD per 1M
// tokens. Here, at the bottom layer, because AppConfig holds it; libs/pricing documents the conventions.

export interface LongContextSpec {
  threshold_tokens: number;
  input_per_mtok: string;
  output_per_mtok: string;
  cached_input_per_mtok?: string;
  cache_write_per_mtok?: string;
}

export interface PriceSpec {
  input_per_mtok: string;
  output_per_mtok: string;
  cached_input_per_mtok?: string;
  cache_write_per_mtok?: string;
  reasoning_per_mtok?: string;
  /** USD per request, on top of token costs. */
  request_cost?: string;
  long_context?: LongContextSpec;
}
