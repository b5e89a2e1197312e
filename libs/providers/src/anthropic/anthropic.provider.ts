import { defineKind, defineProvider } from '../provider-definition';
import { AnthropicAdapter } from './anthropic.adapter';
import { ANTHROPIC_TOOLS } from './anthropic-request';

export const ANTHROPIC_KIND = defineKind({ kind: 'anthropic', adapter: new AnthropicAdapter(), hostedTools: ANTHROPIC_TOOLS });

// ANTHROPIC_BASE_URL is the host root, as in Anthropic's SDK: requests go to /v1/messages.
export const anthropic = defineProvider({ name: 'anthropic', kind: ANTHROPIC_KIND, envPrefix: 'ANTHROPIC', defaultBaseUrl: 'https://api.anthropic.com' });
