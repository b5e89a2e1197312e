import { Injectable } from '@nestjs/common';
import type { CachedKey } from '../auth/virtual-key-cache.service';
import { keyAllowsModel, matchesPattern } from '../governance/key-policy';
import { RoutePlanner } from '../routing/route-planner.service';
import { ModelCatalog } from './model-catalog.service';

/** OpenAI's list shape, which the openai SDK's `models.list()` and Codex read. */
export interface ModelList {
  object: 'list';
  data: { id: string; object: 'model'; created: number; owned_by: string }[];
}

/**
 * GET /v1/models: the `provider/model` ids the calling key may use: each configured
 * provider's configured models, aliases and deployments, then what the provider's own list
 * says it serves (from the background catalog, never fetched on the request).
 */
@Injectable()
export class ModelsService {
  constructor(
    private readonly planner: RoutePlanner,
    private readonly catalog: ModelCatalog,
  ) {}

  listFor(key: CachedKey): ModelList {
    const data: ModelList['data'] = [];
    for (const provider of this.planner.providers()) {
      const created = new Map<string, number>();
      for (const name of [...provider.models, ...Object.keys(provider.aliases), ...Object.keys(provider.deployments)]) created.set(name, 0);
      for (const m of this.catalog.listed(provider.name)) {
        // Listed by the provider but served by none of its upstream keys: not callable here.
        const served = provider.keys.some((k) => k.models.length === 0 || k.models.some((p) => matchesPattern(p, m.id)));
        if (served && !created.has(m.id)) created.set(m.id, m.created ?? 0);
      }
      for (const [name, at] of created) {
        const id = `${provider.name}/${name}`;
        if (keyAllowsModel(key, id)) data.push({ id, object: 'model', created: at, owned_by: provider.name });
      }
    }
    return { object: 'list', data };
  }
}
