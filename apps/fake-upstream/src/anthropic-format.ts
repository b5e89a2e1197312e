import type { IncomingHttpHeaders } from 'node:http';
import { type AnswerPlan, type Conversation, type FakeSearch, type FunctionToolSpec, type StreamOptions, countWords, readStopSequences, splitEvenly, splitText } from './answer';
import { isJson } from '@app/common';
import { newId } from './ids';
import { FakeHttpError } from './openai-errors';
import { BAD_API_KEY, type NativeFormat, type NativeRequest } from './routing';
import { type CacheUse, cacheUsage, useCache } from './prompt-cache';

/**
 * Anthropic Messages API wire format (2023-06-01): `POST /v1/messages`, key in `x-api-key`,
 * `anthropic-version` required, `max_tokens` required. Streams are SSE with an `event:` line
 * per frame (message_start, content_block_start/delta/stop, ping, message_delta,
 * message_stop; `error` for a failure mid-stream). Errors are
 * `{"type": "error", "error": {"type", "message"}}`; 529 is `overloaded_error`.
 *
 * The request is checked the way Anthropic checks it (roles, non-empty text blocks, every
 * tool_use answered by a tool_result in the next user turn, thinking blocks sent back
 * unchanged with their signature, and with `thinking` on, the assistant turn of a tool loop
 * starting with its thinking), so a gateway that maps badly fails here. With `thinking`
 * enabled the answer starts with a thinking block. With the web search server tool offered,
 * [[web-search]] answers with a search (server_tool_use, web_search_tool_result) and text that
 * cites its result.
 * Usage: `input_tokens` excludes the cache reads ([[cached:N]] -> cache_read_input_tokens).
 * Prompt caching: `cache_control` on tools, system and content blocks is checked (type
 * `ephemeral`, ttl `5m`/`1h`, at most 4); the prefix up to the last breakpoint is written to the
 * fake's cache the first time (cache_creation_input_tokens) and read after (cache_read_input_tokens).
 */

const ERROR_TYPES: Record<number, string> = {
  400: 'invalid_request_error', 401: 'authentication_error', 402: 'billing_error', 403: 'permission_error', 404: 'not_found_error',
  413: 'request_too_large', 429: 'rate_limit_error', 500: 'api_error', 504: 'timeout_error', 529: 'overloaded_error',
};

export const ANTHROPIC_THINKING_TEXT = 'Let me think about that.';
export const ANTHROPIC_THINKING_SIGNATURE = 'EqQBCkYIBhgCIkB0ZXN0LXNpZ25hdHVyZQ==';

interface AnthropicExtra {
  thinking: boolean;
  cache?: CacheUse;
}

const MAX_CACHE_BREAKPOINTS = 4;

/** Whether the block (tool, system or content block) is a cache breakpoint; its cache_control checked as Anthropic does. */
function isBreakpoint(block: Record<string, unknown>, where: string): boolean {
  const cc = block.cache_control;
  if (cc === undefined || cc === null) return false;
  if (!isJson(cc) || cc.type !== 'ephemeral') throw invalid(`${where}.cache_control.type: Input should be 'ephemeral'`);
  if (cc.ttl !== undefined && cc.ttl !== '5m' && cc.ttl !== '1h') throw invalid(`${where}.cache_control.ttl: Input should be '5m' or '1h'`);
  for (const k of Object.keys(cc)) if (k !== 'type' && k !== 'ttl') throw invalid(`${where}.cache_control.${k}: Extra inputs are not permitted`);
  return true;
}

function invalid(message: string): FakeHttpError {
  return new FakeHttpError(400, message);
}

function blockText(block: Record<string, unknown>, where: string): string {
  if (typeof block.text !== 'string') throw invalid(`${where}.text: Field required`);
  if (block.text === '') throw invalid(`${where}: text content blocks must be non-empty`);
  return block.text;
}

function toolResultText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content.map((c) => (isJson(c) && typeof c.text === 'string' ? c.text : '')).filter((t) => t !== '').join(' ');
}

export const ANTHROPIC_FORMAT: NativeFormat = {
  name: 'anthropic',

  match(pathname) {
    return pathname === '/v1/messages' ? { model: '', stream: null } : null;
  },

  authenticate(headers: IncomingHttpHeaders) {
    const key = headers['x-api-key'];
    if (typeof key !== 'string' || key === '') throw new FakeHttpError(401, 'x-api-key header is required');
    if (key === BAD_API_KEY) throw new FakeHttpError(401, 'invalid x-api-key');
    if (typeof headers['anthropic-version'] !== 'string') throw invalid('anthropic-version: header is required');
  },

  read(body): NativeRequest {
    if (typeof body.model !== 'string' || body.model === '') throw invalid('model: Field required');
    if (typeof body.max_tokens !== 'number' || !Number.isInteger(body.max_tokens) || body.max_tokens < 1) throw invalid('max_tokens: Field required');
    if (!Array.isArray(body.messages)) throw invalid('messages: Field required');
    const conv: Conversation = { model: body.model, inputWords: 0, lastUserText: '', directiveText: '', tools: [], toolsDisabled: false, jsonMode: false };

    // Cache breakpoints: how many, and the prefix (and its words) up to the last one.
    let breakpoints = 0;
    let prefix: unknown[] | null = null;
    let prefixWords = 0;
    const tools0 = Array.isArray(body.tools) ? body.tools : [];
    tools0.forEach((t, i) => {
      if (isJson(t) && isBreakpoint(t, `tools.${i}`)) {
        breakpoints++;
        prefix = [body.model, tools0.slice(0, i + 1)];
      }
    });
    if (typeof body.system === 'string') conv.inputWords += countWords(body.system);
    else if (Array.isArray(body.system)) {
      const system = body.system;
      system.forEach((b, i) => {
        if (!isJson(b)) return;
        conv.inputWords += countWords(blockText(b, `system.${i}`));
        if (isBreakpoint(b, `system.${i}`)) {
          breakpoints++;
          prefix = [body.model, tools0, system.slice(0, i + 1)];
          prefixWords = conv.inputWords;
        }
      });
    }

    let pendingToolUses: string[] = [];
    /** Index of the last assistant message, whether it opened with thinking, and of the last message's first block. */
    let lastAssistant = { index: -1, thinkingFirst: false };
    let lastFirstBlock: unknown;
    body.messages.forEach((m, i) => {
      if (!isJson(m)) throw invalid(`messages.${i}: Input should be a valid dictionary`);
      if (m.role !== 'user' && m.role !== 'assistant') {
        throw invalid(`messages.${i}.role: Unexpected role "${String(m.role)}". The Messages API accepts a top-level \`system\` parameter, not "system" as an input message role.`);
      }
      const blocks: Record<string, unknown>[] = typeof m.content === 'string' ? [{ type: 'text', text: m.content }] : Array.isArray(m.content) ? m.content.filter(isJson) : [];
      if (pendingToolUses.length > 0) {
        const answered = new Set(blocks.filter((b) => b.type === 'tool_result').map((b) => b.tool_use_id));
        const missing = pendingToolUses.filter((id) => !answered.has(id));
        if (m.role !== 'user' || missing.length > 0) {
          throw invalid(`messages.${i}: \`tool_use\` ids were found without \`tool_result\` blocks immediately after: ${missing.join(', ')}. Each \`tool_use\` block must have a corresponding \`tool_result\` block in the next message.`);
        }
      }
      pendingToolUses = [];
      lastFirstBlock = blocks[0]?.type;
      if (m.role === 'assistant') lastAssistant = { index: i, thinkingFirst: blocks[0]?.type === 'thinking' || blocks[0]?.type === 'redacted_thinking' };
      const texts: string[] = [];
      let seenNonResult = false;
      blocks.forEach((b, j) => {
        const where = `messages.${i}.content.${j}`;
        switch (b.type) {
          case 'text':
            seenNonResult = true;
            texts.push(blockText(b, where));
            break;
          case 'tool_use':
            if (m.role !== 'assistant') throw invalid(`${where}: tool_use blocks are only allowed in assistant messages`);
            if (typeof b.id !== 'string' || typeof b.name !== 'string' || !isJson(b.input)) throw invalid(`${where}: tool_use needs id, name and an object input`);
            pendingToolUses.push(b.id);
            break;
          case 'tool_result': {
            if (m.role !== 'user') throw invalid(`${where}: tool_result blocks are only allowed in user messages`);
            if (seenNonResult) throw invalid(`${where}: tool_result blocks must come first in the content, before any other block`);
            const output = toolResultText(b.content);
            conv.inputWords += countWords(output);
            conv.toolOutput = output;
            break;
          }
          case 'image':
          case 'document':
            seenNonResult = true;
            if (!isJson(b.source) || (b.source.type !== 'base64' && b.source.type !== 'url')) throw invalid(`${where}.source: Input tag does not match the expected tags`);
            break;
          case 'thinking':
            if (m.role !== 'assistant') throw invalid(`${where}: thinking blocks are only allowed in assistant messages`);
            // Anthropic verifies the signature against the thinking: the fake signed only its own text.
            if (b.thinking !== ANTHROPIC_THINKING_TEXT || b.signature !== ANTHROPIC_THINKING_SIGNATURE) throw invalid(`${where}: Invalid \`signature\` in \`thinking\` block`);
            break;
          case 'redacted_thinking':
            if (m.role !== 'assistant') throw invalid(`${where}: thinking blocks are only allowed in assistant messages`);
            if (typeof b.data !== 'string' || b.data === '') throw invalid(`${where}.data: Field required`);
            break;
          default:
            throw invalid(`${where}.type: Input tag '${String(b.type)}' does not match any of the expected tags`);
        }
      });
      const text = texts.join(' ');
      conv.inputWords += countWords(text);
      const marked = blocks.filter((b, j) => isBreakpoint(b, `messages.${i}.content.${j}`)).length;
      if (marked > 0) {
        // The fake caches whole messages: the prefix ends with the marked one.
        breakpoints += marked;
        prefix = [body.model, tools0, body.system ?? null, (body.messages as unknown[]).slice(0, i + 1)];
        prefixWords = conv.inputWords;
      }
      if (m.role === 'user' && texts.length > 0) {
        conv.lastUserText = text;
        conv.directiveText = conv.directiveText === '' ? text : `${conv.directiveText}\n${text}`;
      }
    });

    if (body.stop_sequences !== undefined && !Array.isArray(body.stop_sequences)) throw invalid('stop_sequences: Input should be a valid list');
    conv.stopSequences = readStopSequences(body.stop_sequences, 8191, (m) => invalid(`stop_sequences: ${m}`));
    const tools: FunctionToolSpec[] = [];
    for (const t of Array.isArray(body.tools) ? body.tools : []) {
      if (!isJson(t) || typeof t.name !== 'string') continue;
      if (t.type === 'web_search_20250305') {
        if (t.name !== 'web_search') throw invalid(`tools.${tools.length}.name: Input should be 'web_search'`);
        conv.webSearch = true;
        continue;
      }
      if (!isJson(t.input_schema)) throw invalid(`tools.${tools.length}.input_schema: Field required`);
      tools.push({ name: t.name, parameters: t.input_schema });
    }
    conv.tools = tools;
    const tc = isJson(body.tool_choice) ? body.tool_choice : {};
    conv.toolsDisabled = tc.type === 'none';
    if (tc.type === 'tool' && typeof tc.name === 'string') conv.forcedTool = tc.name;
    const thinking = isJson(body.thinking) && body.thinking.type === 'enabled';
    if (thinking) {
      const budget = body.thinking && isJson(body.thinking) ? body.thinking.budget_tokens : undefined;
      if (typeof budget !== 'number' || budget < 1024) throw invalid('thinking.enabled.budget_tokens: Input should be greater than or equal to 1024');
      if (budget >= body.max_tokens) throw invalid('`max_tokens` must be greater than `thinking.budget_tokens`.');
      if (lastFirstBlock === 'tool_result' && !lastAssistant.thinkingFirst) {
        throw invalid(
          `messages.${lastAssistant.index}.content.0.type: Expected \`thinking\` or \`redacted_thinking\`, but found \`tool_use\`. When \`thinking\` is enabled, a final \`assistant\` message must start with a thinking block (preceeding the lastmost set of \`tool_use\` and \`tool_result\` blocks). We recommend you include thinking blocks from previous turns. To avoid this requirement, disable \`thinking\`.`,
        );
      }
    }
    if (breakpoints > MAX_CACHE_BREAKPOINTS) throw invalid(`A maximum of ${MAX_CACHE_BREAKPOINTS} blocks with cache_control may be provided. Found ${breakpoints}.`);
    const extra: AnthropicExtra = { thinking };
    if (prefix !== null) extra.cache = useCache(prefix, prefixWords);
    return { conversation: conv, stream: body.stream === true, extra };
  },

  json(req, plan) {
    const thinking = (req.extra as AnthropicExtra | undefined)?.thinking === true;
    const content: Record<string, unknown>[] = [];
    if (thinking) content.push({ type: 'thinking', thinking: ANTHROPIC_THINKING_TEXT, signature: ANTHROPIC_THINKING_SIGNATURE });
    const a = plan.answer;
    const search = plan.search;
    if (search !== undefined) {
      const id = newId('srvtoolu_');
      content.push({ type: 'server_tool_use', id, name: 'web_search', input: { query: search.query } }, { type: 'web_search_tool_result', tool_use_id: id, content: [searchResult(search)] });
    }
    if (a.kind === 'function_call') content.push({ type: 'tool_use', id: newId('toolu_'), name: a.name, input: JSON.parse(a.arguments) as unknown });
    else content.push(search === undefined ? { type: 'text', text: a.text } : { type: 'text', text: a.text, citations: [citation(search)] });
    const usage: Record<string, unknown> = { ...startUsage(plan, req.extra), output_tokens: plan.usage.output };
    if (search !== undefined) usage.server_tool_use = { web_search_requests: 1 };
    return JSON.stringify({
      id: newId('msg_'), type: 'message', role: 'assistant', model: req.conversation.model, content,
      stop_reason: stopReason(plan), stop_sequence: plan.stopSequence ?? null, usage,
    });
  },

  frames(req, plan, opts: StreamOptions) {
    const frames: string[] = [];
    const ev = (data: Record<string, unknown>): void => {
      frames.push(`event: ${String(data.type)}\ndata: ${JSON.stringify(data)}\n\n`);
    };
    ev({
      type: 'message_start',
      message: {
        id: newId('msg_'), type: 'message', role: 'assistant', model: req.conversation.model, content: [],
        stop_reason: null, stop_sequence: null, usage: { ...startUsage(plan, req.extra), output_tokens: 1 },
      },
    });
    let index = 0;
    if ((req.extra as AnthropicExtra | undefined)?.thinking === true) {
      ev({ type: 'content_block_start', index, content_block: { type: 'thinking', thinking: '', signature: '' } });
      ev({ type: 'content_block_delta', index, delta: { type: 'thinking_delta', thinking: ANTHROPIC_THINKING_TEXT } });
      ev({ type: 'content_block_delta', index, delta: { type: 'signature_delta', signature: ANTHROPIC_THINKING_SIGNATURE } });
      ev({ type: 'content_block_stop', index });
      index++;
    }
    const a = plan.answer;
    const search = plan.search;
    if (search !== undefined) {
      const id = newId('srvtoolu_');
      ev({ type: 'content_block_start', index, content_block: { type: 'server_tool_use', id, name: 'web_search', input: {} } });
      ev({ type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json: JSON.stringify({ query: search.query }) } });
      ev({ type: 'content_block_stop', index: index++ });
      ev({ type: 'content_block_start', index, content_block: { type: 'web_search_tool_result', tool_use_id: id, content: [searchResult(search)] } });
      ev({ type: 'content_block_stop', index: index++ });
    }
    if (a.kind === 'function_call') {
      ev({ type: 'content_block_start', index, content_block: { type: 'tool_use', id: newId('toolu_'), name: a.name, input: {} } });
      ev({ type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json: '' } });
      for (const piece of splitEvenly(a.arguments, opts.chunks ?? Math.ceil(a.arguments.length / 8))) {
        ev({ type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json: piece } });
        if (opts.streamError) return withError(frames);
      }
    } else {
      ev({ type: 'content_block_start', index, content_block: { type: 'text', text: '' } });
      if (search !== undefined) ev({ type: 'content_block_delta', index, delta: { type: 'citations_delta', citation: citation(search) } });
      ev({ type: 'ping' });
      for (const piece of splitText(a.text, opts.chunks)) {
        ev({ type: 'content_block_delta', index, delta: { type: 'text_delta', text: piece } });
        if (opts.streamError) return withError(frames);
      }
      if (opts.streamError) return withError(frames);
    }
    ev({ type: 'content_block_stop', index });
    ev({ type: 'message_delta', delta: { stop_reason: stopReason(plan), stop_sequence: plan.stopSequence ?? null }, usage: { output_tokens: plan.usage.output } });
    ev({ type: 'message_stop' });
    return frames;
  },

  streamContentType: 'text/event-stream; charset=utf-8',

  errorBody(status, message) {
    return { body: anthropicError(status, status === 529 ? 'Overloaded' : message) };
  },
};

export function anthropicError(status: number, message: string): Record<string, unknown> {
  return { type: 'error', error: { type: ERROR_TYPES[status] ?? (status >= 500 ? 'api_error' : 'invalid_request_error'), message } };
}

function searchResult(s: FakeSearch): Record<string, unknown> {
  return { type: 'web_search_result', url: s.url, title: s.title, encrypted_content: 'EqgfCioIARgBIiQ3YTAwMjY1Mi1mZjM5', page_age: null };
}

function citation(s: FakeSearch): Record<string, unknown> {
  return { type: 'web_search_result_location', url: s.url, title: s.title, encrypted_index: 'Eo8BCioIAhgBIiQyYjQ0', cited_text: 'A fake page.' };
}

function withError(frames: string[]): string[] {
  const body = anthropicError(529, 'Overloaded');
  frames.push(`event: error\ndata: ${JSON.stringify(body)}\n\n`);
  return frames;
}

function stopReason(plan: AnswerPlan): string {
  if (plan.incomplete) return 'max_tokens';
  if (plan.stopSequence !== undefined) return 'stop_sequence';
  return plan.answer.kind === 'function_call' ? 'tool_use' : 'end_turn';
}

/** Anthropic's input_tokens leave out cache reads and writes. */
function startUsage(plan: AnswerPlan, extra: unknown): Record<string, number> {
  const c = cacheUsage(plan, (extra as AnthropicExtra | undefined)?.cache);
  return { input_tokens: c.uncached, cache_creation_input_tokens: c.write, cache_read_input_tokens: c.read };
}
