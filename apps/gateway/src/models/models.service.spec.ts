import type { ProviderConfig } from '@app/common';
import type { CachedKey } from '../auth/virtual-key-cache.service';
import type { RoutePlanner } from '../routing/route-planner.service';
import type { ModelCatalog } from './model-catalog.service';
import { ModelsService } from './models.service';

const provider = (config: Pick<ProviderConfig, 'name' | 'kind' | 'baseUrl' | 'keys'> & Partial<ProviderConfig>): ProviderConfig => ({
  timeoutMs: 1, streamIdleTimeoutMs: 1, maxRetries: 0, retryBackoffMs: 0, retryBackoffMaxMs: 0, models: [], aliases: {}, headers: {}, deployments: {}, ...config,
});

const key = (allowedModels: string[]): CachedKey => ({
  id: 'k', name: 'k', isActive: true, expiresAt: null, allowedModels, fallbackPolicyId: null, rateLimitRpm: null, rateLimitTpm: null, budget: null, allowSendRaw: false, concurrencyLimit: null,
});

function service(providers: ProviderConfig[], listed: Record<string, { id: string; created: number | null }[]>): ModelsService {
  const planner = { providers: () => providers } as unknown as RoutePlanner;
  const catalog = { listed: (name: string) => listed[name] ?? [] } as unknown as ModelCatalog;
  return new ModelsService(planner, catalog);
}

describe('ModelsService', () => {
  const openai = provider({
    name: 'openai', kind: 'openai', baseUrl: 'http://x/v1', models: ['gpt-4o-mini'], aliases: { fast: 'gpt-4o-mini' },
    keys: [{ id: 'a', value: 'v', weight: 1, models: ['gpt-4o*'] }],
  });
  const azure = provider({ name: 'azure', kind: 'azure', baseUrl: 'http://x', deployments: { 'gpt-4o': 'prod' }, keys: [{ id: 'b', value: 'v', weight: 1, models: [] }] });

  it('lists configured models, aliases and deployments first, then what the provider listed, once each', () => {
    const list = service([openai, azure], { openai: [{ id: 'gpt-4o-mini', created: 5 }, { id: 'gpt-4o', created: 7 }], azure: [{ id: 'prod', created: null }] }).listFor(key([]));
    expect(list).toEqual({
      object: 'list',
      data: [
        { id: 'openai/gpt-4o-mini', object: 'model', created: 0, owned_by: 'openai' },
        { id: 'openai/fast', object: 'model', created: 0, owned_by: 'openai' },
        { id: 'openai/gpt-4o', object: 'model', created: 7, owned_by: 'openai' },
        { id: 'azure/gpt-4o', object: 'model', created: 0, owned_by: 'azure' },
        { id: 'azure/prod', object: 'model', created: 0, owned_by: 'azure' },
      ],
    });
  });

  it("leaves out listed models no upstream key may serve, and what the caller's key may not use", () => {
    const ids = (allowed: string[]) => service([openai, azure], { openai: [{ id: 'o3', created: 1 }, { id: 'gpt-4o', created: 1 }] }).listFor(key(allowed)).data.map((m) => m.id);
    expect(ids([])).not.toContain('openai/o3');
    expect(ids(['openai/gpt-4o*'])).toEqual(['openai/gpt-4o-mini', 'openai/gpt-4o']);
  });
});
