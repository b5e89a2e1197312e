import type { AppConfig, ProviderConfig } from '@app/common';
import { maskBaseUrl, ProviderService, toProviderDto } from './provider.service';

const SECRET = 'sk-live-very-secret-value-123';

function provider(overrides: Partial<ProviderConfig> = {}): ProviderConfig {
  return {
    name: 'openai',
    kind: 'openai',
    baseUrl: 'https://api.openai.com/v1',
    keys: [{ id: 'primary', value: SECRET, weight: 3, models: ['gpt-4o*'] }],
    timeoutMs: 1000,
    streamIdleTimeoutMs: 1000,
    maxRetries: 0,
    retryBackoffMs: 0,
    retryBackoffMaxMs: 0,
    models: ['gpt-4o-mini'],
    aliases: { fast: 'gpt-4o-mini' },
    headers: { 'x-api-key': SECRET },
    deployments: {},
    ...overrides,
  };
}

describe('maskBaseUrl', () => {
  it('leaves an ordinary URL exactly as configured', () => {
    expect(maskBaseUrl('https://api.openai.com/v1')).toBe('https://api.openai.com/v1');
    expect(maskBaseUrl('http://127.0.0.1:11434/v1')).toBe('http://127.0.0.1:11434/v1');
    expect(maskBaseUrl('https://bedrock-runtime.{region}.amazonaws.com')).toBe('https://bedrock-runtime.{region}.amazonaws.com');
  });

  it('masks user info and query values', () => {
    expect(maskBaseUrl(`https://user:${SECRET}@proxy.example/v1`)).toBe('https://***@proxy.example/v1');
    expect(maskBaseUrl(`https://proxy.example/v1?api-key=${SECRET}&x=1`)).toBe('https://proxy.example/v1?api-key=***&x=***');
  });
});

describe('toProviderDto', () => {
  it('shows name, kind, URL, models, aliases and keys by id, weight and models: never a secret or a header', () => {
    const dto = toProviderDto(provider());
    expect(dto).toEqual({
      name: 'openai',
      kind: 'openai',
      base_url: 'https://api.openai.com/v1',
      models: ['gpt-4o-mini'],
      aliases: { fast: 'gpt-4o-mini' },
      keys: [{ id: 'primary', weight: 3, models: ['gpt-4o*'] }],
    });
    expect(JSON.stringify(dto)).not.toContain(SECRET);
  });

  it('hides a key id that contains the key itself', () => {
    const dto = toProviderDto(provider({ keys: [{ id: `key-${SECRET}`, value: SECRET, weight: 1, models: [] }] }));
    expect(dto.keys[0].id).toBe('keys[0]');
  });

  it('hides a key id that contains AWS credentials, and never shows them', () => {
    const aws = { accessKeyId: 'AKIAEXAMPLE123', secretAccessKey: 'aws-secret-xyz', sessionToken: 'tok-abc', region: 'eu-west-1' };
    const dto = toProviderDto(provider({ name: 'bedrock', kind: 'bedrock', keys: [{ id: 'AKIAEXAMPLE123', value: '', weight: 1, models: [], aws }] }));
    expect(dto.keys[0].id).toBe('keys[0]');
    expect(JSON.stringify(dto)).not.toMatch(/AKIAEXAMPLE123|aws-secret-xyz|tok-abc/);
  });

  it('an empty key value (local servers) hides nothing', () => {
    expect(toProviderDto(provider({ keys: [{ id: 'k', value: '', weight: 1, models: [] }] })).keys[0].id).toBe('k');
  });
});

describe('ProviderService', () => {
  it('lists providers by name', () => {
    const config = { providers: { zeta: provider({ name: 'zeta' }), alpha: provider({ name: 'alpha' }) } } as unknown as AppConfig;
    expect(new ProviderService(config).list().data.map((p) => p.name)).toEqual(['alpha', 'zeta']);
  });
});
