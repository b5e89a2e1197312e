import { defineKind, defineProvider } from '../provider-definition';
import { GeminiAdapter } from './gemini.adapter';
import { GeminiEmbeddingAdapter } from './gemini-embeddings';
import { GEMINI_TOOLS } from './gemini-request';

export const GEMINI_KIND = defineKind({ kind: 'gemini', adapter: new GeminiAdapter(), hostedTools: GEMINI_TOOLS, embeddings: new GeminiEmbeddingAdapter() });

// GEMINI_BASE_URL is the part before /v1beta, as in Google's SDK.
export const gemini = defineProvider({ name: 'gemini', kind: GEMINI_KIND, envPrefix: 'GEMINI', defaultBaseUrl: 'https://generativelanguage.googleapis.com' });
