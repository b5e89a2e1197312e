// Shapes of the admin API (see CONTRACT.md, "Admin"), as the dashboard reads them.

export type BudgetPeriod = '1h' | '1d' | '1w' | '1M' | 'total';

export interface Budget {
  max_usd: number;
  period: BudgetPeriod;
}

export interface RateLimit {
  requests_per_minute: number | null;
  tokens_per_minute: number | null;
  max_concurrent_requests?: number | null;
}

export interface Spend {
  period_start: string | null;
  period_end: string | null;
  spent_usd: number;
  remaining_usd: number | null;
}

export interface VirtualKey {
  id: string;
  name: string;
  key_prefix: string;
  allowed_models: string[];
  budget: Budget | null;
  rate_limit: RateLimit | null;
  fallback_policy_id: string | null;
  expires_at: string | null;
  is_active: boolean;
  metadata: Record<string, unknown>;
  revoked_at: string | null;
  created_at: string;
  updated_at: string;
  /** Current-period spend; absent on servers that predate it. */
  spend?: Spend | null;
  total_spent_usd?: number | null;
}

export interface CreatedVirtualKey extends VirtualKey {
  key: string;
}

export interface VirtualKeyInput {
  name?: string;
  allowed_models?: string[];
  budget?: Budget | null;
  rate_limit?: { requests_per_minute?: number; tokens_per_minute?: number; max_concurrent_requests?: number } | null;
  fallback_policy_id?: string | null;
  expires_at?: string | null;
  is_active?: boolean;
}

export interface FallbackPolicy {
  id: string;
  name: string;
  model: string;
  fallbacks: string[];
  on_status: number[] | null;
  created_at: string;
  updated_at: string;
}

export interface FallbackPolicyInput {
  name: string;
  model: string;
  fallbacks: string[];
  on_status?: number[] | null;
}

export type LogStatus = 'success' | 'error';
export type RequestType = 'responses' | 'chat_completions' | 'messages' | 'embeddings';

export interface RequestLog {
  id: string;
  request_id: string;
  created_at: string;
  virtual_key_id: string | null;
  request_type: RequestType;
  provider: string;
  model: string;
  model_requested: string;
  fallback_index: number;
  status: LogStatus;
  http_status: number;
  error_code: string | null;
  error_message?: string | null;
  stream: boolean;
  input_tokens: number;
  cached_tokens: number;
  output_tokens: number;
  reasoning_tokens: number;
  total_tokens: number;
  cost_usd: number | null;
  latency_ms: number;
  ttft_ms: number | null;
}

export interface RequestLogDetail extends RequestLog {
  attempts?: RequestLog[];
}

export interface Page<T> {
  data: T[];
  next_cursor: string | null;
}

export interface LogFilters {
  virtual_key_id?: string;
  provider?: string;
  model?: string;
  status?: LogStatus;
  request_type?: RequestType;
  from?: string;
  to?: string;
  limit?: number;
  cursor?: string;
}

export type UsageGroup = 'hour' | 'day' | 'model' | 'provider' | 'virtual_key' | 'request_type';

export interface UsageTotals {
  requests: number;
  errors: number;
  input_tokens: number;
  output_tokens: number;
  cost_usd: number | null;
}

export interface UsageBucket extends UsageTotals {
  bucket: string | null;
}

export interface Usage {
  data: UsageBucket[];
  totals?: UsageTotals;
  from?: string;
  to?: string;
}

export interface UsageQuery {
  group_by: UsageGroup;
  from?: string;
  to?: string;
  virtual_key_id?: string;
}

export interface ApiErrorBody {
  error?: { message?: string; type?: string; param?: string | null; code?: string | null };
}

export interface UpstreamKey {
  id: string;
  weight: number;
  models: string[];
}

export interface Provider {
  name: string;
  kind: string;
  base_url: string;
  models: string[];
  aliases?: Record<string, string>;
  keys?: UpstreamKey[];
}

export type PriceSource = 'override' | 'admin' | 'built_in' | 'catalog';

/** Body of PUT /api/pricing/{provider}/{model}: decimal strings, USD per 1M tokens (request_cost: USD per request). */
export interface ModelPriceInput {
  input_per_mtok: string;
  output_per_mtok: string;
  cached_input_per_mtok?: string;
  cache_write_per_mtok?: string;
  reasoning_per_mtok?: string;
  request_cost?: string;
}

/** A price in force, with where it comes from. */
export interface ModelPrice extends ModelPriceInput {
  id: string;
  provider: string;
  model: string;
  source?: PriceSource;
  catalog_version?: string;
  time_varying?: boolean;
  reference?: string;
  updated_at?: string;
  long_context?: { threshold_tokens: number; input_per_mtok: string; output_per_mtok: string; cached_input_per_mtok?: string; cache_write_per_mtok?: string };
}

export interface PricingList {
  data: ModelPrice[];
  catalog?: { package: string; version: string; published_at: string | null };
  checked_at?: string;
}

export interface UnpricedModel {
  id: string;
  provider: string;
  model: string;
  requests: number;
  last_seen_at: string;
}
