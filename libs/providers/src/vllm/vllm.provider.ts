import { OPENAI_COMPATIBLE_KIND } from '../openai/openai.provider';
import { defineProvider } from '../provider-definition';

/** A local server wherever it is deployed: VLLM_BASE_URL is required, a key is not. */
export const vllm = defineProvider({ name: 'vllm', kind: OPENAI_COMPATIBLE_KIND, envPrefix: 'VLLM', keyOptional: true });
