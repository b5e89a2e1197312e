import { CHAT_COMPLETIONS_KIND } from '../chat-completions/chat-completions.provider';
import { defineProvider } from '../provider-definition';

export const perplexity = defineProvider({ name: 'perplexity', kind: CHAT_COMPLETIONS_KIND, envPrefix: 'PERPLEXITY', defaultBaseUrl: 'https://api.perplexity.ai' });
