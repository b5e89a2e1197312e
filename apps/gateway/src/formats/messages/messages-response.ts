import { randomBytes } from 'node:crypto';
import { isJson, type Json } from '@app/common';
import type { MessagesEgress } from './messages-request';
import { isRedactedSignature, signatureOf } from './thinking-signature';

/**
 * The canonical Responses answer -> Anthropic's `message` object: content blocks in the order
 * of the output items (thinking with its signature, text, tool_use), Anthropic's stop reasons
 * and usage (input without the cache reads, which are counted apart), plus the gateway's own
 * fields (`usage.cost`, `extra_fields`), which Anthropic's SDKs pass over.
 */

export type StopReason = 'end_turn' | 'max_tokens' | 'stop_sequence' | 'tool_use' | 'pause_turn' | 'refusal';

export interface WebSearchCitation {
  type: 'web_search_result_location';
  url: string;
  title: string | null;
  cited_text: string;
  encrypted_index: string;
}

export interface WebSearchResult {
  type: 'web_search_result';
  url: string;
  title: string;
  encrypted_content: string;
  page_age: null;
}

export type MessageBlock =
  | { type: 'text'; text: string; citations?: WebSearchCitation[] }
  | { type: 'thinking'; thinking: string; signature: string }
  | { type: 'redacted_thinking'; data: string }
  | { type: 'tool_use'; id: string; name: string; input: unknown }
  | { type: 'server_tool_use'; id: string; name: 'web_search'; input: { query?: string } }
  | { type: 'web_search_tool_result'; tool_use_id: string; content: WebSearchResult[] | { type: 'web_search_tool_result_error'; error_code: string } };

export interface MessagesUsage {
  input_tokens: number;
  cache_creation_input_tokens: number;
  cache_read_input_tokens: number;
  output_tokens: number;
  /** The gateway's price of the usage (`usage.cost` of the Responses API). */
  cost?: unknown;
}

export interface AnthropicMessage {
  id: string;
  type: 'message';
  role: 'assistant';
  model: string;
  content: MessageBlock[];
  stop_reason: StopReason | null;
  stop_sequence: string | null;
  usage: MessagesUsage;
  extra_fields?: unknown;
}

function count(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) && v > 0 ? Math.floor(v) : 0;
}

/** `msg_` and the response's own id, so that both name the same answer in logs. */
export function messageId(responseId: unknown): string {
  if (typeof responseId === 'string' && responseId !== '') return `msg_${responseId.replace(/^resp_/, '')}`;
  return `msg_${randomBytes(12).toString('hex')}`;
}

/** Canonical Responses usage -> Anthropic's (whose `input_tokens` leaves out cache reads and writes). */
export function messagesUsage(usage: unknown): MessagesUsage {
  const u = isJson(usage) ? usage : {};
  const details = isJson(u.input_tokens_details) ? u.input_tokens_details : {};
  const cached = count(details.cached_tokens);
  const written = count(details.cache_write_tokens);
  const out: MessagesUsage = {
    input_tokens: Math.max(0, count(u.input_tokens) - cached - written),
    cache_creation_input_tokens: written,
    cache_read_input_tokens: cached,
    output_tokens: count(u.output_tokens),
  };
  if (u.cost !== undefined && u.cost !== null) out.cost = u.cost;
  return out;
}

/** How the answer ended, in Anthropic's words. */
export function stopReason(response: Json, calledTools: boolean): StopReason {
  if (response.status === 'incomplete') {
    const reason = isJson(response.incomplete_details) ? response.incomplete_details.reason : null;
    return reason === 'content_filter' ? 'refusal' : 'max_tokens';
  }
  if (response.stop_sequence !== undefined && !calledTools) return 'stop_sequence';
  return calledTools ? 'tool_use' : 'end_turn';
}

/** The stop sequence that ended the answer (the gateway's `stop_sequence` on the Response), else null. */
export function stopSequence(response: Json): string | null {
  return typeof response.stop_sequence === 'string' ? response.stop_sequence : null;
}

/** A reasoning item's text: its summary, else its reasoning content (OpenAI's open-weight models). */
export function reasoningText(item: Json): string {
  const pieces = (list: unknown): string[] => (Array.isArray(list) ? list.map((s) => (isJson(s) && typeof s.text === 'string' ? s.text : '')).filter((t) => t !== '') : []);
  const summary = pieces(item.summary);
  return (summary.length > 0 ? summary : pieces(item.content)).join('\n\n');
}

/** A function call's arguments as the object Anthropic's `input` is ({} for junk). */
export function toolInput(args: unknown): Json {
  if (typeof args !== 'string' || args === '') return {};
  try {
    const v: unknown = JSON.parse(args);
    return isJson(v) ? v : {};
  } catch {
    return {};
  }
}

/** The block a reasoning item becomes, or null when nothing of it can be shown or sent back. */
export function thinkingBlock(item: Json): MessageBlock | null {
  const signature = signatureOf(item);
  if (signature !== null && isRedactedSignature(signature)) return { type: 'redacted_thinking', data: signature };
  const text = reasoningText(item);
  if (signature === null && text === '') return null;
  return { type: 'thinking', thinking: text, signature: signature ?? '' };
}

/** A `url_citation` annotation on `text` -> Anthropic's web search citation (null for other annotations). */
export function webSearchCitation(annotation: unknown, text: string): WebSearchCitation | null {
  if (!isJson(annotation) || annotation.type !== 'url_citation' || typeof annotation.url !== 'string') return null;
  const start = typeof annotation.start_index === 'number' ? annotation.start_index : 0;
  const end = typeof annotation.end_index === 'number' ? annotation.end_index : text.length;
  return {
    type: 'web_search_result_location',
    url: annotation.url,
    title: typeof annotation.title === 'string' ? annotation.title : null,
    cited_text: text.slice(start, end),
    // Anthropic's reference into its own results: the gateway has none to give.
    encrypted_index: '',
  };
}

/**
 * A `web_search_call` item -> the server_tool_use and web_search_tool_result blocks Anthropic
 * answers a search with (the sources as results; their encrypted content is Anthropic's own, so
 * empty: sent back, these blocks are skipped, as the search already informed the answer).
 */
export function webSearchBlocks(item: Json): MessageBlock[] {
  const id = `srvtoolu_${String(item.id ?? '').replace(/^ws_/, '')}`;
  const action = isJson(item.action) ? item.action : {};
  const input = typeof action.query === 'string' ? { query: action.query } : {};
  const sources = Array.isArray(action.sources) ? action.sources : [];
  const results: WebSearchResult[] = sources
    .filter((r): r is Json => isJson(r) && typeof r.url === 'string')
    .map((r) => ({ type: 'web_search_result', url: r.url as string, title: typeof r.title === 'string' ? r.title : (r.url as string), encrypted_content: '', page_age: null }));
  const content = item.status === 'failed' ? { type: 'web_search_tool_result_error' as const, error_code: 'unavailable' } : results;
  return [{ type: 'server_tool_use', id, name: 'web_search', input }, { type: 'web_search_tool_result', tool_use_id: id, content }];
}

function contentBlocks(output: unknown): { content: MessageBlock[]; calledTools: boolean } {
  const content: MessageBlock[] = [];
  let calledTools = false;
  if (!Array.isArray(output)) return { content, calledTools };
  for (const item of output) {
    if (!isJson(item)) continue;
    if (item.type === 'message' && Array.isArray(item.content)) {
      for (const part of item.content) {
        if (!isJson(part)) continue;
        if (part.type === 'output_text' && typeof part.text === 'string') {
          const text = part.text;
          const citations = Array.isArray(part.annotations) ? part.annotations.map((a) => webSearchCitation(a, text)).filter((c) => c !== null) : [];
          content.push(citations.length > 0 ? { type: 'text', text, citations } : { type: 'text', text });
        }
        else if (part.type === 'refusal' && typeof part.refusal === 'string') content.push({ type: 'text', text: part.refusal });
      }
    } else if (item.type === 'function_call') {
      calledTools = true;
      content.push({ type: 'tool_use', id: String(item.call_id ?? item.id ?? ''), name: String(item.name ?? ''), input: toolInput(item.arguments) });
    } else if (item.type === 'reasoning') {
      const block = thinkingBlock(item);
      if (block !== null) content.push(block);
    } else if (item.type === 'web_search_call') {
      content.push(...webSearchBlocks(item));
    }
  }
  return { content, calledTools };
}

export function toAnthropicMessage(response: Json, egress: MessagesEgress): AnthropicMessage {
  const { content, calledTools } = contentBlocks(response.output);
  const message: AnthropicMessage = {
    id: messageId(response.id),
    type: 'message',
    role: 'assistant',
    model: typeof response.model === 'string' && response.model !== '' ? response.model : egress.model,
    content,
    stop_reason: stopReason(response, calledTools),
    stop_sequence: stopSequence(response),
    usage: messagesUsage(response.usage),
  };
  if (response.extra_fields !== undefined) message.extra_fields = response.extra_fields;
  return message;
}
