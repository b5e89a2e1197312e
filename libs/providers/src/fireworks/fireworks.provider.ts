import { CHAT_COMPLETIONS_KIND } from '../chat-completions/chat-completions.provider';
import { defineProvider } from '../provider-definition';

export const fireworks = defineProvider({ name: 'fireworks', kind: CHAT_COMPLETIONS_KIND, envPrefix: 'FIREWORKS', defaultBaseUrl: 'https://api.fireworks.ai/inference/v1' });
