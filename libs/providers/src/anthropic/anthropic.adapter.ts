import type { ProviderConfig } from '@app/common';
import type { BuildRequestInput, ParsedResponse, ProviderAdapter, StreamTranslator, UpstreamErrorInfo, UpstreamRequest } from '../types';
import type { TranslationContext } from '../responses/response-builder';
import { jsonHeaders } from '../request-headers';
import { readTools } from '../responses/request-tools';
import { ANTHROPIC_TOOLS, buildAnthropicBody } from './anthropic-request';
import { parseAnthropicError, parseAnthropicMessage } from './anthropic-response';
import { AnthropicStreamTranslator } from './anthropic-stream';
import { JoinedOnce } from '../http/joined-once';

const MESSAGES_URL = new JoinedOnce('', '/v1/messages');

export const ANTHROPIC_VERSION = '2023-06-01';

/**
 * Anthropic's Messages API (`kind: 'anthropic'`). The base URL is the host root, as in
 * Anthropic's SDK; requests go to /v1/messages with `x-api-key` and `anthropic-version`
 * (override it, or add `anthropic-beta`, through the provider's `headers`). HTTP 529
 * `overloaded_error` is >= 500, so the gateway retries it and falls back.
 */
export class AnthropicAdapter implements ProviderAdapter {
  resolveModel(provider: ProviderConfig, model: string): string {
    return provider.aliases[model] ?? model;
  }

  buildRequest(input: BuildRequestInput): UpstreamRequest {
    const headers = jsonHeaders(input, { 'anthropic-version': ANTHROPIC_VERSION });
    if (input.key.value) headers['x-api-key'] = input.key.value;
    const tools = readTools(input.body, ANTHROPIC_TOOLS);
    return { url: MESSAGES_URL.of(input.provider.baseUrl), headers, body: JSON.stringify(buildAnthropicBody(input, tools)), droppedTools: tools.dropped };
  }

  parseResponse(text: string, ctx?: TranslationContext): ParsedResponse {
    return parseAnthropicMessage(text, ctx);
  }

  parseError(status: number, text: string): UpstreamErrorInfo {
    return parseAnthropicError(status, text);
  }

  createStreamTranslator(ctx?: TranslationContext): StreamTranslator {
    return new AnthropicStreamTranslator(ctx);
  }
}
