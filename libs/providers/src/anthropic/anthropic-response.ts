import type { ParsedResponse, Usage, UpstreamErrorInfo } from '../types';
import { buildResponse, contextModel, tokenCount, type FinishOptions, type OutputPiece, type TranslationContext, type UrlCitation } from '../responses/response-builder';
import { summaryRequested } from '../responses/builder-stream-translator';
import { carryThinking } from '../responses/reasoning-carrier';
import { JSON_RESPONSE_TOOL } from './anthropic-request';
import type { AnthropicCitationWire, AnthropicErrorWire, AnthropicMessageWire, AnthropicUsageWire } from './anthropic-wire';

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
export function finishFromAnthropic(stopReason: string | null | undefined, stopSequence?: string | null): Pick<FinishOptions, 'status' | 'incompleteReason' | 'stopSequence'> {
  switch (stopReason) {
    case 'stop_sequence':
      return { status: 'completed', stopSequence: typeof stopSequence === 'string' ? stopSequence : null };
    case 'max_tokens':
    case 'model_context_window_exceeded':
      return { status: 'incomplete', incompleteReason: 'max_output_tokens' };
    case 'refusal':
      return { status: 'incomplete', incompleteReason: 'content_filter' };
    default:
      // end_turn, tool_use, pause_turn
      return { status: 'completed' };
  }
}

/** Web search citations of a text block (other citation kinds have no URL to point at). */
export function urlCitationsOf(citations: readonly AnthropicCitationWire[] | null | undefined): UrlCitation[] {
  const out: UrlCitation[] = [];
  for (const c of citations ?? []) if (typeof c.url === 'string') out.push({ url: c.url, title: typeof c.title === 'string' ? c.title : null });
  return out;
}

/** A web_search_tool_result block as a `web_search_call` action: the query and the pages found. */
export function webSearchAction(query: string | null, content: unknown): { action: Record<string, unknown>; failed: boolean } {
  const results = Array.isArray(content) ? content : [];
  const sources = results.flatMap((r) => (typeof r === 'object' && r !== null && typeof (r as { url?: unknown }).url === 'string' ? [{ type: 'url', url: (r as { url: string }).url }] : []));
  return { action: { type: 'search', ...(query !== null && { query }), sources }, failed: !Array.isArray(content) };
}

/** The query of a web search server_tool_use (its input, as JSON text while streaming). */
export function webSearchQuery(input: unknown): string | null {
  let v = input;
  if (typeof v === 'string') {
    try {
      v = JSON.parse(v);
    } catch {
      return null;
    }
  }
  return typeof v === 'object' && v !== null && typeof (v as { query?: unknown }).query === 'string' ? (v as { query: string }).query : null;
}

export function parseAnthropicMessage(text: string, ctx?: TranslationContext): ParsedResponse {
  const wire = JSON.parse(text) as AnthropicMessageWire;
  if (typeof wire !== 'object' || wire === null || !Array.isArray(wire.content)) throw new Error('not an Anthropic message');
  const summary = summaryRequested(ctx);
  const output: OutputPiece[] = [];
  const queries = new Map<string, string | null>();
  for (const block of wire.content) {
    if (block.type === 'text' && 'text' in block) {
      const citations = urlCitationsOf('citations' in block ? block.citations : null);
      output.push(citations.length > 0 ? { type: 'text', text: block.text, citations } : { type: 'text', text: block.text });
    } else if (block.type === 'tool_use' && 'input' in block) {
      const args = JSON.stringify(block.input ?? {});
      if (block.name === JSON_RESPONSE_TOOL) output.push({ type: 'text', text: args });
      else output.push({ type: 'function_call', callId: block.id, name: block.name, arguments: args });
    } else if (block.type === 'server_tool_use' && 'id' in block) {
      queries.set(block.id, webSearchQuery(block.input));
    } else if (block.type === 'web_search_tool_result' && 'tool_use_id' in block) {
      output.push({ type: 'web_search_call', ...webSearchAction(queries.get(block.tool_use_id) ?? null, block.content) });
    } else if (block.type === 'thinking' && 'thinking' in block) {
      // The thinking is the summary only when one was asked for; it always goes back whole.
      const piece: OutputPiece = { type: 'reasoning', text: summary ? block.thinking : '' };
      if (block.signature) piece.encryptedContent = carryThinking('anthropic', { text: block.thinking, signature: block.signature });
      output.push(piece);
    } else if (block.type === 'redacted_thinking' && 'data' in block) {
      output.push({ type: 'reasoning', text: '', encryptedContent: carryThinking('anthropic', { redacted: block.data }) });
    }
  }
  const usage = usageFromAnthropic(wire.usage);
  const response = buildResponse({
    model: wire.model || contextModel(ctx),
    requestBody: ctx?.requestBody,
    output,
    usage,
    ...finishFromAnthropic(wire.stop_reason, wire.stop_sequence),
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
