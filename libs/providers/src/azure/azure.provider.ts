import { defineKind, defineProvider } from '../provider-definition';
import { AzureOpenAIAdapter } from './azure.adapter';
import { AzureEmbeddingAdapter } from './azure-embeddings';

export const AZURE_KIND = defineKind({ kind: 'azure', adapter: new AzureOpenAIAdapter(), defaultApiVersion: '2025-04-01-preview', embeddings: new AzureEmbeddingAdapter() });

/** No default base URL: every Azure resource has its own. */
export const azure = defineProvider({ name: 'azure', kind: AZURE_KIND, envPrefix: 'AZURE_OPENAI', envSettings: { api_version: 'AZURE_OPENAI_API_VERSION' } });
