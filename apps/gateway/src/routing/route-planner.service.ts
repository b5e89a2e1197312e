import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig, ErrorCode, type ProviderConfig, type UpstreamKey, splitModelId } from '@app/common';
import { GatewayError } from '@app/common/errors/gateway-error';
import { adapterFor, type ProviderAdapter } from '@app/providers';
import type { CachedKey } from '../auth/virtual-key-cache.service';
import { keyAllowsModel, matchesPattern } from '../governance/key-policy';

/** One `provider/model` the request may be served by, resolved once and cached. */
export interface Candidate {
  /** `provider/model` as the client named it. */
  label: string;
  provider: ProviderConfig;
  adapter: ProviderAdapter;
  /** The model part of the label. */
  model: string;
  /** What the upstream is asked for (alias or Azure deployment resolved). */
  upstreamModel: string;
  /** The provider's upstream keys that may serve this model. */
  keys: UpstreamKey[];
}

const MAX_CACHED_CANDIDATES = 10_000;

/** Turns the request's model list into the candidates to try, in order. */
@Injectable()
export class RoutePlanner {
  private readonly cache = new Map<string, Candidate | GatewayError>();

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  /**
   * The primary must resolve and be allowed for the key (else 400/403). A fallback the request
   * named that does not resolve is a 400 too (the caller's typo); one from a policy is skipped
   * (the admin's configuration must not fail callers). One the key may not use is skipped.
   * With `priced` (a key with a budget), a model without a price would ride free: the primary is
   * refused (403 model_not_priced) and such a fallback skipped.
   */
  plan(models: string[], key: CachedKey, strictFallbacks = true, priced?: (c: Candidate) => boolean): Candidate[] {
    const out: Candidate[] = [];
    for (let i = 0; i < models.length; i++) {
      const label = models[i];
      let resolved: Candidate;
      try {
        resolved = this.resolve(label, i === 0 ? 'model' : `fallbacks[${i - 1}]`);
      } catch (err) {
        if (i === 0 || strictFallbacks) throw err;
        continue;
      }
      if (!keyAllowsModel(key, label)) {
        if (i === 0) throw GatewayError.refusal(403, ErrorCode.ModelNotAllowed, `Virtual key '${key.name}' may not use model '${label}'.`);
        continue;
      }
      if (priced !== undefined && !priced(resolved)) {
        if (i === 0) {
          throw GatewayError.refusal(
            403,
            ErrorCode.ModelNotPriced,
            `Model '${label}' has no price, and virtual key '${key.name}' has a budget that must be charged for it. An operator can price it (GATEWAY_CONFIG pricing).`,
          );
        }
        continue;
      }
      out.push(resolved);
    }
    return out;
  }

  /** Every configured provider, for GET /v1/models. */
  providers(): ProviderConfig[] {
    return Object.values(this.config.providers);
  }

  private resolve(label: string, param: string): Candidate {
    let hit = this.cache.get(label);
    if (hit === undefined) {
      hit = this.build(label, param);
      if (this.cache.size >= MAX_CACHED_CANDIDATES) this.cache.clear();
      this.cache.set(label, hit);
    }
    if (hit instanceof GatewayError) {
      // Cached without the param it was first met under; name the right one.
      throw GatewayError.invalidRequest(hit.message, param);
    }
    return hit;
  }

  private build(label: string, param: string): Candidate | GatewayError {
    // Labels are checked for `provider/model` at ingress; anything else names no provider.
    const { provider: providerName, model } = splitModelId(label) ?? { provider: '', model: label };
    const provider = Object.hasOwn(this.config.providers, providerName) ? this.config.providers[providerName] : undefined;
    if (provider === undefined) {
      const known = Object.keys(this.config.providers).join(', ') || 'none';
      return GatewayError.invalidRequest(`Unknown provider '${providerName}' in '${label}'. Configured providers: ${known}.`, param);
    }
    const adapter = adapterFor(provider.kind);
    const upstreamModel = adapter.resolveModel(provider, model);
    const keys = provider.keys.filter((k) => k.models.length === 0 || k.models.some((p) => matchesPattern(p, model)));
    if (keys.length === 0) {
      return GatewayError.invalidRequest(`Provider '${providerName}' has no upstream key allowed to serve model '${model}'.`, param);
    }
    return { label, provider, adapter, model, upstreamModel, keys };
  }
}
