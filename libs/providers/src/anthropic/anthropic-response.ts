import type { ParsedResponse, Usage, UpstreamErrorInfo } from '../types';
import { buildResponse, contextModel, tokenCount, type FinishOptions, type OutputPiece, type TranslationContext } from '../responses/response-builder';
import { JSON_RESPONSE_TOOL, REDACTED_THINKING_PREFIX } from './anthropic-request';
import type { AnthropicErrorWire, AnthropicMessageWire, AnthropicUsageWire } from './anthropic-wire';

/**
 * Anthropic's `input_tokens` leaves out prompt-cache reads and writes: the normalised input
 * adds both back, with the reads as cached tokens and the writes as cacheWriteTokens.
 */
export function usageFromAnthropic(u: AnthropicUsageWire | null | undefined): Usage {
  const cacheRead = tokenCount(u?.cache_read_input_tokens);
  const cacheWrite = tokenCount(u?.cache_creation_input_tokens);
  const inputTokens = tokenCount(u?.input_tokens) + cacheRead + cacheWrite;
  const outputTokens = tokenCount(u?.output_tokens);
  return {
    inputTokens,
    cachedTokens: cacheRead,
    cacheWriteTokens: cacheWrite,
    outputTokens,
    reasoningTokens: tokenCount(u?.output_tokens_details?.thinking_tokens),
    totalTokens: inputTokens + outputTokens,
  };
}

/** stop_reason -> Response status. `refusal` (streaming classifiers) is reported like OpenAI's content filter. */
export function finishFromAnthropic(stopReason: string | null | undefined): Pick<FinishOptions, 'status' | 'incompleteReason'> {
  switch (stopReason) {
    case 'max_tokens':
    case 'model_context_window_exceeded':
      return { status: 'incomplete', incompleteReason: 'max_output_tokens' };
    case 'refusal':
      return { status: 'incomplete', incompleteReason: 'content_filter' };
    default:
      // end_turn, tool_use, stop_sequence, pause_turn
      return { status: 'completed' };
  }
}

export function parseAnthropicMessage(text: string, ctx?: TranslationContext): ParsedResponse {
  const wire = JSON.parse(text) as AnthropicMessageWire;
  if (typeof wire !== 'object' || wire === null || !Array.isArray(wire.content)) throw new Error('not an Anthropic message');
  const output: OutputPiece[] = [];
  for (const block of wire.content) {
    if (block.type === 'text' && 'text' in block) {
      output.push({ type: 'text', text: block.text });
    } else if (block.type === 'tool_use' && 'input' in block) {
      const args = JSON.stringify(block.input ?? {});
      if (block.name === JSON_RESPONSE_TOOL) output.push({ type: 'text', text: args });
      else output.push({ type: 'function_call', callId: block.id, name: block.name, arguments: args });
    } else if (block.type === 'thinking' && 'thinking' in block) {
      output.push({ type: 'reasoning', text: block.thinking, ...(block.signature ? { encryptedContent: block.signature } : {}) });
    } else if (block.type === 'redacted_thinking' && 'data' in block) {
      output.push({ type: 'reasoning', text: '', encryptedContent: REDACTED_THINKING_PREFIX + block.data });
    }
  }
  const usage = usageFromAnthropic(wire.usage);
  const response = buildResponse({
    model: wire.model || contextModel(ctx),
    requestBody: ctx?.requestBody,
    output,
    usage,
    ...finishFromAnthropic(wire.stop_reason),
  });
  return { response, usage };
}

/** Anthropic's error body `{"type": "error", "error": {"type", "message"}}`; its type becomes the code. */
export function parseAnthropicError(status: number, text: string): UpstreamErrorInfo {
  try {
    const parsed = JSON.parse(text) as AnthropicErrorWire;
    const e = parsed?.error;
    if (typeof e === 'object' && e !== null) {
      return {
        message: typeof e.message === 'string' ? e.message : `HTTP ${status}`,
        type: typeof e.type === 'string' ? e.type : null,
        code: typeof e.type === 'string' ? e.type : null,
        param: null,
      };
    }
  } catch {
    // not JSON: keep the text
  }
  const trimmed = text.trim().slice(0, 500);
  return { message: trimmed || `HTTP ${status}`, type: null, code: null, param: null };
}
