import type { AwsCredentials } from '@app/common';
import type { ZodType } from 'zod';
import type { HostedToolSupport } from './responses/request-tools';
import type { EmbeddingAdapter, ProviderAdapter } from './types';

/**
 * A wire protocol that a family of providers speaks: one stateless adapter serves every
 * provider of the kind. Kinds are what GATEWAY_CONFIG `kind` names for a provider the gateway
 * does not know by name.
 */
export interface ProviderKindDefinition<K extends string = string> {
  readonly kind: K;
  readonly adapter: ProviderAdapter;
  /** A provider of this kind that the registry does not name (a local server) may have no key. */
  readonly customKeyOptional?: boolean;
  /** Credentials its keys hold instead of `value`. */
  readonly credentials?: KeyCredentials;
  /** `api_version` when the config gives none (Azure). */
  readonly defaultApiVersion?: string;
  /** The hosted tools (web search) the provider runs itself; none when absent. */
  readonly hostedTools?: HostedToolSupport;
  /** Its embeddings API (`POST /v1/embeddings`); absent: the kind serves none (Anthropic). */
  readonly embeddings?: EmbeddingAdapter;
}

/**
 * Key fields a kind reads instead of an API key (Bedrock: AWS credentials that sign each
 * request). The config loader validates them with `schema` after `env.NAME` secrets are resolved.
 */
export interface KeyCredentials {
  /** The key fields, as written in GATEWAY_CONFIG; the ones that are secrets may say `env.NAME`. */
  readonly fields: readonly string[];
  readonly secretFields: readonly string[];
  readonly schema: ZodType<AwsCredentials>;
  /**
   * The provider from the standard environment variables: the raw GATEWAY_CONFIG entry, and the
   * variable each of its fields came from (so errors name the variable); null when none is set.
   */
  fromEnv(env: Readonly<Record<string, string | undefined>>): EnvProvider | null;
}

export interface EnvProvider {
  raw: Record<string, unknown>;
  /** Field path in `raw` (`base_url`, `keys[0].region`) -> the variable it was read from. */
  variables: ReadonlyMap<string, string>;
}

/** One provider the gateway knows by name: its folder exports it, provider-registry.ts collects it. */
export interface ProviderDefinition<K extends string = string> {
  /** The name in GATEWAY_CONFIG and in `provider/model`. */
  readonly name: string;
  readonly kind: ProviderKindDefinition<K>;
  /** `<PREFIX>_API_KEY` / `<PREFIX>_BASE_URL` configure it without a file. */
  readonly envPrefix: string;
  /** As in the provider's official SDK (OpenAI-style ones end in /v1); none: base_url is required. */
  readonly defaultBaseUrl?: string;
  /** It may be reached without an API key (local servers). */
  readonly keyOptional?: boolean;
  /** Config fields read from variables of their own when configured from the environment. */
  readonly envSettings?: Readonly<Record<string, string>>;
  /** Its own embeddings API where it differs from its kind's (Mistral's strict fields). */
  readonly embeddings?: EmbeddingAdapter;
}

/** Keeps the kind's literal type, so the registry can derive the union of kinds. */
export function defineKind<const K extends string>(definition: ProviderKindDefinition<K>): ProviderKindDefinition<K> {
  return definition;
}

export function defineProvider<const K extends string>(definition: ProviderDefinition<K>): ProviderDefinition<K> {
  return definition;
}
