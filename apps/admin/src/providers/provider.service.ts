import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig, type ProviderConfig, type UpstreamKey } from '@app/common';
import type { ProviderDto, ProviderListDto } from './provider.dto';

const MASK = '***';

const USER_INFO = /^([a-z][a-z0-9+.-]*:\/\/)[^/?#@]*@/i;
const QUERY_VALUE = /([?&][^=&#]*=)[^&#]*/g;

/**
 * Base URLs are operator-written and sometimes carry credentials (`https://user:pass@proxy`,
 * `?api-key=...`): those parts are masked, the rest is shown as configured. Text rules rather
 * than URL parsing: some base URLs are templates (`https://bedrock-runtime.{region}...`).
 */
export function maskBaseUrl(baseUrl: string): string {
  return baseUrl.replace(USER_INFO, `$1${MASK}@`).replace(QUERY_VALUE, `$1${MASK}`);
}

function secretsOf(key: UpstreamKey): string[] {
  return [key.value, key.aws?.accessKeyId, key.aws?.secretAccessKey, key.aws?.sessionToken].filter((s): s is string => Boolean(s));
}

/** Everything an operator needs to see about a provider, and nothing secret: no key values, no headers. */
export function toProviderDto(provider: ProviderConfig): ProviderDto {
  return {
    name: provider.name,
    kind: provider.kind,
    base_url: maskBaseUrl(provider.baseUrl),
    models: [...provider.models],
    aliases: { ...provider.aliases },
    keys: provider.keys.map((key, i) => ({
      // An id is free text: if someone wrote the secret into it, it is not shown either.
      id: secretsOf(key).some((secret) => key.id.includes(secret)) ? `keys[${i}]` : key.id,
      weight: key.weight,
      models: [...key.models],
    })),
  };
}

@Injectable()
export class ProviderService {
  private readonly listing: ProviderListDto;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    // The configuration is read once at start and never changes: build the answer once.
    const providers = Object.values(config.providers).sort((a, b) => a.name.localeCompare(b.name));
    this.listing = { data: providers.map(toProviderDto) };
  }

  list(): ProviderListDto {
    return this.listing;
  }
}
