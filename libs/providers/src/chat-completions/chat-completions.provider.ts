import { defineKind } from '../provider-definition';
import { ChatCompletionsAdapter } from './chat-completions.adapter';
import { OpenAIEmbeddingAdapter } from '../openai/openai-embeddings';

/** Chat-only providers, through the Chat Completions bridge. */
// Chat-only servers with an embeddings API speak OpenAI's (Mistral, Together...), strings only.
export const CHAT_COMPLETIONS_KIND = defineKind({ kind: 'chat-completions', adapter: new ChatCompletionsAdapter(), customKeyOptional: true, embeddings: new OpenAIEmbeddingAdapter(false) });
