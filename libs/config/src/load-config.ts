import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { type AppConfig, ConfigError, DEFAULT_REQUEST_LIMITS, type ProviderConfig, type UpstreamKey, fieldPath, firstIssue, parseConfig } from '@app/common';
import { priceOverridesSchema } from '@app/pricing';
import { PROVIDERS, PROVIDER_DEFINITIONS, PROVIDER_KIND_DEFINITIONS, PROVIDER_KINDS, type ProviderDefinition } from '@app/providers';
import { z } from 'zod';
import { secret, type Env, dictionary, intIn, nonEmpty, token } from './config-schema';

const DEFAULTS = {
  timeoutMs: 60_000,
  streamIdleTimeoutMs: 30_000,
  maxRetries: 2,
  retryBackoffMs: 100,
  retryBackoffMaxMs: 2_000,
};

const url = nonEmpty.transform((s, ctx) => {
  let parsed: URL;
  try {
    parsed = new URL(s);
  } catch {
    ctx.addIssue({ code: 'custom', message: `must be an absolute http(s) URL (got ${JSON.stringify(s)})` });
    return z.NEVER;
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    ctx.addIssue({ code: 'custom', message: `must use http or https (got ${parsed.protocol})` });
    return z.NEVER;
  }
  return s.replace(/\/+$/, '');
});

const stringArray = z.array(z.string().min(1), { error: 'must be an array of non-empty strings' }).default([]);
const stringMap = z.record(z.string(), z.string(), { error: 'must be an object of strings' }).transform((m) => dictionary(Object.entries(m)));
const optionalStringMap = stringMap.default(() => dictionary<string>());
const weight = z.number({ error: 'must be a positive number' }).positive({ error: 'must be a positive number' }).refine(Number.isFinite, { error: 'must be a positive number' }).default(1);

/** The fields every provider entry may hold; keys are parsed per kind (below). */
const providerSchema = z.strictObject({
    kind: z.enum(PROVIDER_KINDS, { error: `must be one of ${PROVIDER_KINDS.join(', ')}` }).optional(),
    base_url: url.optional(),
    keys: z.array(z.unknown(), { error: 'must be a non-empty array' }).min(1, { error: 'must be a non-empty array' }).optional(),
    timeout_ms: intIn(1).default(DEFAULTS.timeoutMs),
    stream_idle_timeout_ms: intIn(1).default(DEFAULTS.streamIdleTimeoutMs),
    max_retries: intIn(0, 10).default(DEFAULTS.maxRetries),
    retry_backoff_ms: intIn(0).default(DEFAULTS.retryBackoffMs),
    retry_backoff_max_ms: intIn(0).default(DEFAULTS.retryBackoffMaxMs),
    models: stringArray,
    aliases: optionalStringMap,
    headers: optionalStringMap,
    api_version: nonEmpty.optional(),
    deployments: optionalStringMap,
});

/** Where a provider entry came from, so that errors name the field or variable the operator wrote. */
type Locate = (relative: readonly PropertyKey[]) => string;

/** Parses part of a provider entry at `prefix`; the first issue becomes a ConfigError at the located field. */
function parseWith<T>(schema: z.ZodType<T, unknown>, value: unknown, locate: Locate, prefix: readonly PropertyKey[] = []): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const { path, problem } = firstIssue(result.error, value);
  throw new ConfigError(locate([...prefix, ...path]), problem);
}

function parseKeys(raw: unknown[] | undefined, kindName: string, keyOptional: boolean, env: Env, locate: Locate): UpstreamKey[] {
  const kind = PROVIDER_KIND_DEFINITIONS.get(kindName)!;
  const credentials = kind.credentials;
  if (raw === undefined) {
    if (keyOptional) return [{ id: locate(['keys', 0]), value: '', weight: 1, models: [] }];
    throw new ConfigError(locate(['keys']), 'is required (at least one upstream key)');
  }
  const credentialFields = Object.fromEntries(
    (credentials?.fields ?? []).map((f) => [f, credentials!.secretFields.includes(f) ? secret(env).optional() : z.unknown().optional()]),
  );
  const keySchema = z.strictObject({
    id: nonEmpty.optional(),
    weight,
    models: stringArray,
    // A kind with credentials of its own (Bedrock's AWS keys) takes no `value`.
    ...(credentials ? credentialFields : { value: keyOptional ? secret(env).default('') : secret(env) }),
  });
  return raw.map((entry, i) => {
    const at = ['keys', i] as const;
    const { id, weight: w, models, value, ...rest } = parseWith(keySchema, entry, locate, at) as z.infer<typeof keySchema> & { value?: string };
    const key: UpstreamKey = { id: id ?? locate(at), value: value ?? '', weight: w, models };
    if (credentials) key.aws = parseWith(credentials.schema, rest, locate, at);
    return key;
  });
}

function parseProvider(name: string, raw: unknown, env: Env, locate: Locate): ProviderConfig {
  if (!/^[a-z0-9][a-z0-9_-]*$/.test(name)) throw new ConfigError(locate([]), 'name must be lowercase letters, digits, "-" or "_"');
  const entry = parseWith(providerSchema, raw, locate);
  const known = PROVIDER_DEFINITIONS.get(name);
  const kindName = entry.kind ?? known?.kind.kind;
  if (kindName === undefined) throw new ConfigError(locate(['kind']), `is required for a provider the gateway does not know (one of ${PROVIDER_KINDS.join(', ')})`);
  const kind = PROVIDER_KIND_DEFINITIONS.get(kindName)!;
  // The default endpoint is trusted as written (Bedrock's holds a `{region}` placeholder).
  const baseUrl = entry.base_url ?? (known?.kind === kind ? known.defaultBaseUrl : undefined);
  if (baseUrl === undefined) throw new ConfigError(locate(['base_url']), 'is required for this provider');
  const keyOptional = kind.customKeyOptional === true && (known?.keyOptional ?? entry.kind !== undefined);
  return {
    name,
    kind: kindName,
    baseUrl,
    keys: parseKeys(entry.keys, kindName, keyOptional, env, locate),
    timeoutMs: entry.timeout_ms,
    streamIdleTimeoutMs: entry.stream_idle_timeout_ms,
    maxRetries: entry.max_retries,
    retryBackoffMs: entry.retry_backoff_ms,
    retryBackoffMaxMs: entry.retry_backoff_max_ms,
    models: entry.models,
    aliases: entry.aliases,
    headers: entry.headers,
    apiVersion: kind.defaultApiVersion === undefined ? undefined : (entry.api_version ?? kind.defaultApiVersion),
    deployments: entry.deployments,
  };
}

/** `<PREFIX>_API_KEY` / `<PREFIX>_BASE_URL` (or the kind's own variables) for providers the file does not configure. */
function providerFromEnv(definition: ProviderDefinition, env: Env): ProviderConfig | null {
  const credentials = definition.kind.credentials;
  if (credentials) {
    const found = credentials.fromEnv(env);
    if (found === null) return null;
    const fallback = [...found.variables.values()][0];
    return parseProvider(definition.name, found.raw, env, (rel) => found.variables.get(fieldPath('', rel)) ?? fallback);
  }
  const keyVariable = `${definition.envPrefix}_API_KEY`;
  const urlVariable = `${definition.envPrefix}_BASE_URL`;
  const apiKey = env[keyVariable];
  const baseUrl = env[urlVariable];
  if (!apiKey && !baseUrl) return null;
  if (!apiKey && !definition.keyOptional) throw new ConfigError(keyVariable, `is required when ${urlVariable} is set`);
  const raw: Record<string, unknown> = {};
  const variables = new Map<string, string>([['base_url', urlVariable]]);
  if (baseUrl) raw.base_url = baseUrl;
  if (apiKey) raw.keys = [{ id: keyVariable, value: apiKey }];
  for (const [field, variable] of Object.entries(definition.envSettings ?? {})) {
    if (env[variable]) raw[field] = env[variable];
    variables.set(field, variable);
  }
  return parseProvider(definition.name, raw, env, (rel) => variables.get(fieldPath('', rel.slice(0, 1))) ?? keyVariable);
}

const serverSchema = (env: Env) =>
  z.strictObject({
    max_body_bytes: intIn(1024).default(DEFAULT_REQUEST_LIMITS.maxBodyBytes),
    key_refresh_ms: intIn(50).default(1_000),
    change_sync_timeout_ms: intIn(0, 60_000).default(1_000),
    shutdown_grace_ms: intIn(0).default(10_000),
    log_flush_interval_ms: intIn(10).default(200),
    log_batch_size: intIn(1, 5_000).default(500),
    log_max_buffered_rows: intIn(100).default(100_000),
    response_retention_days: intIn(1, 3650).default(30),
    max_stored_response_bytes: intIn(1024).default(DEFAULT_REQUEST_LIMITS.maxStoredBytes),
    max_model_name_length: intIn(16, 8192).default(DEFAULT_REQUEST_LIMITS.maxModelNameLength),
    max_fallbacks: intIn(0, 100).default(DEFAULT_REQUEST_LIMITS.maxFallbacks),
    max_json_depth: intIn(8, 1000).default(DEFAULT_REQUEST_LIMITS.maxJsonDepth),
    default_max_output_tokens: intIn(1, 10_000_000).default(32_768),
    /** `provider/model` -> output token limit. */
    output_token_limits: z
      .record(z.string().regex(/^[a-z0-9][a-z0-9_-]*\/\S+$/, { error: 'must be keyed by "provider/model"' }), intIn(1, 10_000_000), {
        error: (iss) => (iss.code === 'invalid_type' ? 'must be an object of "provider/model" -> integer' : undefined),
      })
      .transform((m) => dictionary(Object.entries(m)))
      .default(() => dictionary<number>()),
    aborted_output_tokens_per_second: intIn(0, 100_000).default(100),
    metrics_token: secret(env).pipe(token).optional(),
    headers_timeout_ms: intIn(100).default(20_000),
    request_timeout_ms: intIn(100).default(300_000),
    body_idle_timeout_ms: intIn(100).default(30_000),
    keep_alive_timeout_ms: intIn(100).default(65_000),
    max_connections: intIn(1).default(10_000),
    upstream_connections_per_origin: intIn(1, 65_536).default(256),
  });

const fileSchema = (env: Env) =>
  z.strictObject(
    {
      providers: z.record(z.string(), z.unknown(), { error: 'must be an object keyed by provider name' }).default({}),
      pricing: priceOverridesSchema.default({}),
      server: serverSchema(env).default(() => serverSchema(env).parse({})),
    },
    { error: (iss) => (iss.code === 'invalid_type' ? 'file must hold a JSON object' : undefined) },
  );

/** An unset or empty variable takes the default. */
const unsetIsDefault = (v: unknown) => (v === '' ? undefined : v);
const envInt = (min: number, max: number, fallback: number) => z.preprocess(unsetIsDefault, intIn(min, max).default(fallback));

const envSchema = z.object({
  HOST: z.string().optional(),
  GATEWAY_PORT: envInt(0, 65535, 8080),
  ADMIN_PORT: envInt(0, 65535, 8081),
  GATEWAY_WORKERS: envInt(1, 256, 1),
  DATABASE_URL: z.preprocess(unsetIsDefault, z.string().regex(/^postgres(ql)?:\/\//, { error: 'must be a postgres:// or postgresql:// connection string' }).optional()),
  DATABASE_POOL_SIZE: envInt(1, 1_000, 10),
  DATA_DIR: z.string().optional(),
  ADMIN_TOKEN: z.preprocess(unsetIsDefault, token.optional()),
  REDIS_URL: z.string().optional(),
  STARTUP_TIMEOUT_MS: envInt(1_000, Number.MAX_SAFE_INTEGER, 120_000),
});

function readConfigFile(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError('GATEWAY_CONFIG', `points at ${file}, which cannot be read (${(err as Error).message})`);
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new ConfigError('GATEWAY_CONFIG', `file ${file} is not valid JSON (${(err as Error).message})`);
  }
}

/** Reads the environment (and GATEWAY_CONFIG) once; everything else receives the typed result. */
export function loadConfig(env: Env = process.env): AppConfig {
  const vars = parseConfig(envSchema, env, '');
  const file = parseConfig(fileSchema(env), env.GATEWAY_CONFIG ? readConfigFile(env.GATEWAY_CONFIG) : {}, 'GATEWAY_CONFIG', ' ');
  const providers = dictionary<ProviderConfig>();
  for (const [name, raw] of Object.entries(file.providers)) {
    providers[name] = parseProvider(name, raw, env, (rel) => fieldPath(`GATEWAY_CONFIG providers.${name}`, rel));
  }
  for (const definition of PROVIDERS) {
    if (Object.hasOwn(providers, definition.name)) continue;
    const fromEnv = providerFromEnv(definition, env);
    if (fromEnv) providers[definition.name] = fromEnv;
  }
  const server = file.server;
  return {
    host: vars.HOST || '127.0.0.1',
    gatewayPort: vars.GATEWAY_PORT,
    adminPort: vars.ADMIN_PORT,
    gatewayWorkers: vars.GATEWAY_WORKERS,
    databaseUrl: vars.DATABASE_URL,
    databasePoolSize: vars.DATABASE_POOL_SIZE,
    dataDir: path.resolve(vars.DATA_DIR || '.data'),
    adminToken: vars.ADMIN_TOKEN,
    redisUrl: vars.REDIS_URL || undefined,
    keyRefreshMs: server.key_refresh_ms,
    changeSyncTimeoutMs: server.change_sync_timeout_ms,
    shutdownGraceMs: server.shutdown_grace_ms,
    startupTimeoutMs: vars.STARTUP_TIMEOUT_MS,
    logWriter: {
      flushIntervalMs: server.log_flush_interval_ms,
      batchSize: server.log_batch_size,
      maxBufferedRows: server.log_max_buffered_rows,
    },
    responseRetentionDays: server.response_retention_days,
    providers,
    pricing: file.pricing,
    limits: {
      maxBodyBytes: server.max_body_bytes,
      maxStoredBytes: server.max_stored_response_bytes,
      maxModelNameLength: server.max_model_name_length,
      maxFallbacks: server.max_fallbacks,
      maxJsonDepth: server.max_json_depth,
    },
    http: {
      headersTimeoutMs: server.headers_timeout_ms,
      requestTimeoutMs: server.request_timeout_ms,
      bodyIdleTimeoutMs: server.body_idle_timeout_ms,
      keepAliveTimeoutMs: server.keep_alive_timeout_ms,
      maxConnections: server.max_connections,
      upstreamConnectionsPerOrigin: server.upstream_connections_per_origin,
    },
    governance: {
      defaultMaxOutputTokens: server.default_max_output_tokens,
      outputTokenLimits: server.output_token_limits,
      abortedOutputTokensPerSecond: server.aborted_output_tokens_per_second,
    },
    metricsToken: server.metrics_token,
  };
}
