import type { ProviderConfig } from '@app/common';
import { GatewayError } from '@app/common';
import { type BuildRequestInput, type CallContext, type ParsedResponse, type ProviderAdapter, RESPONSE_MEMBERS, type ResponseScan, STOP_SEQUENCES, type StreamTranslator, type UpstreamErrorInfo, type UpstreamRequest, type Usage } from '../types';
import { withoutCarriedReasoning } from '../responses/reasoning-carrier';
import { scanObject } from '../responses/json-text';
import { scanResponse } from '../responses/response-scan';
import { DIALECTS, refusedFields } from '../dialects/dialects';
import { ResponsesPassthroughTranslator } from './openai-stream';
import { parseOpenAIError, usageFromResponses, usageFromText } from './openai-usage';
import { bearer, JoinedOnce } from '../http/joined-once';

const RESPONSES_URL = new JoinedOnce('', '/responses');

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
  // Only when given (most bodies lack it): a `delete` of an absent key is a call into V8's runtime too.
  else if (body.stream !== undefined) delete body.stream;
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
    const accept = input.stream ? 'text/event-stream' : 'application/json';
    const key = input.key.value;
    let headers: Record<string, string>;
    if (key && isEmpty(input.provider.headers)) {
      // The usual case as one literal: a spread of no headers still costs a copy.
      headers = { 'content-type': 'application/json', accept, authorization: bearer(key) };
    } else {
      headers = { 'content-type': 'application/json', accept, ...input.provider.headers };
      if (key) headers.authorization = bearer(key);
    }
    return { url: RESPONSES_URL.of(input.provider.baseUrl), headers, body: responsesBody(input) };
  }

  /**
   * Unless the caller needs the object anyway, a body that a walk finds to be a plain JSON
   * object has its usage read off its text, and is parsed only if something asks for the
   * object; anything else is parsed at once, so that a body which is not JSON still fails here.
   */
  parseResponse(text: string, context?: CallContext): ParsedResponse {
    if (context?.needsResponse !== true) {
      // A stored turn's walk reads what storing it as text needs besides (scanResponse).
      const memberSpans = context?.memberSpans === true;
      const scan = memberSpans ? scanResponse(text) : null;
      const spans = memberSpans ? (scan?.members ?? null) : scanObject(text, SPLICED_KEYS);
      if (spans !== null && spans[2] === -1) return new PassThroughResponse(text, spans[0], spans[1], scan ?? undefined);
    }
    const response = JSON.parse(text) as Record<string, unknown>;
    return { response, usage: usageFromResponses(response.usage), json: text };
  }

  parseError(status: number, text: string): UpstreamErrorInfo {
    return parseOpenAIError(status, text);
  }

  createStreamTranslator(context?: CallContext): StreamTranslator {
    return new ResponsesPassthroughTranslator(context?.needsResponse === true, context?.memberSpans === true);
  }
}

function isEmpty(headers: Record<string, string>): boolean {
  for (const _ in headers) return false;
  return true;
}

// The top-level keys the gateway splices around: `usage` gets the cost, `extra_fields` is its own.
const SPLICED_KEYS = RESPONSE_MEMBERS.slice(0, 2);

/** A Response body known to be a plain JSON object (scanObject): the object is parsed on first read. */
class PassThroughResponse implements ParsedResponse {
  usage: Usage;
  readonly usageAt: number;
  readonly usageEnd: number;
  private parsed: Record<string, unknown> | null = null;

  constructor(readonly json: string, usageStart: number, usageEnd: number, readonly scan?: ResponseScan) {
    const usageObject = usageStart !== -1 && json.charCodeAt(usageStart) === 0x7b /* { */;
    this.usageAt = usageObject ? usageStart : -1;
    this.usageEnd = usageObject ? usageEnd : -1;
    // Any other value reads as no usage, as usageFromResponses reads it. OpenAI's own shape
    // (usageFromText) is read off the text: its parse costs more than the rest of this object.
    const read = usageObject ? usageFromText(json, usageStart) : undefined;
    // The match must be the whole value the walk found, or the text is parsed as any other.
    const whole = read !== undefined && read.end === usageEnd;
    this.usage = whole ? read.usage : usageFromResponses(usageObject ? JSON.parse(json.slice(usageStart, usageEnd)) : null);
  }

  get response(): Record<string, unknown> {
    return (this.parsed ??= JSON.parse(this.json) as Record<string, unknown>);
  }
}
