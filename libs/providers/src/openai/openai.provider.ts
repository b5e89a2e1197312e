import { defineKind, defineProvider } from '../provider-definition';
import { OpenAIAdapter } from './openai.adapter';
import { OpenAIEmbeddingAdapter } from './openai-embeddings';

const adapter = new OpenAIAdapter();

/** OpenAI's Responses API. */
export const OPENAI_KIND = defineKind({ kind: 'openai', adapter, embeddings: new OpenAIEmbeddingAdapter(true) });

/** Any server implementing OpenAI's Responses API (vLLM, Ollama, OpenRouter, Groq, xAI...). */
// Compatible servers mostly take only strings as embeddings input.
export const OPENAI_COMPATIBLE_KIND = defineKind({ kind: 'openai-compatible', adapter, customKeyOptional: true, embeddings: new OpenAIEmbeddingAdapter(false) });

export const openai = defineProvider({ name: 'openai', kind: OPENAI_KIND, envPrefix: 'OPENAI', defaultBaseUrl: 'https://api.openai.com/v1' });
