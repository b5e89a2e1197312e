import type { ProviderKind } from '@app/common';
import { AnthropicAdapter } from './anthropic/anthropic.adapter';
import { AzureOpenAIAdapter } from './azure/azure.adapter';
import { BedrockAdapter } from './bedrock/bedrock.adapter';
import { ChatCompletionsAdapter } from './chat-completions/chat-completions.adapter';
import { CohereAdapter } from './cohere/cohere.adapter';
import { GeminiAdapter } from './gemini/gemini.adapter';
import { OpenAIAdapter } from './openai/openai.adapter';
import type { EmbeddingAdapter, ProviderAdapter } from './types';
import { AzureEmbeddingAdapter } from './azure/azure-embeddings';
import { BedrockEmbeddingAdapter } from './bedrock/bedrock-embeddings';
import { CohereEmbeddingAdapter } from './cohere/cohere-embeddings';
import { GeminiEmbeddingAdapter } from './gemini/gemini-embeddings';
import { OpenAIEmbeddingAdapter } from './openai/openai-embeddings';

const openai = new OpenAIAdapter();

/** Adapters are stateless: one instance per kind serves every request. */
const ADAPTERS: Record<ProviderKind, ProviderAdapter> = {
  openai,
  'openai-compatible': openai,
  azure: new AzureOpenAIAdapter(),
  gemini: new GeminiAdapter(),
  bedrock: new BedrockAdapter(),
  cohere: new CohereAdapter(),
  'chat-completions': new ChatCompletionsAdapter(),
  anthropic: new AnthropicAdapter(),
};

export function adapterFor(kind: ProviderKind): ProviderAdapter {
  return ADAPTERS[kind];
}

/**
 * Embeddings per kind; Anthropic serves none. `chat-completions` and `openai-compatible` servers
 * (Mistral, Together, vLLM, Ollama...) speak OpenAI's embeddings API but take only strings.
 */
const EMBEDDING_ADAPTERS: ReadonlyMap<ProviderKind, EmbeddingAdapter> = new Map<ProviderKind, EmbeddingAdapter>([
  ['openai', new OpenAIEmbeddingAdapter(true)],
  ['openai-compatible', new OpenAIEmbeddingAdapter(false)],
  ['chat-completions', new OpenAIEmbeddingAdapter(false)],
  ['azure', new AzureEmbeddingAdapter()],
  ['gemini', new GeminiEmbeddingAdapter()],
  ['bedrock', new BedrockEmbeddingAdapter()],
  ['cohere', new CohereEmbeddingAdapter()],
]);

export function embeddingAdapterFor(kind: ProviderKind): EmbeddingAdapter | null {
  return EMBEDDING_ADAPTERS.get(kind) ?? null;
}
