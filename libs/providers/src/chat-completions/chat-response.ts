import type { ParsedResponse, Usage, UpstreamErrorInfo } from '../types';
import { parseOpenAIError } from '../openai/openai-usage';
import { buildResponse, contextModel, tokenCount, type FinishOptions, type OutputPiece, type TranslationContext } from '../responses/response-builder';
import { summaryRequested } from '../responses/builder-stream-translator';
import type { ChatCompletionWire, ChatContentChunk, ChatUsageWire } from './chat-wire';

/** Chat usage -> normalised usage; cached tokens are part of prompt_tokens, reasoning of completion_tokens. */
export function usageFromChat(u: ChatUsageWire | null | undefined): Usage {
  if (!u) return { inputTokens: 0, cachedTokens: 0, outputTokens: 0, reasoningTokens: 0, totalTokens: 0 };
  const inputTokens = tokenCount(u.prompt_tokens);
  const outputTokens = tokenCount(u.completion_tokens);
  return {
    inputTokens,
    cachedTokens: tokenCount(u.prompt_tokens_details?.cached_tokens ?? u.prompt_cache_hit_tokens),
    outputTokens,
    reasoningTokens: tokenCount(u.completion_tokens_details?.reasoning_tokens),
    totalTokens: typeof u.total_tokens === 'number' ? u.total_tokens : inputTokens + outputTokens,
  };
}

/** finish_reason -> Response status: `length` and `content_filter` make an incomplete response. */
export function finishFromChat(reason: string | null | undefined): Pick<FinishOptions, 'status' | 'incompleteReason'> {
  if (reason === 'length') return { status: 'incomplete', incompleteReason: 'max_output_tokens' };
  if (reason === 'content_filter') return { status: 'incomplete', incompleteReason: 'content_filter' };
  return { status: 'completed' };
}

/** Text and thinking of a content that may be a string or Mistral-style chunks. */
export function splitChatContent(content: string | ChatContentChunk[] | null | undefined): { text: string; thinking: string } {
  if (typeof content === 'string') return { text: content, thinking: '' };
  if (!Array.isArray(content)) return { text: '', thinking: '' };
  let text = '';
  let thinking = '';
  for (const c of content) {
    if (c.type === 'text' && 'text' in c && typeof c.text === 'string') text += c.text;
    else if (c.type === 'thinking' && 'thinking' in c && Array.isArray(c.thinking)) {
      for (const t of c.thinking) if (typeof t.text === 'string') thinking += t.text;
    }
  }
  return { text, thinking };
}

export function parseChatCompletion(text: string, ctx?: TranslationContext): ParsedResponse {
  const wire = JSON.parse(text) as ChatCompletionWire;
  if (typeof wire !== 'object' || wire === null || !Array.isArray(wire.choices)) throw new Error('not a chat completion');
  const choice = wire.choices[0] ?? {};
  const message = choice.message ?? {};
  const output: OutputPiece[] = [];
  const content = splitChatContent(message.content);
  const reasoning = message.reasoning_content ?? message.reasoning ?? content.thinking;
  // Chat reasoning does not go back: shown when a summary was asked for, else left out.
  if (reasoning && summaryRequested(ctx)) output.push({ type: 'reasoning', text: reasoning });
  const answer = content.text || (typeof message.refusal === 'string' ? message.refusal : '');
  if (answer) output.push({ type: 'text', text: answer });
  for (const [i, call] of (message.tool_calls ?? []).entries()) {
    output.push({
      type: 'function_call',
      callId: call.id || `call_${i}`,
      name: call.function?.name ?? '',
      arguments: call.function?.arguments ?? '',
    });
  }
  const usage = usageFromChat(wire.usage);
  const response = buildResponse({
    model: wire.model || contextModel(ctx),
    requestBody: ctx?.requestBody,
    output,
    usage,
    ...finishFromChat(choice.finish_reason),
  });
  return { response, usage };
}

/**
 * OpenAI's `{"error": {...}}`, plus what compatible servers send instead: Mistral's flat
 * `{"object": "error", "message", "type", "code"}` and FastAPI's `{"detail": ...}`.
 */
export function parseChatError(status: number, text: string): UpstreamErrorInfo {
  try {
    const parsed = JSON.parse(text) as Record<string, unknown>;
    if (typeof parsed === 'object' && parsed !== null && parsed.error === undefined) {
      if (typeof parsed.message === 'string') {
        return {
          message: parsed.message,
          type: typeof parsed.type === 'string' ? parsed.type : null,
          code: typeof parsed.code === 'string' ? parsed.code : parsed.code == null ? null : String(parsed.code),
          param: typeof parsed.param === 'string' ? parsed.param : null,
        };
      }
      if (parsed.detail !== undefined) {
        const detail = typeof parsed.detail === 'string' ? parsed.detail : JSON.stringify(parsed.detail).slice(0, 500);
        return { message: detail, type: null, code: null, param: null };
      }
    }
  } catch {
    // not JSON: the OpenAI parser keeps the raw text
  }
  return parseOpenAIError(status, text);
}
