import type { ProviderKind } from '@app/common';
import { AnthropicAdapter } from './anthropic/anthropic.adapter';
import { AzureOpenAIAdapter } from './azure/azure.adapter';
import { BedrockAdapter } from './bedrock/bedrock.adapter';
import { ChatCompletionsAdapter } from './chat-completions/chat-completions.adapter';
import { CohereAdapter } from './cohere/cohere.adapter';
import { GeminiAdapter } from './gemini/gemini.adapter';
import { OpenAIAdapter } from './openai/openai.adapter';
import type { ProviderAdapter } from './types';

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
