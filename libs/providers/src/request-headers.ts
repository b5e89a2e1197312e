import type { BuildRequestInput } from './types';

/**
 * Headers of a JSON call answered in JSON, or in SSE when streaming; `defaults` (an API
 * version, say) and then the provider's configured headers are laid over them.
 */
export function jsonHeaders(input: BuildRequestInput, defaults: Record<string, string> = {}): Record<string, string> {
  return {
    'content-type': 'application/json',
    accept: input.stream ? 'text/event-stream' : 'application/json',
    ...defaults,
    ...input.provider.headers,
  };
}
