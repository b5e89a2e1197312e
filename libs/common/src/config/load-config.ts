import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { parsePriceOverrides } from '@app/pricing';
import { DEFAULT_REQUEST_LIMITS } from '../limits/request-limits';
import type { AppConfig, AwsCredentials, ProviderConfig, UpstreamKey } from './app-config';
import { BEDROCK_DEFAULT_BASE_URL, PROVIDER_CATALOG, PROVIDER_KINDS, type ProviderKind } from './provider-catalog';

/** Start-up refuses bad configuration with a message naming the variable or field. */
export class ConfigError extends Error {
  constructor(readonly field: string, problem: string) {
    super(`Invalid configuration: ${field} ${problem}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;
type Json = Record<string, unknown>;

const DEFAULTS = {
  timeoutMs: 60_000,
  streamIdleTimeoutMs: 30_000,
  maxRetries: 2,
  retryBackoffMs: 100,
  retryBackoffMaxMs: 2_000,
  azureApiVersion: '2025-04-01-preview',
};

/** Maps that requests index by name (`providers[name]`, `aliases[model]`) have no prototype: `constructor` is not a key. */
function dictionary<T>(entries: Iterable<[string, T]> = []): Record<string, T> {
  const out = Object.create(null) as Record<string, T>;
  for (const [k, v] of entries) out[k] = v;
  return out;
}

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function rejectUnknown(obj: Json, allowed: readonly string[], where: string): void {
  for (const k of Object.keys(obj)) {
    if (!allowed.includes(k)) throw new ConfigError(`${where}.${k}`, 'is not a known field');
  }
}

function intFrom(value: unknown, field: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < min || n > max) {
    throw new ConfigError(field, `must be an integer between ${min} and ${max} (got ${JSON.stringify(value)})`);
  }
  return n;
}

function optInt(obj: Json, key: string, where: string, fallback: number, min = 0, max?: number): number {
  return obj[key] === undefined ? fallback : intFrom(obj[key], `${where}.${key}`, min, max);
}

function str(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.trim() === '') throw new ConfigError(field, 'must be a non-empty string');
  return value;
}

function url(value: unknown, field: string): string {
  const s = str(value, field);
  let parsed: URL;
  try {
    parsed = new URL(s);
  } catch {
    throw new ConfigError(field, `must be an absolute http(s) URL (got ${JSON.stringify(s)})`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new ConfigError(field, `must use http or https (got ${parsed.protocol})`);
  }
  return s.replace(/\/+$/, '');
}

function stringArray(value: unknown, field: string): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string' || v === '')) {
    throw new ConfigError(field, 'must be an array of non-empty strings');
  }
  return value as string[];
}

function stringMap(value: unknown, field: string): Record<string, string> {
  if (value === undefined) return dictionary();
  if (!isObject(value) || Object.values(value).some((v) => typeof v !== 'string')) {
    throw new ConfigError(field, 'must be an object of strings');
  }
  return dictionary(Object.entries(value as Record<string, string>));
}

/** `"env.NAME"` in a key value reads the secret from the environment, so files need hold none. */
function secret(value: unknown, field: string, env: Env): string {
  const s = str(value, field);
  if (!s.startsWith('env.')) return s;
  const fromEnv = env[s.slice(4)];
  if (!fromEnv) throw new ConfigError(field, `refers to ${s.slice(4)}, which is not set`);
  return fromEnv;
}

const KEY_FIELDS = ['id', 'value', 'weight', 'models', 'access_key_id', 'secret_access_key', 'session_token', 'region'] as const;
const AWS_KEY_FIELDS = ['access_key_id', 'secret_access_key', 'session_token', 'region'] as const;
const DEFAULT_AWS_REGION = 'us-east-1';
const PROVIDER_FIELDS = [
  'kind', 'base_url', 'keys', 'timeout_ms', 'stream_idle_timeout_ms', 'max_retries', 'retry_backoff_ms',
  'retry_backoff_max_ms', 'models', 'aliases', 'headers', 'api_version', 'deployments',
] as const;

/** Bedrock keys are AWS credentials (SigV4) with the region they sign for, instead of a `value`. */
function awsCredentials(raw: Json, at: string, env: Env): AwsCredentials {
  const region = raw.region === undefined ? DEFAULT_AWS_REGION : str(raw.region, `${at}.region`);
  if (!/^[a-z0-9-]+$/.test(region)) throw new ConfigError(`${at}.region`, `must be an AWS region such as us-east-1 (got ${JSON.stringify(region)})`);
  const creds: AwsCredentials = {
    accessKeyId: secret(raw.access_key_id, `${at}.access_key_id`, env),
    secretAccessKey: secret(raw.secret_access_key, `${at}.secret_access_key`, env),
    region,
  };
  if (raw.session_token !== undefined) creds.sessionToken = secret(raw.session_token, `${at}.session_token`, env);
  return creds;
}

function parseKeys(value: unknown, where: string, env: Env, keyOptional: boolean, kind?: ProviderKind): UpstreamKey[] {
  if (value === undefined) {
    if (keyOptional) return [{ id: `${where}.keys[0]`, value: '', weight: 1, models: [] }];
    throw new ConfigError(`${where}.keys`, 'is required (at least one upstream key)');
  }
  if (!Array.isArray(value) || value.length === 0) throw new ConfigError(`${where}.keys`, 'must be a non-empty array');
  return value.map((raw, i) => {
    const at = `${where}.keys[${i}]`;
    if (!isObject(raw)) throw new ConfigError(at, 'must be an object');
    rejectUnknown(raw, KEY_FIELDS, at);
    if (kind !== 'bedrock') {
      const awsField = AWS_KEY_FIELDS.find((f) => raw[f] !== undefined);
      if (awsField !== undefined) throw new ConfigError(`${at}.${awsField}`, 'is only for bedrock providers');
    } else if (raw.value !== undefined) {
      throw new ConfigError(`${at}.value`, 'is not used by bedrock: give access_key_id, secret_access_key (and session_token, region)');
    }
    const weight = raw.weight === undefined ? 1 : raw.weight;
    if (typeof weight !== 'number' || !(weight > 0) || !Number.isFinite(weight)) {
      throw new ConfigError(`${at}.weight`, 'must be a positive number');
    }
    const key: UpstreamKey = {
      id: raw.id === undefined ? at : str(raw.id, `${at}.id`),
      value: (keyOptional || kind === 'bedrock') && raw.value === undefined ? '' : secret(raw.value, `${at}.value`, env),
      weight,
      models: stringArray(raw.models, `${at}.models`),
    };
    if (kind === 'bedrock') key.aws = awsCredentials(raw, at, env);
    return key;
  });
}

function parseProvider(name: string, raw: unknown, env: Env): ProviderConfig {
  const where = `GATEWAY_CONFIG providers.${name}`;
  if (!/^[a-z0-9][a-z0-9_-]*$/.test(name)) {
    throw new ConfigError(where, 'name must be lowercase letters, digits, "-" or "_"');
  }
  if (!isObject(raw)) throw new ConfigError(where, 'must be an object');
  rejectUnknown(raw, PROVIDER_FIELDS, where);
  const catalog = Object.hasOwn(PROVIDER_CATALOG, name) ? PROVIDER_CATALOG[name] : undefined;
  const kind = (raw.kind ?? catalog?.kind) as ProviderKind | undefined;
  if (!kind) throw new ConfigError(`${where}.kind`, `is required for a provider the gateway does not know (one of ${PROVIDER_KINDS.join(', ')})`);
  if (!PROVIDER_KINDS.includes(kind)) throw new ConfigError(`${where}.kind`, `must be one of ${PROVIDER_KINDS.join(', ')}`);
  const baseUrlRaw = raw.base_url ?? (catalog?.kind === kind ? catalog.defaultBaseUrl : undefined);
  if (baseUrlRaw === undefined) throw new ConfigError(`${where}.base_url`, 'is required for this provider');
  const keyOptional = (kind === 'openai-compatible' || kind === 'chat-completions') && (catalog?.keyOptional ?? raw.kind !== undefined);
  return {
    name,
    kind,
    // Bedrock's default endpoint is per region, filled in per key when the request is built.
    baseUrl: baseUrlRaw === BEDROCK_DEFAULT_BASE_URL && raw.base_url === undefined ? BEDROCK_DEFAULT_BASE_URL : url(baseUrlRaw, `${where}.base_url`),
    keys: parseKeys(raw.keys, where, env, keyOptional, kind),
    timeoutMs: optInt(raw, 'timeout_ms', where, DEFAULTS.timeoutMs, 1),
    streamIdleTimeoutMs: optInt(raw, 'stream_idle_timeout_ms', where, DEFAULTS.streamIdleTimeoutMs, 1),
    maxRetries: optInt(raw, 'max_retries', where, DEFAULTS.maxRetries, 0, 10),
    retryBackoffMs: optInt(raw, 'retry_backoff_ms', where, DEFAULTS.retryBackoffMs, 0),
    retryBackoffMaxMs: optInt(raw, 'retry_backoff_max_ms', where, DEFAULTS.retryBackoffMaxMs, 0),
    models: stringArray(raw.models, `${where}.models`),
    aliases: stringMap(raw.aliases, `${where}.aliases`),
    headers: stringMap(raw.headers, `${where}.headers`),
    apiVersion: kind === 'azure' ? (raw.api_version === undefined ? DEFAULTS.azureApiVersion : str(raw.api_version, `${where}.api_version`)) : undefined,
    deployments: stringMap(raw.deployments, `${where}.deployments`),
  };
}

/** `<PREFIX>_API_KEY` / `<PREFIX>_BASE_URL` shortcuts for providers the file does not configure. */
function providersFromEnv(env: Env, configured: Set<string>): Record<string, ProviderConfig> {
  const out: Record<string, ProviderConfig> = {};
  for (const [name, entry] of Object.entries(PROVIDER_CATALOG)) {
    if (configured.has(name)) continue;
    if (entry.kind === 'bedrock') {
      const bedrock = bedrockFromEnv(name, env);
      if (bedrock) out[name] = bedrock;
      continue;
    }
    const apiKey = env[`${entry.envPrefix}_API_KEY`];
    const baseUrl = env[`${entry.envPrefix}_BASE_URL`];
    if (!apiKey && !baseUrl) continue;
    if (!apiKey && !entry.keyOptional) throw new ConfigError(`${entry.envPrefix}_API_KEY`, `is required when ${entry.envPrefix}_BASE_URL is set`);
    const raw: Json = {};
    if (baseUrl) raw.base_url = baseUrl;
    if (apiKey) raw.keys = [{ id: `${entry.envPrefix}_API_KEY`, value: apiKey }];
    if (entry.kind === 'azure' && env.AZURE_OPENAI_API_VERSION) raw.api_version = env.AZURE_OPENAI_API_VERSION;
    try {
      out[name] = parseProvider(name, raw, env);
    } catch (err) {
      // Name the variable the user actually set, not the file path of the synthetic entry.
      if (err instanceof ConfigError) {
        const field = err.field.endsWith('.base_url') ? `${entry.envPrefix}_BASE_URL` : `${entry.envPrefix}_API_KEY`;
        throw new ConfigError(field, err.message.replace(/^Invalid configuration: \S+ /, ''));
      }
      throw err;
    }
  }
  return out;
}

/**
 * Bedrock from the standard AWS variables: AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY
 * (+ AWS_SESSION_TOKEN), AWS_REGION (else AWS_DEFAULT_REGION, else us-east-1), and
 * BEDROCK_BASE_URL to override the region's endpoint.
 */
function bedrockFromEnv(name: string, env: Env): ProviderConfig | null {
  const accessKeyId = env.AWS_ACCESS_KEY_ID;
  const baseUrl = env.BEDROCK_BASE_URL;
  if (!accessKeyId && !baseUrl) return null;
  if (!accessKeyId) throw new ConfigError('AWS_ACCESS_KEY_ID', 'is required when BEDROCK_BASE_URL is set');
  if (!env.AWS_SECRET_ACCESS_KEY) throw new ConfigError('AWS_SECRET_ACCESS_KEY', 'is required when AWS_ACCESS_KEY_ID is set');
  const region = env.AWS_REGION || env.AWS_DEFAULT_REGION || DEFAULT_AWS_REGION;
  const key: Json = { id: 'AWS_ACCESS_KEY_ID', access_key_id: accessKeyId, secret_access_key: env.AWS_SECRET_ACCESS_KEY, region };
  if (env.AWS_SESSION_TOKEN) key.session_token = env.AWS_SESSION_TOKEN;
  const raw: Json = { keys: [key] };
  if (baseUrl) raw.base_url = baseUrl;
  try {
    return parseProvider(name, raw, env);
  } catch (err) {
    if (err instanceof ConfigError) {
      const field = err.field.endsWith('.base_url') ? 'BEDROCK_BASE_URL' : err.field.endsWith('.region') ? 'AWS_REGION' : 'AWS_ACCESS_KEY_ID';
      throw new ConfigError(field, err.message.replace(/^Invalid configuration: \S+ /, ''));
    }
    throw err;
  }
}

function readConfigFile(file: string): Json {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError('GATEWAY_CONFIG', `points at ${file}, which cannot be read (${(err as Error).message})`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new ConfigError('GATEWAY_CONFIG', `file ${file} is not valid JSON (${(err as Error).message})`);
  }
  if (!isObject(parsed)) throw new ConfigError('GATEWAY_CONFIG', 'file must hold a JSON object');
  rejectUnknown(parsed, ['providers', 'pricing', 'server'], 'GATEWAY_CONFIG');
  return parsed;
}

const SERVER_FIELDS = [
  'max_body_bytes', 'key_refresh_ms', 'change_sync_timeout_ms', 'shutdown_grace_ms', 'log_flush_interval_ms', 'log_batch_size', 'log_max_buffered_rows', 'response_retention_days',
  'max_stored_response_bytes', 'max_model_name_length', 'max_fallbacks', 'max_json_depth',
  'default_max_output_tokens', 'output_token_limits', 'aborted_output_tokens_per_second', 'metrics_token',
  'headers_timeout_ms', 'request_timeout_ms', 'body_idle_timeout_ms', 'keep_alive_timeout_ms', 'max_connections', 'upstream_connections_per_origin',
] as const;

/** A token that guards something must not be guessable: at least this long. */
export const MIN_TOKEN_LENGTH = 16;

function token(value: string | undefined, field: string): string | undefined {
  if (value === undefined || value === '') return undefined;
  if (value.length < MIN_TOKEN_LENGTH) throw new ConfigError(field, `must be at least ${MIN_TOKEN_LENGTH} characters long (got ${value.length})`);
  if (/\s/.test(value)) throw new ConfigError(field, 'must not contain whitespace');
  return value;
}

/** `provider/model` -> output token limit. */
function outputTokenLimits(value: unknown, field: string): Record<string, number> {
  if (value === undefined) return dictionary();
  if (!isObject(value)) throw new ConfigError(field, 'must be an object of "provider/model" -> integer');
  return dictionary(
    Object.entries(value).map(([id, n]) => {
      if (!/^[a-z0-9][a-z0-9_-]*\/\S+$/.test(id)) throw new ConfigError(`${field}[${JSON.stringify(id)}]`, 'must be keyed by "provider/model"');
      return [id, intFrom(n, `${field}[${JSON.stringify(id)}]`, 1, 10_000_000)];
    }),
  );
}

function port(env: Env, name: string, fallback: number): number {
  return env[name] === undefined || env[name] === '' ? fallback : intFrom(env[name], name, 0, 65535);
}

/** Reads the environment (and GATEWAY_CONFIG) once; everything else receives the typed result. */
export function loadConfig(env: Env = process.env): AppConfig {
  const file = env.GATEWAY_CONFIG ? readConfigFile(env.GATEWAY_CONFIG) : {};
  const providers = dictionary<ProviderConfig>();
  if (file.providers !== undefined) {
    if (!isObject(file.providers)) throw new ConfigError('GATEWAY_CONFIG providers', 'must be an object keyed by provider name');
    for (const [name, raw] of Object.entries(file.providers)) providers[name] = parseProvider(name, raw, env);
  }
  Object.assign(providers, providersFromEnv(env, new Set(Object.keys(providers))));

  const server = isObject(file.server) ? file.server : {};
  if (file.server !== undefined) {
    if (!isObject(file.server)) throw new ConfigError('GATEWAY_CONFIG server', 'must be an object');
    rejectUnknown(server, SERVER_FIELDS, 'GATEWAY_CONFIG server');
  }
  const where = 'GATEWAY_CONFIG server';
  if (env.DATABASE_URL !== undefined && env.DATABASE_URL !== '' && !/^postgres(ql)?:\/\//.test(env.DATABASE_URL)) {
    throw new ConfigError('DATABASE_URL', 'must be a postgres:// or postgresql:// connection string');
  }
  let pricing: AppConfig['pricing'] = {};
  if (file.pricing !== undefined) {
    try {
      pricing = parsePriceOverrides(file.pricing, 'GATEWAY_CONFIG pricing');
    } catch (err) {
      // The pricing lib words its errors "<field path> must/is ...": keep the field as the field.
      const message = (err as Error).message;
      const m = /^(.*?) ((?:must|is) .*)$/.exec(message);
      throw m ? new ConfigError(m[1], m[2]) : new ConfigError('GATEWAY_CONFIG pricing', message);
    }
  }
  return {
    host: env.HOST || '127.0.0.1',
    gatewayPort: port(env, 'GATEWAY_PORT', 8080),
    adminPort: port(env, 'ADMIN_PORT', 8081),
    gatewayWorkers: env.GATEWAY_WORKERS === undefined || env.GATEWAY_WORKERS === '' ? 1 : intFrom(env.GATEWAY_WORKERS, 'GATEWAY_WORKERS', 1, 256),
    databaseUrl: env.DATABASE_URL || undefined,
    databasePoolSize: env.DATABASE_POOL_SIZE === undefined || env.DATABASE_POOL_SIZE === '' ? 10 : intFrom(env.DATABASE_POOL_SIZE, 'DATABASE_POOL_SIZE', 1, 1_000),
    dataDir: path.resolve(env.DATA_DIR || '.data'),
    adminToken: token(env.ADMIN_TOKEN, 'ADMIN_TOKEN'),
    redisUrl: env.REDIS_URL || undefined,
    keyRefreshMs: optInt(server, 'key_refresh_ms', where, 1_000, 50),
    changeSyncTimeoutMs: optInt(server, 'change_sync_timeout_ms', where, 1_000, 0, 60_000),
    shutdownGraceMs: optInt(server, 'shutdown_grace_ms', where, 10_000, 0),
    startupTimeoutMs: env.STARTUP_TIMEOUT_MS === undefined || env.STARTUP_TIMEOUT_MS === '' ? 120_000 : intFrom(env.STARTUP_TIMEOUT_MS, 'STARTUP_TIMEOUT_MS', 1_000),
    logWriter: {
      flushIntervalMs: optInt(server, 'log_flush_interval_ms', where, 200, 10),
      batchSize: optInt(server, 'log_batch_size', where, 500, 1, 5_000),
      maxBufferedRows: optInt(server, 'log_max_buffered_rows', where, 100_000, 100),
    },
    responseRetentionDays: optInt(server, 'response_retention_days', where, 30, 1, 3650),
    providers,
    pricing,
    limits: {
      maxBodyBytes: optInt(server, 'max_body_bytes', where, DEFAULT_REQUEST_LIMITS.maxBodyBytes, 1024),
      maxStoredBytes: optInt(server, 'max_stored_response_bytes', where, DEFAULT_REQUEST_LIMITS.maxStoredBytes, 1024),
      maxModelNameLength: optInt(server, 'max_model_name_length', where, DEFAULT_REQUEST_LIMITS.maxModelNameLength, 16, 8192),
      maxFallbacks: optInt(server, 'max_fallbacks', where, DEFAULT_REQUEST_LIMITS.maxFallbacks, 0, 100),
      maxJsonDepth: optInt(server, 'max_json_depth', where, DEFAULT_REQUEST_LIMITS.maxJsonDepth, 8, 1000),
    },
    http: {
      headersTimeoutMs: optInt(server, 'headers_timeout_ms', where, 20_000, 100),
      requestTimeoutMs: optInt(server, 'request_timeout_ms', where, 300_000, 100),
      bodyIdleTimeoutMs: optInt(server, 'body_idle_timeout_ms', where, 30_000, 100),
      keepAliveTimeoutMs: optInt(server, 'keep_alive_timeout_ms', where, 65_000, 100),
      maxConnections: optInt(server, 'max_connections', where, 10_000, 1),
      upstreamConnectionsPerOrigin: optInt(server, 'upstream_connections_per_origin', where, 256, 1, 65_536),
    },
    governance: {
      defaultMaxOutputTokens: optInt(server, 'default_max_output_tokens', where, 32_768, 1, 10_000_000),
      outputTokenLimits: outputTokenLimits(server.output_token_limits, `${where}.output_token_limits`),
      abortedOutputTokensPerSecond: optInt(server, 'aborted_output_tokens_per_second', where, 100, 0, 100_000),
    },
    metricsToken: server.metrics_token === undefined ? undefined : token(secret(server.metrics_token, `${where}.metrics_token`, env), `${where}.metrics_token`),
  };
}
