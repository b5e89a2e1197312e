import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { ConfigError } from '@app/common';
import { loadConfig } from './load-config';

function withFile(json: unknown): string {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'cfg-')), 'gateway.json');
  writeFileSync(file, typeof json === 'string' ? json : JSON.stringify(json));
  return file;
}

function errorOf(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('has the contract defaults with an empty environment', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({ host: '127.0.0.1', gatewayPort: 8080, adminPort: 8081, databaseUrl: undefined, adminToken: undefined, providers: {} });
  });

  it('configures providers from <PROVIDER>_API_KEY / _BASE_URL shortcuts', () => {
    const c = loadConfig({ OPENAI_API_KEY: 'sk-1', GROQ_API_KEY: 'g', OLLAMA_BASE_URL: 'http://127.0.0.1:11434/v1/', AZURE_OPENAI_API_KEY: 'az', AZURE_OPENAI_BASE_URL: 'https://r.openai.azure.com' });
    expect(c.providers.openai).toMatchObject({ kind: 'openai', baseUrl: 'https://api.openai.com/v1', keys: [{ value: 'sk-1', weight: 1 }] });
    expect(c.providers.groq).toMatchObject({ kind: 'openai-compatible', baseUrl: 'https://api.groq.com/openai/v1' });
    expect(c.providers.ollama).toMatchObject({ baseUrl: 'http://127.0.0.1:11434/v1', keys: [{ value: '' }] });
    expect(c.providers.azure).toMatchObject({ kind: 'azure', apiVersion: '2025-04-01-preview' });
  });

  it('reads GATEWAY_CONFIG with weighted keys, model allowlists, timeouts and env references', () => {
    const file = withFile({
      providers: {
        openai: { keys: [{ value: 'env.MY_KEY', weight: 3, models: ['gpt-4o*'] }, { value: 'k2' }], timeout_ms: 1000, max_retries: 0 },
        local: { kind: 'openai-compatible', base_url: 'http://10.0.0.1:8000/v1', aliases: { fast: 'llama-3-8b' } },
      },
    });
    const c = loadConfig({ GATEWAY_CONFIG: file, MY_KEY: 'secret', OPENAI_API_KEY: 'ignored: the file wins' });
    expect(c.providers.openai.keys).toEqual([
      { id: 'GATEWAY_CONFIG providers.openai.keys[0]', value: 'secret', weight: 3, models: ['gpt-4o*'] },
      { id: 'GATEWAY_CONFIG providers.openai.keys[1]', value: 'k2', weight: 1, models: [] },
    ]);
    expect(c.providers.openai).toMatchObject({ timeoutMs: 1000, maxRetries: 0, streamIdleTimeoutMs: 30000 });
    expect(c.providers.local).toMatchObject({ aliases: { fast: 'llama-3-8b' }, keys: [{ value: '' }] });
  });

  it('takes the database pool size from DATABASE_POOL_SIZE, 10 by default', () => {
    expect(loadConfig({}).databasePoolSize).toBe(10);
    expect(loadConfig({ DATABASE_POOL_SIZE: '1' }).databasePoolSize).toBe(1);
  });

  it.each([
    [{ GATEWAY_PORT: 'abc' }, 'GATEWAY_PORT'],
    [{ ADMIN_PORT: '70000' }, 'ADMIN_PORT'],
    [{ GATEWAY_WORKERS: '0' }, 'GATEWAY_WORKERS'],
    [{ DATABASE_POOL_SIZE: '0' }, 'DATABASE_POOL_SIZE'],
    [{ DATABASE_POOL_SIZE: 'ten' }, 'DATABASE_POOL_SIZE'],
    [{ DATABASE_URL: 'mysql://x' }, 'DATABASE_URL'],
    [{ OPENAI_BASE_URL: 'http://x/v1' }, 'OPENAI_API_KEY'],
    [{ OPENAI_API_KEY: 'k', OPENAI_BASE_URL: 'not a url' }, 'OPENAI_BASE_URL'],
    [{ AZURE_OPENAI_API_KEY: 'k' }, 'AZURE_OPENAI_BASE_URL'],
  ])('names the bad variable: %j', (env, field) => {
    const err = errorOf(() => loadConfig(env));
    expect(err.field).toBe(field);
    expect(err.message).toContain(field);
  });

  it.each([
    [{ providers: { openai: { keys: [{ value: 'k', weight: -1 }] } } }, 'GATEWAY_CONFIG providers.openai.keys[0].weight'],
    [{ providers: { openai: { keys: [] } } }, 'GATEWAY_CONFIG providers.openai.keys'],
    [{ providers: { openai: { keys: [{ value: 'k' }], timeout: 5 } } }, 'GATEWAY_CONFIG providers.openai.timeout'],
    [{ providers: { mystery: { keys: [{ value: 'k' }] } } }, 'GATEWAY_CONFIG providers.mystery.kind'],
    [{ providers: { x: { kind: 'anthropic-ish', keys: [{ value: 'k' }] } } }, 'GATEWAY_CONFIG providers.x.kind'],
    [{ providers: { openai: { keys: [{ value: 'env.NOPE' }] } } }, 'GATEWAY_CONFIG providers.openai.keys[0].value'],
    [{ providers: { openai: { keys: [{ value: 'k' }], max_retries: 1.5 } } }, 'GATEWAY_CONFIG providers.openai.max_retries'],
    [{ nonsense: true }, 'GATEWAY_CONFIG nonsense'],
    [{ pricing: { 'openai/x': { input_per_mtok: -1, output_per_mtok: 1 } } }, 'GATEWAY_CONFIG pricing["openai/x"].input_per_mtok'],
  ])('names the bad field in GATEWAY_CONFIG: %j', (json, field) => {
    const err = errorOf(() => loadConfig({ GATEWAY_CONFIG: withFile(json) }));
    expect(err.field).toBe(field);
  });

  it('configures gemini, cohere and bedrock from their shortcuts', () => {
    const c = loadConfig({
      GEMINI_API_KEY: 'g', GEMINI_BASE_URL: 'http://127.0.0.1:9999/', COHERE_API_KEY: 'co',
      AWS_ACCESS_KEY_ID: 'AKID', AWS_SECRET_ACCESS_KEY: 'sk', AWS_SESSION_TOKEN: 'tok', AWS_REGION: 'eu-west-3',
    });
    expect(c.providers.gemini).toMatchObject({ kind: 'gemini', baseUrl: 'http://127.0.0.1:9999', keys: [{ value: 'g' }] });
    expect(c.providers.cohere).toMatchObject({ kind: 'cohere', baseUrl: 'https://api.cohere.com' });
    expect(c.providers.bedrock).toMatchObject({
      kind: 'bedrock',
      baseUrl: 'https://bedrock-runtime.{region}.amazonaws.com',
      keys: [{ id: 'AWS_ACCESS_KEY_ID', value: '', aws: { accessKeyId: 'AKID', secretAccessKey: 'sk', sessionToken: 'tok', region: 'eu-west-3' } }],
    });
    expect(loadConfig({ AWS_ACCESS_KEY_ID: 'a', AWS_SECRET_ACCESS_KEY: 'b', BEDROCK_BASE_URL: 'http://127.0.0.1:1/' }).providers.bedrock).toMatchObject({
      baseUrl: 'http://127.0.0.1:1', keys: [{ aws: { region: 'us-east-1' } }],
    });
    expect(loadConfig({}).providers.bedrock).toBeUndefined();
  });

  it('reads per-key AWS credentials for bedrock from GATEWAY_CONFIG', () => {
    const file = withFile({
      providers: {
        bedrock: { keys: [{ access_key_id: 'env.AK', secret_access_key: 'env.SK', region: 'us-west-2', models: ['anthropic.*'] }, { access_key_id: 'a2', secret_access_key: 's2', session_token: 't2' }] },
      },
    });
    const c = loadConfig({ GATEWAY_CONFIG: file, AK: 'AKIA1', SK: 'secret1' });
    expect(c.providers.bedrock.keys[0]).toMatchObject({ value: '', models: ['anthropic.*'], aws: { accessKeyId: 'AKIA1', secretAccessKey: 'secret1', region: 'us-west-2' } });
    expect(c.providers.bedrock.keys[1].aws).toEqual({ accessKeyId: 'a2', secretAccessKey: 's2', sessionToken: 't2', region: 'us-east-1' });
  });

  it.each([
    [{ AWS_ACCESS_KEY_ID: 'a' }, 'AWS_SECRET_ACCESS_KEY'],
    [{ BEDROCK_BASE_URL: 'http://x' }, 'AWS_ACCESS_KEY_ID'],
    [{ AWS_ACCESS_KEY_ID: 'a', AWS_SECRET_ACCESS_KEY: 'b', BEDROCK_BASE_URL: 'nope' }, 'BEDROCK_BASE_URL'],
    [{ AWS_ACCESS_KEY_ID: 'a', AWS_SECRET_ACCESS_KEY: 'b', AWS_REGION: 'Not A Region' }, 'AWS_REGION'],
    [{ GEMINI_BASE_URL: 'http://x' }, 'GEMINI_API_KEY'],
  ])('names the bad AWS / provider variable: %j', (env, field) => {
    const err = errorOf(() => loadConfig(env));
    expect(err.field).toBe(field);
    expect(err.message).toContain(field);
  });

  it.each([
    [{ providers: { bedrock: { keys: [{ secret_access_key: 's' }] } } }, 'GATEWAY_CONFIG providers.bedrock.keys[0].access_key_id'],
    [{ providers: { bedrock: { keys: [{ access_key_id: 'a' }] } } }, 'GATEWAY_CONFIG providers.bedrock.keys[0].secret_access_key'],
    [{ providers: { bedrock: { keys: [{ access_key_id: 'a', secret_access_key: 's', region: 7 }] } } }, 'GATEWAY_CONFIG providers.bedrock.keys[0].region'],
    [{ providers: { bedrock: { keys: [{ value: 'k' }] } } }, 'GATEWAY_CONFIG providers.bedrock.keys[0].value'],
    [{ providers: { bedrock: { keys: [{ access_key_id: 'env.NOPE', secret_access_key: 's' }] } } }, 'GATEWAY_CONFIG providers.bedrock.keys[0].access_key_id'],
    [{ providers: { gemini: { keys: [{ value: 'k', region: 'us-east-1' }] } } }, 'GATEWAY_CONFIG providers.gemini.keys[0].region'],
  ])('names the bad bedrock key field: %j', (json, field) => {
    const err = errorOf(() => loadConfig({ GATEWAY_CONFIG: withFile(json) }));
    expect(err.field).toBe(field);
  });

  it('keeps stored responses 30 days unless server.response_retention_days says otherwise', () => {
    expect(loadConfig({}).responseRetentionDays).toBe(30);
    expect(loadConfig({ GATEWAY_CONFIG: withFile({ server: { response_retention_days: 7 } }) }).responseRetentionDays).toBe(7);
    for (const bad of [0, 1.5, '30d', 10_000]) {
      const err = errorOf(() => loadConfig({ GATEWAY_CONFIG: withFile({ server: { response_retention_days: bad } }) }));
      expect(err.field).toBe('GATEWAY_CONFIG server.response_retention_days');
    }
  });

  it('words each problem after the exact field, from the schema', () => {
    const message = (json: unknown) => errorOf(() => loadConfig({ GATEWAY_CONFIG: withFile(json), GEMINI_API_KEY: 'g' })).message;
    expect(message({ providers: { gemini: { keys: [{ value: 'k', weight: 0 }] } } })).toBe('Invalid configuration: GATEWAY_CONFIG providers.gemini.keys[0].weight must be a positive number');
    expect(message({ server: { output_token_limits: { 'gpt-4o': 5 } } })).toBe('Invalid configuration: GATEWAY_CONFIG server.output_token_limits["gpt-4o"] must be keyed by "provider/model"');
    expect(message({ server: { metrics_token: 'short' } })).toBe('Invalid configuration: GATEWAY_CONFIG server.metrics_token must be at least 16 characters long (got 5)');
    expect(message({ providers: { openai: { keys: [{ value: 'k' }], max_retries: 11 } } })).toBe('Invalid configuration: GATEWAY_CONFIG providers.openai.max_retries must be an integer between 0 and 10 (got 11)');
    expect(message({ pricing: { 'openai/x': { input_per_mtok: 1 } } })).toBe('Invalid configuration: GATEWAY_CONFIG pricing["openai/x"].output_per_mtok is required');
    expect(errorOf(() => loadConfig({ AZURE_OPENAI_API_KEY: 'k', AZURE_OPENAI_BASE_URL: 'https://r.openai.azure.com', AZURE_OPENAI_API_VERSION: ' ' })).field).toBe('AZURE_OPENAI_API_VERSION');
  });

  it('parses prices once, into the canonical decimal strings the price book takes', () => {
    const c = loadConfig({ GATEWAY_CONFIG: withFile({ pricing: { 'openai/x': { input_per_mtok: 1.5e-7, output_per_mtok: '2.50' } } }) });
    expect(c.pricing['openai/x']).toEqual({ input_per_mtok: '0.00000015', output_per_mtok: '2.5' });
  });

  it('reports an unreadable or invalid file', () => {
    expect(errorOf(() => loadConfig({ GATEWAY_CONFIG: '/nonexistent/gw.json' })).message).toContain('cannot be read');
    expect(errorOf(() => loadConfig({ GATEWAY_CONFIG: withFile('{oops') })).message).toContain('not valid JSON');
  });
});
