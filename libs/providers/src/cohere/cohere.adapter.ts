import type { ProviderConfig } from '@app/common';
import type { BuildRequestInput, CallContext, ParsedResponse, ProviderAdapter, StreamTranslator, UpstreamErrorInfo, UpstreamRequest } from '../types';
import { jsonHeaders } from '../request-headers';
import { readTools } from '../responses/request-tools';
import { toCohereRequest } from './cohere-request';
import { parseCohereError, parseCohereResponse } from './cohere-response';
import { CohereStreamTranslator } from './cohere-stream';
import { bearer, JoinedOnce } from '../http/joined-once';

const CHAT_URL = new JoinedOnce('', '/v2/chat');

/** Cohere v2 chat (`POST <base>/v2/chat`, bearer key); the base URL is the host root. */
export class CohereAdapter implements ProviderAdapter {
  resolveModel(provider: ProviderConfig, model: string): string {
    return provider.aliases[model] ?? model;
  }

  buildRequest(input: BuildRequestInput): UpstreamRequest {
    const headers = jsonHeaders(input);
    if (input.key.value) headers.authorization = bearer(input.key.value);
    const tools = readTools(input.body);
    const body = toCohereRequest(input.body, input.upstreamModel, input.stream, tools);
    return { url: CHAT_URL.of(input.provider.baseUrl), headers, body: JSON.stringify(body), droppedTools: tools.dropped };
  }

  parseResponse(text: string, context?: CallContext): ParsedResponse {
    return parseCohereResponse(text, context);
  }

  parseError(status: number, text: string): UpstreamErrorInfo {
    return parseCohereError(status, text);
  }

  createStreamTranslator(context?: CallContext): StreamTranslator {
    return new CohereStreamTranslator(context);
  }
}
