import { OPENAI_COMPATIBLE_KIND } from '../openai/openai.provider';
import { defineProvider } from '../provider-definition';

export const groq = defineProvider({ name: 'groq', kind: OPENAI_COMPATIBLE_KIND, envPrefix: 'GROQ', defaultBaseUrl: 'https://api.groq.com/openai/v1' });
