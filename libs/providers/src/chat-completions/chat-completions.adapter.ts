import type { ProviderConfig } from '@app/common';
import type { BuildRequestInput, ParsedResponse, ProviderAdapter, StreamTranslator, UpstreamErrorInfo, UpstreamRequest } from '../types';
import type { TranslationContext } from '../responses/response-builder';
import { jsonHeaders } from '../request-headers';
import { readTools } from '../responses/request-tools';
import { buildChatBody } from './chat-request';
import { parseChatCompletion, parseChatError } from './chat-response';
import { ChatStreamTranslator } from './chat-stream';
import { bearer, JoinedOnce } from '../http/joined-once';

const CHAT_COMPLETIONS_URL = new JoinedOnce('', '/chat/completions');

/**
 * The Chat Completions bridge (`kind: 'chat-completions'`): Responses in, `/chat/completions`
 * out, and the answer (streamed or not) back as a Responses answer. Serves Mistral, DeepSeek,
 * Together, Fireworks, Cerebras, Perplexity and any compatible server that lacks the
 * Responses API. Base URLs end in /v1, as in their SDKs.
 */
export class ChatCompletionsAdapter implements ProviderAdapter {
  resolveModel(provider: ProviderConfig, model: string): string {
    return provider.aliases[model] ?? model;
  }

  buildRequest(input: BuildRequestInput): UpstreamRequest {
    const headers = jsonHeaders(input);
    if (input.key.value) headers.authorization = bearer(input.key.value);
    const tools = readTools(input.body);
    return { url: CHAT_COMPLETIONS_URL.of(input.provider.baseUrl), headers, body: JSON.stringify(buildChatBody(input, tools)), droppedTools: tools.dropped };
  }

  parseResponse(text: string, ctx?: TranslationContext): ParsedResponse {
    return parseChatCompletion(text, ctx);
  }

  parseError(status: number, text: string): UpstreamErrorInfo {
    return parseChatError(status, text);
  }

  createStreamTranslator(ctx?: TranslationContext): StreamTranslator {
    return new ChatStreamTranslator(ctx);
  }
}
