import { anthropic } from './anthropic/anthropic.provider';
import { azure } from './azure/azure.provider';
import { bedrock } from './bedrock/bedrock.provider';
import { cerebras } from './cerebras/cerebras.provider';
import { cohere } from './cohere/cohere.provider';
import { deepseek } from './deepseek/deepseek.provider';
import { fireworks } from './fireworks/fireworks.provider';
import { gemini } from './gemini/gemini.provider';
import { groq } from './groq/groq.provider';
import { mistral } from './mistral/mistral.provider';
import { ollama } from './ollama/ollama.provider';
import { openai } from './openai/openai.provider';
import { openrouter } from './openrouter/openrouter.provider';
import { perplexity } from './perplexity/perplexity.provider';
import { together } from './together/together.provider';
import type { EmbeddingAdapter, ProviderAdapter } from './types';
import type { ProviderDefinition, ProviderKindDefinition } from './provider-definition';
import { vllm } from './vllm/vllm.provider';
import { xai } from './xai/xai.provider';

/**
 * Every provider the gateway knows by name, one line each. A new one: its folder exporting a
 * definition, a line here, its fake (apps/fake-upstream) and its prices (libs/pricing).
 */
export const PROVIDERS = [
  openai,
  azure,
  groq,
  xai,
  openrouter,
  ollama,
  vllm,
  gemini,
  cohere,
  bedrock,
  mistral,
  deepseek,
  together,
  fireworks,
  cerebras,
  perplexity,
  anthropic,
] as const;

/** The wire protocols the registered providers speak (GATEWAY_CONFIG `kind`). */
export type ProviderKind = (typeof PROVIDERS)[number]['kind']['kind'];

/** Looked up by names from configuration and requests: Maps, never plain objects. */
export const PROVIDER_DEFINITIONS: ReadonlyMap<string, ProviderDefinition> = new Map(PROVIDERS.map((p) => [p.name, p]));

export const PROVIDER_KIND_DEFINITIONS: ReadonlyMap<string, ProviderKindDefinition> = new Map(PROVIDERS.map((p) => [p.kind.kind, p.kind]));

export const PROVIDER_KINDS: readonly ProviderKind[] = [...new Set(PROVIDERS.map((p) => p.kind.kind))];

/** Adapters are stateless: one instance per kind serves every request. */
export function adapterFor(kind: string): ProviderAdapter {
  const definition = PROVIDER_KIND_DEFINITIONS.get(kind);
  // The config loader accepts only registered kinds; reaching here with another is a bug.
  if (definition === undefined) throw new Error(`no adapter for provider kind ${JSON.stringify(kind)}`);
  return definition.adapter;
}

/** A provider's embeddings API: its own where it differs, else its kind's; null when it has none (Anthropic). */
export function embeddingAdapterFor(kind: string, providerName?: string): EmbeddingAdapter | null {
  const own = providerName === undefined ? undefined : PROVIDER_DEFINITIONS.get(providerName);
  // A configured provider of another kind under a registered name speaks its configured kind.
  if (own?.embeddings !== undefined && own.kind.kind === kind) return own.embeddings;
  return PROVIDER_KIND_DEFINITIONS.get(kind)?.embeddings ?? null;
}
