import { CHAT_COMPLETIONS_KIND } from '../chat-completions/chat-completions.provider';
import { defineProvider } from '../provider-definition';

export const cerebras = defineProvider({ name: 'cerebras', kind: CHAT_COMPLETIONS_KIND, envPrefix: 'CEREBRAS', defaultBaseUrl: 'https://api.cerebras.ai/v1' });
