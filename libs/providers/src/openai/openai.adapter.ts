import type { ProviderConfig } from '@app/common';
import type { BuildRequestInput, ParsedResponse, ProviderAdapter, StreamTranslator, UpstreamErrorInfo, UpstreamRequest } from '../types';
import { withoutCarriedReasoning } from '../responses/reasoning-carrier';
import { ResponsesPassthroughTranslator } from './openai-stream';
import { parseOpenAIError, usageFromResponses } from './openai-usage';

/**
 * JSON body for a native Responses upstream: the client's fields pass through untouched, but
 * for reasoning another provider made (carried by the gateway), which this one cannot read.
 */
export function responsesBody(input: BuildRequestInput): string {
  const body = input.body;
  body.model = input.upstreamModel;
  if (input.stream) body.stream = true;
  else delete body.stream;
  const items = withoutCarriedReasoning(body.input);
  return JSON.stringify(items === body.input ? body : { ...body, input: items });
}

/**
 * OpenAI and every server that implements its Responses API (`openai-compatible`: vLLM,
 * Ollama, OpenRouter, Groq, xAI...). Base URLs end in /v1, as in the official SDK.
 */
export class OpenAIAdapter implements ProviderAdapter {
  resolveModel(provider: ProviderConfig, model: string): string {
    return provider.aliases[model] ?? model;
  }

  buildRequest(input: BuildRequestInput): UpstreamRequest {
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      accept: input.stream ? 'text/event-stream' : 'application/json',
      ...input.provider.headers,
    };
    if (input.key.value) headers.authorization = `Bearer ${input.key.value}`;
    return { url: `${input.provider.baseUrl}/responses`, headers, body: responsesBody(input) };
  }

  parseResponse(text: string): ParsedResponse {
    const response = JSON.parse(text) as Record<string, unknown>;
    return { response, usage: usageFromResponses(response.usage), json: text };
  }

  parseError(status: number, text: string): UpstreamErrorInfo {
    return parseOpenAIError(status, text);
  }

  createStreamTranslator(): StreamTranslator {
    return new ResponsesPassthroughTranslator();
  }
}
