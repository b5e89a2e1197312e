import { OPENAI_COMPATIBLE_KIND } from '../openai/openai.provider';
import { defineProvider } from '../provider-definition';

export const xai = defineProvider({ name: 'xai', kind: OPENAI_COMPATIBLE_KIND, envPrefix: 'XAI', defaultBaseUrl: 'https://api.x.ai/v1' });
