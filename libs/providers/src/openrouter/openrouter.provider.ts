import { OPENAI_COMPATIBLE_KIND } from '../openai/openai.provider';
import { defineProvider } from '../provider-definition';

export const openrouter = defineProvider({ name: 'openrouter', kind: OPENAI_COMPATIBLE_KIND, envPrefix: 'OPENROUTER', defaultBaseUrl: 'https://openrouter.ai/api/v1' });
