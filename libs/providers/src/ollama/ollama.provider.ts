import { OPENAI_COMPATIBLE_KIND } from '../openai/openai.provider';
import { defineProvider } from '../provider-definition';

/** A local server: reachable without a key. */
export const ollama = defineProvider({ name: 'ollama', kind: OPENAI_COMPATIBLE_KIND, envPrefix: 'OLLAMA', defaultBaseUrl: 'http://127.0.0.1:11434/v1', keyOptional: true });
