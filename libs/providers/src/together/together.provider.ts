import { CHAT_COMPLETIONS_KIND } from '../chat-completions/chat-completions.provider';
import { defineProvider } from '../provider-definition';

export const together = defineProvider({ name: 'together', kind: CHAT_COMPLETIONS_KIND, envPrefix: 'TOGETHER', defaultBaseUrl: 'https://api.together.xyz/v1' });
