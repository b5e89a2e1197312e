import type { ProviderConfig } from '@app/common';
import { GatewayError } from '@app/common';
import { type BuildRequestInput, type ParsedResponse, type ProviderAdapter, STOP_SEQUENCES, type StreamTranslator, type UpstreamErrorInfo, type UpstreamRequest } from '../types';
import { withoutCarriedReasoning } from '../responses/reasoning-carrier';
import { DIALECTS, refusedFields } from '../dialects/dialects';
import { ResponsesPassthroughTranslator } from './openai-stream';
import { parseOpenAIError, usageFromResponses } from './openai-usage';

/**
 * JSON body for a native Responses upstream: the client's fields pass through, except those
 * the provider's dialect refuses (Groq's Responses API has no `store`, for one) and reasoning
 * another provider made (carried by the gateway), which this one cannot read.
 */
export function responsesBody(input: BuildRequestInput): string {
  let body = input.body;
  if ((body[STOP_SEQUENCES]?.length ?? 0) > 0) {
    throw GatewayError.invalidRequest(
      `${input.provider.name} does not support stop sequences ('stop' / 'stop_sequences'): its Responses API has no such parameter. Use a provider that takes them (Anthropic, Bedrock, Gemini, Cohere, Chat Completions providers).`,
      'stop',
    );
  }
  const dialect = DIALECTS.get(input.provider.name);
  if (dialect?.api === 'responses') {
    const refused = refusedFields(body, dialect);
    if (refused.length > 0) {
      // A copy: a fallback to another provider reuses the client's body.
      body = { ...body };
      for (const f of refused) delete body[f];
    }
  }
  body.model = input.upstreamModel;
  if (input.stream) body.stream = true;
  else delete body.stream;
  const items = withoutCarriedReasoning(body.input);
  if (items === body.input) return JSON.stringify(body);
  const sent = Object.assign({}, body);
  sent.input = items;
  return JSON.stringify(sent);
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
