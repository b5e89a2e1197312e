import { defineKind, defineProvider } from '../provider-definition';
import { CohereAdapter } from './cohere.adapter';

export const COHERE_KIND = defineKind({ kind: 'cohere', adapter: new CohereAdapter() });

export const cohere = defineProvider({ name: 'cohere', kind: COHERE_KIND, envPrefix: 'COHERE', defaultBaseUrl: 'https://api.cohere.com' });
