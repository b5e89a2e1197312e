import { defineKind, defineProvider } from '../provider-definition';
import { OpenAIAdapter } from './openai.adapter';

const adapter = new OpenAIAdapter();

/** OpenAI's Responses API. */
export const OPENAI_KIND = defineKind({ kind: 'openai', adapter });

/** Any server implementing OpenAI's Responses API (vLLM, Ollama, OpenRouter, Groq, xAI...). */
export const OPENAI_COMPATIBLE_KIND = defineKind({ kind: 'openai-compatible', adapter, customKeyOptional: true });

export const openai = defineProvider({ name: 'openai', kind: OPENAI_KIND, envPrefix: 'OPENAI', defaultBaseUrl: 'https://api.openai.com/v1' });
