import { defineKind, defineProvider } from '../provider-definition';
import { CohereAdapter } from './cohere.adapter';
import { CohereEmbeddingAdapter } from './cohere-embeddings';

export const COHERE_KIND = defineKind({ kind: 'cohere', adapter: new CohereAdapter(), embeddings: new CohereEmbeddingAdapter() });

export const cohere = defineProvider({ name: 'cohere', kind: COHERE_KIND, envPrefix: 'COHERE', defaultBaseUrl: 'https://api.cohere.com' });
