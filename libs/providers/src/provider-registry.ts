import type { ProviderKind } from '@app/common';
import { AzureOpenAIAdapter } from './azure/azure.adapter';
import { OpenAIAdapter } from './openai/openai.adapter';
import type { ProviderAdapter } from './types';

const openai = new OpenAIAdapter();

/** Adapters are stateless: one instance per kind serves every request. */
const ADAPTERS: Record<ProviderKind, ProviderAdapter> = {
  openai,
  'openai-compatible': openai,
  azure: new AzureOpenAIAdapter(),
};

export function adapterFor(kind: ProviderKind): ProviderAdapter {
  return ADAPTERS[kind];
}
