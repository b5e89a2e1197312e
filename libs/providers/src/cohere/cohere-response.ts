import { isJson } from '@app/common';
import { type OutputPiece, type Outcome, parsedResponse, tokenCount } from '../responses/response-builder';
import type { CallContext, ParsedResponse, Usage, UpstreamErrorInfo } from '../types';

import { summaryRequested } from '../responses/builder-stream-translator';

export interface CohereUsage {
  billed_units?: { input_tokens?: number; output_tokens?: number };
  tokens?: { input_tokens?: number; output_tokens?: number };
  cached_tokens?: number;
}

interface CohereChatResponse {
  id?: string;
  finish_reason?: string;
  message?: {
    content?: { type?: string; text?: string; thinking?: string }[];
    tool_plan?: string;
    tool_calls?: { id?: string; function?: { name?: string; arguments?: string } }[];
  };
  usage?: CohereUsage;
}

/** Billed units are what Cohere charges for; raw token counts (prompt template included) otherwise. */
export function usageFromCohere(u: CohereUsage | undefined): Usage {
  const counts = u?.billed_units ?? u?.tokens;
  const inputTokens = tokenCount(counts?.input_tokens);
  const outputTokens = tokenCount(counts?.output_tokens);
  return { inputTokens, cachedTokens: tokenCount(u?.cached_tokens), outputTokens, reasoningTokens: 0, totalTokens: inputTokens + outputTokens };
}

export function outcomeOfFinish(reason: string | undefined): Outcome {
  switch (reason) {
    case 'MAX_TOKENS':
      return { status: 'incomplete', reason: 'max_output_tokens' };
    case 'ERROR':
    case 'TIMEOUT':
      return { status: 'failed', code: reason.toLowerCase(), message: `Cohere stopped with finish reason ${reason}` };
    default:
      // COMPLETE, STOP_SEQUENCE, TOOL_CALL
      return { status: 'completed' };
  }
}

export function parseCohereResponse(text: string, ctx?: CallContext): ParsedResponse {
  const r = JSON.parse(text) as CohereChatResponse;
  if (!isJson(r as unknown) || typeof r.message !== 'object' || r.message === null) throw new Error('not a Cohere chat response');
  const usage = usageFromCohere(r.usage);
  const output: OutputPiece[] = [];
  // Cohere's reasoning does not go back: shown as a summary when one was asked for, else left out.
  const summary = summaryRequested(ctx);
  // The tool plan is the model's reasoning before its calls.
  if (summary && typeof r.message.tool_plan === 'string' && r.message.tool_plan !== '') output.push({ type: 'reasoning', text: r.message.tool_plan });
  for (const c of r.message.content ?? []) {
    if (c.type === 'thinking') {
      if (summary && typeof c.thinking === 'string') output.push({ type: 'reasoning', text: c.thinking });
    } else if (typeof c.text === 'string') output.push({ type: 'text', text: c.text });
  }
  for (const call of r.message.tool_calls ?? []) {
    output.push({ type: 'function_call', callId: call.id ?? '', name: call.function?.name ?? '', arguments: call.function?.arguments ?? '{}' });
  }
  return parsedResponse(output, usage, outcomeOfFinish(r.finish_reason), ctx);
}

const CODE_BY_STATUS: Record<number, string> = {
  400: 'invalid_request', 401: 'unauthorized', 402: 'payment_required', 404: 'not_found', 422: 'unprocessable_entity',
  429: 'too_many_requests', 499: 'client_closed_request', 500: 'internal_server_error', 503: 'service_unavailable', 504: 'gateway_timeout',
};

/** Cohere error bodies: `{"id": ..., "message": ...}`. */
export function parseCohereError(status: number, text: string): UpstreamErrorInfo {
  const code = CODE_BY_STATUS[status] ?? null;
  try {
    const e: unknown = JSON.parse(text);
    if (isJson(e) && typeof e.message === 'string') return { message: e.message, type: code, code, param: null };
  } catch {
    // not JSON
  }
  return { message: text.trim().slice(0, 500) || `HTTP ${status}`, type: code, code, param: null };
}
