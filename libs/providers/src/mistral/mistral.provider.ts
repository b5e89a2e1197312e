import { CHAT_COMPLETIONS_KIND } from '../chat-completions/chat-completions.provider';
import { defineProvider } from '../provider-definition';
import { MistralEmbeddingAdapter } from './mistral-embeddings';

export const mistral = defineProvider({
  name: 'mistral', kind: CHAT_COMPLETIONS_KIND, envPrefix: 'MISTRAL', defaultBaseUrl: 'https://api.mistral.ai/v1', embeddings: new MistralEmbeddingAdapter(),
});
