import { CHAT_COMPLETIONS_KIND } from '../chat-completions/chat-completions.provider';
import { defineProvider } from '../provider-definition';

export const deepseek = defineProvider({ name: 'deepseek', kind: CHAT_COMPLETIONS_KIND, envPrefix: 'DEEPSEEK', defaultBaseUrl: 'https://api.deepseek.com/v1' });
