import type { ProviderConfig } from '@app/common';
import type { BuildRequestInput, CallContext, ParsedResponse, ProviderAdapter, StreamTranslator, UpstreamErrorInfo, UpstreamRequest } from '../types';
import { jsonHeaders } from '../request-headers';
import { readTools } from '../responses/request-tools';
import { GEMINI_TOOLS, toGeminiRequest } from './gemini-request';
import { parseGeminiError, parseGeminiResponse } from './gemini-response';
import { GeminiStreamTranslator } from './gemini-stream';

/**
 * Google Gemini API (generativelanguage.googleapis.com, v1beta): `models/{model}:generateContent`
 * and `:streamGenerateContent?alt=sse`, key in `x-goog-api-key`. The base URL is the part
 * before /v1beta, as in Google's SDK.
 */
export class GeminiAdapter implements ProviderAdapter {
  resolveModel(provider: ProviderConfig, model: string): string {
    const name = provider.aliases[model] ?? model;
    return name.startsWith('models/') ? name.slice('models/'.length) : name;
  }

  buildRequest(input: BuildRequestInput): UpstreamRequest {
    const tools = readTools(input.body, GEMINI_TOOLS);
    const body = toGeminiRequest(input.body, input.upstreamModel, tools);
    const model = encodeURIComponent(input.upstreamModel);
    const url = input.stream
      ? `${input.provider.baseUrl}/v1beta/models/${model}:streamGenerateContent?alt=sse`
      : `${input.provider.baseUrl}/v1beta/models/${model}:generateContent`;
    const headers = jsonHeaders(input);
    if (input.key.value) headers['x-goog-api-key'] = input.key.value;
    return { url, headers, body: JSON.stringify(body), droppedTools: tools.dropped };
  }

  parseResponse(text: string, context?: CallContext): ParsedResponse {
    return parseGeminiResponse(text, context);
  }

  parseError(status: number, text: string): UpstreamErrorInfo {
    return parseGeminiError(status, text);
  }

  createStreamTranslator(context?: CallContext): StreamTranslator {
    return new GeminiStreamTranslator(context);
  }
}
