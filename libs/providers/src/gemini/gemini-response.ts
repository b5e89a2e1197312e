import { type OutputPiece, type Outcome, contextModel, parsedResponse, tokenCount } from '../responses/response-builder';
import type { CallContext, ParsedResponse, Usage, UpstreamErrorInfo } from '../types';
import { isObj, newCallId } from '../responses/request-input';

/** Gemini `GenerateContentResponse`, the fields the gateway reads. */
export interface GeminiResponse {
  candidates?: {
    content?: { role?: string; parts?: GeminiResponsePart[] };
    finishReason?: string;
    finishMessage?: string;
  }[];
  promptFeedback?: { blockReason?: string; blockReasonMessage?: string };
  usageMetadata?: GeminiUsage;
  modelVersion?: string;
  responseId?: string;
  error?: unknown;
}

export interface GeminiResponsePart {
  text?: string;
  thought?: boolean;
  thoughtSignature?: string;
  functionCall?: { id?: string; name?: string; args?: Record<string, unknown> };
}

export interface GeminiUsage {
  promptTokenCount?: number;
  cachedContentTokenCount?: number;
  candidatesTokenCount?: number;
  thoughtsTokenCount?: number;
  toolUsePromptTokenCount?: number;
  totalTokenCount?: number;
}

/**
 * Gemini counts thoughts apart from the answer (candidatesTokenCount excludes them); the
 * Responses API counts reasoning inside output. Tool-use prompt tokens are input.
 */
export function usageFromGemini(u: GeminiUsage | undefined): Usage {
  const inputTokens = tokenCount(u?.promptTokenCount) + tokenCount(u?.toolUsePromptTokenCount);
  const reasoningTokens = tokenCount(u?.thoughtsTokenCount);
  const outputTokens = tokenCount(u?.candidatesTokenCount) + reasoningTokens;
  return { inputTokens, cachedTokens: tokenCount(u?.cachedContentTokenCount), outputTokens, reasoningTokens, totalTokens: inputTokens + outputTokens };
}

const CONTENT_FILTER = new Set(['SAFETY', 'RECITATION', 'BLOCKLIST', 'PROHIBITED_CONTENT', 'SPII', 'IMAGE_SAFETY', 'LANGUAGE']);

export function outcomeOf(finishReason: string | undefined, finishMessage?: string): Outcome {
  if (finishReason === undefined || finishReason === 'STOP' || finishReason === 'FINISH_REASON_UNSPECIFIED') return { status: 'completed' };
  if (finishReason === 'MAX_TOKENS') return { status: 'incomplete', reason: 'max_output_tokens' };
  if (CONTENT_FILTER.has(finishReason)) return { status: 'incomplete', reason: 'content_filter' };
  // MALFORMED_FUNCTION_CALL, UNEXPECTED_TOOL_CALL, OTHER...: the model failed to answer.
  return { status: 'failed', code: finishReason.toLowerCase(), message: finishMessage ?? `Gemini stopped with finish reason ${finishReason}` };
}

/** A prompt Gemini refused to answer at all (no candidates). */
export function promptBlock(r: GeminiResponse): Outcome | null {
  const reason = r.promptFeedback?.blockReason;
  if (reason === undefined || (r.candidates?.length ?? 0) > 0) return null;
  return { status: 'failed', code: 'content_filter', message: r.promptFeedback?.blockReasonMessage ?? `Gemini blocked the prompt (${reason})` };
}

export function parseGeminiResponse(text: string, ctx?: CallContext): ParsedResponse {
  const r = JSON.parse(text) as GeminiResponse;
  if (!isObj(r as unknown)) throw new Error('not a Gemini response');
  const usage = usageFromGemini(r.usageMetadata);
  const candidate = r.candidates?.[0];
  const output: OutputPiece[] = [];
  for (const p of candidate?.content?.parts ?? []) {
    if (p.functionCall?.name !== undefined) {
      output.push({ type: 'function_call', callId: p.functionCall.id ?? newCallId(), name: p.functionCall.name, arguments: JSON.stringify(p.functionCall.args ?? {}) });
    } else if (typeof p.text === 'string') {
      output.push(p.thought === true ? { type: 'reasoning', text: p.text } : { type: 'text', text: p.text });
    }
  }
  const outcome = promptBlock(r) ?? outcomeOf(candidate?.finishReason, candidate?.finishMessage);
  return parsedResponse(output, usage, outcome, ctx, r.modelVersion ?? contextModel(ctx));
}

/** Google's error body `{error: {code, message, status}}` (streams may wrap it in an array). */
export function parseGeminiError(status: number, text: string): UpstreamErrorInfo {
  try {
    let parsed: unknown = JSON.parse(text);
    if (Array.isArray(parsed)) parsed = parsed[0];
    const e = isObj(parsed) ? parsed.error : undefined;
    if (isObj(e)) {
      const code = typeof e.status === 'string' ? e.status : typeof e.code === 'number' ? String(e.code) : null;
      return { message: typeof e.message === 'string' ? e.message : `HTTP ${status}`, type: code, code, param: null };
    }
  } catch {
    // not JSON
  }
  const trimmed = text.trim().slice(0, 500);
  return { message: trimmed || `HTTP ${status}`, type: null, code: null, param: null };
}
