import { checkModelName, GatewayError, MAX_OUTPUT_TOKENS_LIMIT, quoteForMessage, type RequestLimits, isJson, type Json } from '@app/common';
import { CACHE_CONTROL, type CacheControl, type CacheMarkable, type ResponsesRequest, STOP_SEQUENCES } from '@app/providers';
import { parseJsonBody, takeFallbacks } from '../responses/responses-request';
import type { DecodedRequest } from '../wire-format';
import { reasoningFromRedacted, reasoningFromThinking } from './thinking-signature';

/**
 * Anthropic Messages request (2023-06-01) -> the canonical Responses request. Everything the
 * translation reads is checked first, with Anthropic's own rules and a 400 naming the `param`;
 * fields with no meaning on the gateway's providers are ignored (SDKs add parameters every
 * month), and a field that would change the answer but cannot be honoured is a 400.
 *
 * Decisions, documented in the README:
 * - `top_k` is checked and ignored: the Responses API has no equivalent and it only narrows
 *   sampling. `stop_sequences` is carried as the canonical request's gateway-only
 *   STOP_SEQUENCES (the Responses API has none): providers that take stop sequences get them,
 *   OpenAI's Responses API answers a 400 naming it.
 * - `thinking.budget_tokens` picks `reasoning.effort` (under 4096 low, under 16384 medium,
 *   else high); the provider's own budget for that effort applies, within `max_tokens`.
 *   `output_config`, `context_management` and other fields without a Responses equivalent are ignored.
 * - `cache_control` on system blocks, message content blocks and tools is carried as the
 *   canonical request's gateway-only CACHE_CONTROL marker (at most 4, as Anthropic allows):
 *   Anthropic and Claude on Bedrock cache there, other providers never see it. Cache reads
 *   and writes are reported in usage. On thinking blocks and inside tool results it is ignored.
 * - A bare `claude-*` model (what Claude Code sends for its side tasks) means `anthropic/<model>`.
 * - The conversation is not stored (`store: false`): the Messages API is stateless.
 */

/** What the Messages encoders need to remember about the request. */
export interface MessagesEgress {
  /** The model as the client named it (reported when the upstream names none). */
  model: string;
}

export type DecodedMessagesRequest = DecodedRequest<MessagesEgress>;

/** Anthropic's limit on `metadata.user_id`. */
const MAX_USER_ID_LENGTH = 256;
/** Anthropic's smallest thinking budget. */
const MIN_THINKING_BUDGET = 1024;
/** Web search server tool versions (`web_search_20250305`, ...): Responses' hosted `web_search`. */
const WEB_SEARCH_TOOL = /^web_search_\d{8}$/;

function invalid(message: string, param: string): GatewayError {
  return GatewayError.invalidRequest(message, param);
}

function str(v: unknown, param: string, allowEmpty = true): string {
  if (typeof v !== 'string' || (!allowEmpty && v === '')) throw invalid(`'${param}' must be ${allowEmpty ? 'a string' : 'a non-empty string'}.`, param);
  return v;
}

function num(body: Json, field: string, min: number, max: number, integer = false): number | undefined {
  const v = body[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v) || (integer && !Number.isSafeInteger(v))) {
    throw invalid(`'${field}' must be ${integer ? 'an integer' : 'a number'}.`, field);
  }
  if (v < min || v > max) throw invalid(`'${field}' must be between ${min} and ${max} (got ${v}).`, field);
  return v;
}

/** `provider/model`; a bare Claude model name is Anthropic's. */
function modelName(value: unknown, param: string, maxLength: number): string {
  if (typeof value === 'string' && /^claude-[A-Za-z0-9._:@+=~-]*$/.test(value)) return checkModelName(`anthropic/${value}`, param, maxLength);
  return checkModelName(value, param, maxLength);
}

function mediaUrl(source: unknown, param: string, kinds: string): { url: string; mediaType: string | null } {
  if (!isJson(source)) throw invalid(`'${param}' must be an object.`, param);
  if (source.type === 'base64') {
    const mediaType = str(source.media_type, `${param}.media_type`, false);
    const data = str(source.data, `${param}.data`, false);
    return { url: `data:${mediaType};base64,${data}`, mediaType };
  }
  if (source.type === 'url') {
    const url = str(source.url, `${param}.url`, false);
    if (!/^https?:\/\//i.test(url)) throw invalid(`'${param}.url' must be an http(s) URL.`, `${param}.url`);
    return { url, mediaType: null };
  }
  throw invalid(`'${param}.type' must be ${kinds} (files by id are not supported through the gateway).`, `${param}.type`);
}

/** An image or document block -> a Responses input part. */
function mediaPart(block: Json, param: string): Json {
  if (block.type === 'image') {
    return { type: 'input_image', image_url: mediaUrl(block.source, `${param}.source`, "'base64' or 'url'").url, detail: 'auto' };
  }
  // document
  const source = block.source;
  const title = typeof block.title === 'string' && block.title !== '' ? block.title : null;
  if (isJson(source) && source.type === 'text') {
    // A plain-text document is its text.
    const data = str(source.data, `${param}.source.data`);
    return { type: 'input_text', text: title === null ? data : `${title}\n\n${data}` };
  }
  const { url, mediaType } = mediaUrl(source, `${param}.source`, "'base64', 'url' or 'text'");
  if (mediaType === null) return { type: 'input_file', file_url: url };
  return { type: 'input_file', file_data: url, filename: title ?? (mediaType === 'application/pdf' ? 'document.pdf' : 'document') };
}

function textOf(block: Json, param: string): string {
  return str(block.text, `${param}.text`);
}

/** A tool_result's content -> a function_call_output's `output` (a string, or parts when it holds media). */
function toolOutput(content: unknown, isError: boolean, param: string): string | Json[] {
  const prefix = isError ? 'Error: ' : '';
  if (content === undefined || content === null) return prefix;
  if (typeof content === 'string') return prefix + content;
  if (!Array.isArray(content)) throw invalid(`'${param}' must be a string or an array of content blocks.`, param);
  const parts: Json[] = [];
  let media = false;
  content.forEach((b, k) => {
    const p = `${param}[${k}]`;
    if (!isJson(b)) throw invalid(`'${p}' must be an object.`, p);
    if (b.type === 'text') parts.push({ type: 'input_text', text: textOf(b, p) });
    else if (b.type === 'image' || b.type === 'document') {
      media = true;
      parts.push(mediaPart(b, p));
    } else throw invalid(`'${p}.type' ${quoteForMessage(String(b.type))} is not supported in a tool_result (text, image, document).`, `${p}.type`);
  });
  if (!media) return prefix + parts.map((p) => p.text as string).join('\n');
  if (prefix !== '') parts.unshift({ type: 'input_text', text: 'Error:' });
  return parts;
}

/** A bound on `stop_sequences` (Anthropic names none; no provider takes more). */
const MAX_STOP_SEQUENCES = 64;

/** Anthropic's limit on blocks marked with `cache_control`. */
const MAX_CACHE_BREAKPOINTS = 4;

/** The request's cache breakpoints, counted against Anthropic's limit as they are read. */
class Breakpoints {
  private count = 0;

  /** Marks `target` with the block's `cache_control`, if it has one. Returns `target`. */
  mark<T extends object>(target: T, block: Json, param: string): T {
    const cc = block.cache_control;
    if (cc === undefined || cc === null) return target;
    const p = `${param}.cache_control`;
    if (!isJson(cc) || cc.type !== 'ephemeral') throw invalid(`'${p}.type' must be 'ephemeral'.`, `${p}.type`);
    if (cc.ttl !== undefined && cc.ttl !== null && cc.ttl !== '5m' && cc.ttl !== '1h') throw invalid(`'${p}.ttl' must be '5m' or '1h'.`, `${p}.ttl`);
    if (++this.count > MAX_CACHE_BREAKPOINTS) {
      throw invalid(`A maximum of ${MAX_CACHE_BREAKPOINTS} blocks with cache_control may be provided.`, p);
    }
    const marker: CacheControl = typeof cc.ttl === 'string' ? { type: 'ephemeral', ttl: cc.ttl as '5m' | '1h' } : { type: 'ephemeral' };
    (target as CacheMarkable)[CACHE_CONTROL] = marker;
    return target;
  }
}

/** Blocks an assistant turn may hold that the provider ran itself: the answer that follows already used them. */
const SERVER_RESULT_BLOCKS = new Set(['server_tool_use', 'web_search_tool_result', 'web_fetch_tool_result']);

/** One Messages message -> Responses input items, in order. */
function messageItems(m: unknown, i: number, out: Json[], bp: Breakpoints): void {
  const param = `messages[${i}]`;
  if (!isJson(m)) throw invalid(`'${param}' must be an object.`, param);
  const role = m.role;
  if (role === 'system') {
    // A system message mid-conversation (Claude Code sends them): text only, kept in place.
    const before = out.length;
    systemItems(m.content, out, bp, `${param}.content`);
    if (out.length === before) throw invalid(`'${param}.content' must hold text.`, `${param}.content`);
    return;
  }
  if (role !== 'user' && role !== 'assistant') throw invalid(`'${param}.role' must be 'user', 'assistant' or 'system'.`, `${param}.role`);
  const content = m.content;
  if (typeof content === 'string') {
    out.push(role === 'user' ? { type: 'message', role, content } : { type: 'message', role, content: [{ type: 'output_text', text: content }] });
    return;
  }
  if (!Array.isArray(content)) throw invalid(`'${param}.content' must be a string or an array of content blocks.`, `${param}.content`);
  // Consecutive text and media blocks join one message item; other blocks are items of their own.
  let parts: Json[] = [];
  const flush = () => {
    if (parts.length > 0) out.push({ type: 'message', role, content: parts });
    parts = [];
  };
  content.forEach((b, j) => {
    const p = `${param}.content[${j}]`;
    if (!isJson(b) || typeof b.type !== 'string') throw invalid(`'${p}' must be an object with a string 'type'.`, p);
    switch (b.type) {
      case 'text':
        parts.push(bp.mark({ type: role === 'user' ? 'input_text' : 'output_text', text: textOf(b, p) }, b, p));
        return;
      case 'image':
      case 'document':
        if (role !== 'user') throw invalid(`'${p}': ${b.type} blocks are only allowed in user messages.`, `${p}.type`);
        parts.push(bp.mark(mediaPart(b, p), b, p));
        return;
      case 'tool_use':
        if (role !== 'assistant') throw invalid(`'${p}': tool_use blocks are only allowed in assistant messages.`, `${p}.type`);
        flush();
        if (!isJson(b.input)) throw invalid(`'${p}.input' must be an object.`, `${p}.input`);
        out.push(bp.mark({ type: 'function_call', call_id: str(b.id, `${p}.id`, false), name: str(b.name, `${p}.name`, false), arguments: JSON.stringify(b.input) }, b, p));
        return;
      case 'tool_result':
        if (role !== 'user') throw invalid(`'${p}': tool_result blocks are only allowed in user messages.`, `${p}.type`);
        flush();
        out.push(bp.mark({ type: 'function_call_output', call_id: str(b.tool_use_id, `${p}.tool_use_id`, false), output: toolOutput(b.content, b.is_error === true, `${p}.content`) }, b, p));
        return;
      case 'thinking': {
        if (role !== 'assistant') throw invalid(`'${p}': thinking blocks are only allowed in assistant messages.`, `${p}.type`);
        const thinking = str(b.thinking, `${p}.thinking`);
        const signature = b.signature === undefined || b.signature === null ? '' : str(b.signature, `${p}.signature`);
        flush();
        // Unsigned thinking cannot go back to any provider: dropped, as Anthropic's SDKs do.
        if (signature !== '') out.push({ ...reasoningFromThinking(thinking, signature) });
        return;
      }
      case 'redacted_thinking':
        if (role !== 'assistant') throw invalid(`'${p}': thinking blocks are only allowed in assistant messages.`, `${p}.type`);
        flush();
        out.push({ ...reasoningFromRedacted(str(b.data, `${p}.data`, false)) });
        return;
      default:
        if (role === 'assistant' && SERVER_RESULT_BLOCKS.has(b.type)) return;
        throw invalid(`'${p}.type' ${quoteForMessage(b.type)} is not supported through the gateway.`, `${p}.type`);
    }
  });
  flush();
}

function systemItems(system: unknown, out: Json[], bp: Breakpoints, param = 'system'): void {
  if (system === undefined || system === null) return;
  if (typeof system === 'string') {
    if (system !== '') out.push({ type: 'message', role: 'system', content: system });
    return;
  }
  if (!Array.isArray(system)) throw invalid(`'${param}' must be a string or an array of text blocks.`, param);
  // One system item per block: a provider with system blocks (Anthropic) gets them as sent.
  system.forEach((b, i) => {
    const p = `${param}[${i}]`;
    if (!isJson(b) || b.type !== 'text') throw invalid(`'${p}' must be a text block.`, p);
    const text = textOf(b, p);
    if (text !== '') out.push(bp.mark({ type: 'message', role: 'system', content: text }, b, p));
  });
}

function readTools(tools: unknown, bp: Breakpoints): Json[] | undefined {
  if (tools === undefined || tools === null) return undefined;
  if (!Array.isArray(tools)) throw invalid("'tools' must be an array.", 'tools');
  return tools.map((t, i) => {
    const p = `tools[${i}]`;
    if (!isJson(t)) throw invalid(`'${p}' must be an object.`, p);
    const type = t.type;
    if (type === undefined || type === null || type === 'custom') {
      if (!isJson(t.input_schema)) throw invalid(`'${p}.input_schema' must be a JSON schema object.`, `${p}.input_schema`);
      const fn: Json = { type: 'function', name: str(t.name, `${p}.name`, false), parameters: t.input_schema, strict: false };
      if (typeof t.description === 'string') fn.description = t.description;
      return bp.mark(fn, t, p);
    }
    if (typeof type === 'string' && WEB_SEARCH_TOOL.test(type)) {
      const ws: Json = { type: 'web_search' };
      if (Array.isArray(t.allowed_domains) && t.allowed_domains.length > 0) {
        ws.filters = { allowed_domains: t.allowed_domains.filter((d): d is string => typeof d === 'string') };
      }
      if (isJson(t.user_location)) {
        const loc: Json = { type: 'approximate' };
        for (const k of ['city', 'region', 'country', 'timezone']) if (typeof t.user_location[k] === 'string') loc[k] = t.user_location[k];
        ws.user_location = loc;
      }
      return ws;
    }
    throw invalid(
      `'${p}.type' ${quoteForMessage(String(type))} has no equivalent on the gateway's providers; declare the tool as a custom tool with an 'input_schema'.`,
      `${p}.type`,
    );
  });
}

function readToolChoice(choice: unknown, body: ResponsesRequest): void {
  if (choice === undefined || choice === null) return;
  if (!isJson(choice)) throw invalid("'tool_choice' must be an object.", 'tool_choice');
  switch (choice.type) {
    case 'auto':
      body.tool_choice = 'auto';
      break;
    case 'any':
      body.tool_choice = 'required';
      break;
    case 'none':
      body.tool_choice = 'none';
      break;
    case 'tool':
      body.tool_choice = { type: 'function', name: str(choice.name, 'tool_choice.name', false) };
      break;
    default:
      throw invalid("'tool_choice.type' must be one of auto, any, tool, none.", 'tool_choice.type');
  }
  if (choice.disable_parallel_tool_use !== undefined && typeof choice.disable_parallel_tool_use !== 'boolean') {
    throw invalid("'tool_choice.disable_parallel_tool_use' must be a boolean.", 'tool_choice.disable_parallel_tool_use');
  }
  if (choice.disable_parallel_tool_use === true) body.parallel_tool_calls = false;
}

/**
 * `thinking` -> `reasoning` (and the encrypted reasoning OpenAI needs to take it back
 * statelessly). `adaptive` leaves thinking to the model: no reasoning parameter is sent, since
 * not every model takes one (Claude Code sends it for any model it does not know).
 * `display: "omitted"` asks for no thinking text: no summary is asked for.
 */
function readThinking(thinking: unknown, maxTokens: number | undefined, body: ResponsesRequest): void {
  if (thinking === undefined || thinking === null) return;
  if (!isJson(thinking)) throw invalid("'thinking' must be an object.", 'thinking');
  if (thinking.display !== undefined && thinking.display !== null && typeof thinking.display !== 'string') {
    throw invalid("'thinking.display' must be a string.", 'thinking.display');
  }
  if (thinking.type === 'disabled' || thinking.type === 'adaptive') return;
  if (thinking.type !== 'enabled') throw invalid("'thinking.type' must be 'enabled', 'adaptive' or 'disabled'.", 'thinking.type');
  const budget = thinking.budget_tokens;
  if (typeof budget !== 'number' || !Number.isSafeInteger(budget) || budget < MIN_THINKING_BUDGET) {
    throw invalid(`'thinking.budget_tokens' must be an integer of at least ${MIN_THINKING_BUDGET}.`, 'thinking.budget_tokens');
  }
  if (maxTokens !== undefined && budget >= maxTokens) throw invalid("'max_tokens' must be greater than 'thinking.budget_tokens'.", 'thinking.budget_tokens');
  const effort = budget < 4096 ? 'low' : budget < 16384 ? 'medium' : 'high';
  body.reasoning = thinking.display === 'omitted' ? { effort } : { effort, summary: 'auto' };
  body.include = ['reasoning.encrypted_content'];
}

function readMetadata(metadata: unknown, body: ResponsesRequest): void {
  if (metadata === undefined || metadata === null) return;
  if (!isJson(metadata)) throw invalid("'metadata' must be an object.", 'metadata');
  const userId = metadata.user_id;
  if (userId === undefined || userId === null) return;
  const id = str(userId, 'metadata.user_id');
  if (id.length > MAX_USER_ID_LENGTH) throw invalid(`'metadata.user_id' may be at most ${MAX_USER_ID_LENGTH} characters.`, 'metadata.user_id');
  // In `metadata`, whose values may be this long on every provider (OpenAI's `user` may not).
  if (id !== '') body.metadata = { user_id: id };
}

export interface DecodeOptions {
  /** count_tokens takes the same body without `max_tokens`. */
  countTokens?: boolean;
}

export function decodeMessagesRequest(raw: Buffer, limits: RequestLimits, options: DecodeOptions = {}): DecodedMessagesRequest {
  const req = parseJsonBody(raw, limits);
  const models = [modelName(req.model, 'model', limits.maxModelNameLength)];
  const maxTokens = num(req, 'max_tokens', 1, MAX_OUTPUT_TOKENS_LIMIT, true);
  if (maxTokens === undefined && options.countTokens !== true) throw invalid("'max_tokens' is required.", 'max_tokens');

  const input: Json[] = [];
  // Anthropic's order of the cached prefix: tools, system, messages.
  const bp = new Breakpoints();
  const tools = readTools(req.tools, bp);
  systemItems(req.system, input, bp);
  if (!Array.isArray(req.messages)) throw invalid("'messages' is required and must be an array.", 'messages');
  req.messages.forEach((m, i) => messageItems(m, i, input, bp));

  const body: ResponsesRequest = { model: models[0], input, store: false };
  if (maxTokens !== undefined) body.max_output_tokens = maxTokens;
  const temperature = num(req, 'temperature', 0, 1);
  if (temperature !== undefined) body.temperature = temperature;
  const topP = num(req, 'top_p', 0, 1);
  if (topP !== undefined) body.top_p = topP;
  // Checked, then ignored (see above).
  num(req, 'top_k', 0, Number.MAX_SAFE_INTEGER, true);
  const stops = req.stop_sequences;
  if (stops !== undefined && stops !== null) {
    if (!Array.isArray(stops) || stops.some((s) => typeof s !== 'string')) throw invalid("'stop_sequences' must be an array of strings.", 'stop_sequences');
    if (stops.length > MAX_STOP_SEQUENCES) throw invalid(`'stop_sequences' may hold at most ${MAX_STOP_SEQUENCES} sequences.`, 'stop_sequences');
    if (stops.some((s) => s === '')) throw invalid("'stop_sequences' must not contain empty strings.", 'stop_sequences');
    if (stops.length > 0) body[STOP_SEQUENCES] = stops as string[];
  }
  if (tools !== undefined && tools.length > 0) body.tools = tools;
  readToolChoice(req.tool_choice, body);
  readThinking(req.thinking, maxTokens, body);
  readMetadata(req.metadata, body);
  if (Array.isArray(req.mcp_servers) && req.mcp_servers.length > 0) throw invalid("'mcp_servers' is not supported through the gateway.", 'mcp_servers');
  if (req.stream !== undefined && req.stream !== null && typeof req.stream !== 'boolean') throw invalid("'stream' must be a boolean.", 'stream');
  const stream = req.stream === true;
  if (stream) body.stream = true;

  const hasRequestFallbacks = takeFallbacks(req, limits, models);
  return { body, stream, models, hasRequestFallbacks, egress: { model: typeof req.model === 'string' ? req.model : models[0] } };
}
