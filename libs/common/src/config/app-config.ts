import type { PriceSpec } from '../pricing/price-spec';
import type { RequestLimits } from '../limits/request-limits';

/** One upstream credential of a provider; weights pick among the keys that allow a model. */
export interface UpstreamKey {
  id: string;
  value: string;
  weight: number;
  /** Model patterns (`gpt-4o`, `gpt-4o*`, `*`) this key may serve; empty = all. */
  models: string[];
  /** Bedrock: the AWS credentials and region this key signs with (SigV4); `value` is unused. */
  aws?: AwsCredentials;
}

export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  region: string;
}

export interface ProviderConfig {
  name: string;
  /** A kind of the provider registry (libs/providers), checked when the configuration is loaded. */
  kind: string;
  baseUrl: string;
  keys: UpstreamKey[];
  /** Time to the upstream's response headers, and for non-streaming calls to the whole body. */
  timeoutMs: number;
  /** Longest silence allowed between two chunks of a stream. */
  streamIdleTimeoutMs: number;
  /** Extra attempts on the same provider (other keys on 429) before falling back. */
  maxRetries: number;
  retryBackoffMs: number;
  retryBackoffMaxMs: number;
  /** Models advertised by GET /v1/models; requests may still name others. */
  models: string[];
  /** Requested model name -> upstream model name. */
  aliases: Record<string, string>;
  /** Static headers added to every upstream request. */
  headers: Record<string, string>;
  /** Azure: api-version query parameter and model -> deployment names. */
  apiVersion?: string;
  deployments: Record<string, string>;
}

export interface LogWriterConfig {
  flushIntervalMs: number;
  batchSize: number;
  maxBufferedRows: number;
}

export interface AppConfig {
  host: string;
  gatewayPort: number;
  adminPort: number;
  /** Gateway worker processes sharing the port (node:cluster); 1 = no cluster. */
  gatewayWorkers: number;
  databaseUrl?: string;
  /** Connections each app keeps open to the database (the pg pool's size). */
  databasePoolSize: number;
  /** Where the embedded database keeps its files when DATABASE_URL is unset. */
  dataDir: string;
  adminToken?: string;
  redisUrl?: string;
  /** How often the gateway re-reads keys and policies anyway (changes are pushed; this is the safety net). */
  keyRefreshMs: number;
  /** How long an admin write waits for every gateway replica to confirm the change is in force. */
  changeSyncTimeoutMs: number;
  shutdownGraceMs: number;
  /** A start-up not serving by then (database away, another process's migrations stuck) exits non-zero. */
  startupTimeoutMs: number;
  logWriter: LogWriterConfig;
  /** Days a stored response (`store: true`) is kept before the background purge deletes it. */
  responseRetentionDays: number;
  providers: Record<string, ProviderConfig>;
  /** GATEWAY_CONFIG `pricing`: `provider/model` -> price, validated at start. */
  pricing: Record<string, PriceSpec>;
  /** Bounds of client input (libs/common/src/limits). */
  limits: RequestLimits;
  http: HttpServerConfig;
  governance: GovernanceConfig;
  /** When set, GET /metrics needs `Authorization: Bearer <token>`. */
  metricsToken?: string;
}

/** The gateway's own HTTP server: what a slow or silent client may hold. */
export interface HttpServerConfig {
  /** Until a request's headers are in. */
  headersTimeoutMs: number;
  /** Until a request (headers and body) is in. */
  requestTimeoutMs: number;
  /** Longest silence between two chunks of a request body. */
  bodyIdleTimeoutMs: number;
  keepAliveTimeoutMs: number;
  /** Open connections; past it new ones are dropped at once. */
  maxConnections: number;
  /** Connections to one upstream origin; shared fairly among virtual keys when all are busy. */
  upstreamConnectionsPerOrigin: number;
}

/** What admission assumes of a request before it ran (see apps/gateway/src/governance). */
export interface GovernanceConfig {
  /** Output cap of a model whose own limit is unknown, when the request sets no max_output_tokens. */
  defaultMaxOutputTokens: number;
  /** `provider/model` -> output limit, over the shipped table (null prototype: looked up by request names). */
  outputTokenLimits: Record<string, number>;
  /** Output charged per second of an aborted non-streaming request (it is billed upstream, unseen). */
  abortedOutputTokensPerSecond: number;
}

export const APP_CONFIG = Symbol('APP_CONFIG');
