import { type Json, isJson } from '@app/common';
import { type OutputPiece, type Outcome, contextModel, parsedResponse, tokenCount } from '../responses/response-builder';
import type { CallContext, ParsedResponse, Usage, UpstreamErrorInfo } from '../types';
import { newCallId } from '../responses/request-input';
import { carryThoughtSignature } from './gemini-request';

/** Gemini `GenerateContentResponse`, the fields the gateway reads. */
export interface GeminiResponse {
  candidates?: {
    content?: { role?: string; parts?: GeminiResponsePart[] };
    finishReason?: string;
    finishMessage?: string;
    groundingMetadata?: GroundingMetadata;
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

/** What Grounding with Google Search reports: the queries, the pages, and which text each supports. */
export interface GroundingMetadata {
  webSearchQueries?: string[];
  groundingChunks?: { web?: { uri?: string; title?: string } }[];
  /** Segment offsets are UTF-8 byte offsets into the candidate's text. */
  groundingSupports?: { segment?: { startIndex?: number; endIndex?: number }; groundingChunkIndices?: number[] }[];
}

/** The search as a `web_search_call` action, and `url_citation`s into `text` (the candidate's whole text). */
export function groundingOutput(g: GroundingMetadata, text: string): { action: Record<string, unknown>; annotations: Record<string, unknown>[] } {
  const queries = (g.webSearchQueries ?? []).filter((q) => typeof q === 'string');
  const chunks = g.groundingChunks ?? [];
  const sources = chunks.flatMap((c) => (typeof c.web?.uri === 'string' ? [{ type: 'url', url: c.web.uri }] : []));
  const action: Record<string, unknown> = { type: 'search', ...(queries.length > 0 && { query: queries[0], queries }), sources };
  const bytes = Buffer.from(text, 'utf8');
  const charAt = (byte: number): number => bytes.subarray(0, Math.max(0, Math.min(byte, bytes.length))).toString('utf8').length;
  const annotations: Record<string, unknown>[] = [];
  for (const s of g.groundingSupports ?? []) {
    const start = charAt(s.segment?.startIndex ?? 0);
    const end = charAt(s.segment?.endIndex ?? 0);
    for (const i of s.groundingChunkIndices ?? []) {
      const web = chunks[i]?.web;
      if (typeof web?.uri === 'string') annotations.push({ type: 'url_citation', url: web.uri, title: web.title ?? web.uri, start_index: start, end_index: end });
    }
  }
  return { action, annotations };
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
  if (!isJson(r as unknown)) throw new Error('not a Gemini response');
  const usage = usageFromGemini(r.usageMetadata);
  const candidate = r.candidates?.[0];
  const output: OutputPiece[] = [];
  let answerText = '';
  for (const p of candidate?.content?.parts ?? []) {
    if (p.functionCall?.name !== undefined) {
      const callId = p.functionCall.id ?? newCallId();
      if (typeof p.thoughtSignature === 'string') {
        // The signature goes back with the call: in the reasoning before it (the thoughts', if shown).
        const carried = carryThoughtSignature(p.thoughtSignature, callId);
        const last = output[output.length - 1];
        if (last?.type === 'reasoning' && last.encryptedContent === undefined) last.encryptedContent = carried;
        else output.push({ type: 'reasoning', text: '', encryptedContent: carried });
      }
      output.push({ type: 'function_call', callId, name: p.functionCall.name, arguments: JSON.stringify(p.functionCall.args ?? {}) });
    } else if (typeof p.text === 'string') {
      if (p.thought !== true) answerText += p.text;
      output.push(p.thought === true ? { type: 'reasoning', text: p.text } : { type: 'text', text: p.text });
    }
  }
  const grounding = candidate?.groundingMetadata;
  if (grounding !== undefined) {
    const { action, annotations } = groundingOutput(grounding, answerText);
    for (const annotation of annotations) output.push({ type: 'annotation', annotation });
    output.push({ type: 'web_search_call', action });
  }
  const outcome = promptBlock(r) ?? outcomeOf(candidate?.finishReason, candidate?.finishMessage);
  return parsedResponse(output, usage, outcome, ctx, r.modelVersion ?? contextModel(ctx));
}

/** Google's error body `{error: {code, message, status}}` (streams may wrap it in an array). */
export function parseGeminiError(status: number, text: string): UpstreamErrorInfo {
  try {
    let parsed: unknown = JSON.parse(text);
    if (Array.isArray(parsed)) parsed = parsed[0];
    const e = isJson(parsed) ? parsed.error : undefined;
    if (isJson(e)) {
      const code = typeof e.status === 'string' ? e.status : typeof e.code === 'number' ? String(e.code) : null;
      return { message: typeof e.message === 'string' ? e.message : `HTTP ${status}`, type: code, code, param: null };
    }
  } catch {
    // not JSON
  }
  const trimmed = text.trim().slice(0, 500);
  return { message: trimmed || `HTTP ${status}`, type: null, code: null, param: null };
}
