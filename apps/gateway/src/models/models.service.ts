import { Injectable } from '@nestjs/common';
import { VirtualKeyCache } from '../auth/virtual-key-cache.service';
import { assertKeyUsable, keyAllowsModel } from '../governance/key-policy';
import { RoutePlanner } from '../routing/route-planner.service';

export interface ModelList {
  object: 'list';
  data: { id: string; object: 'model'; created: number; owned_by: string }[];
}

/** GET /v1/models: the configured `provider/model` ids the calling key may use. */
@Injectable()
export class ModelsService {
  constructor(
    private readonly keys: VirtualKeyCache,
    private readonly planner: RoutePlanner,
  ) {}

  listFor(authorization: string | undefined, xBfVk: string | undefined): ModelList {
    const key = this.keys.authenticate(authorization, xBfVk);
    assertKeyUsable(key, Date.now());
    const data: ModelList['data'] = [];
    for (const provider of this.planner.providers()) {
      const names = new Set([...provider.models, ...Object.keys(provider.aliases), ...Object.keys(provider.deployments)]);
      for (const name of names) {
        const id = `${provider.name}/${name}`;
        if (keyAllowsModel(key, id)) data.push({ id, object: 'model', created: 0, owned_by: provider.name });
      }
    }
    return { object: 'list', data };
  }
}
