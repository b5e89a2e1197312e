import { GatewayError } from '@app/common';
import { type BuildRequestInput, type CacheControl, STOP_SEQUENCES } from '../types';
import { type ContentPart, type InputItem, argsObject, parseDataUrl, partsCache, partsText, readInput, readOutputFormat, readReasoningEffort, rejectUnsupportedFeatures } from '../responses/request-input';
import { type HostedToolSupport, type RequestTools, readSingleToolChoice, readTools } from '../responses/request-tools';
import { uncarryThinking } from '../responses/reasoning-carrier';
import type { AnthropicCacheable, AnthropicContentBlock, AnthropicFunctionTool, AnthropicMessage, AnthropicRequestBody, AnthropicTool, AnthropicToolChoice } from './anthropic-wire';

/**
 * Structured output goes through a forced tool whose input is the JSON answer (works on every
 * Claude model, no beta header); the answer comes back as output text. Its name is reserved.
 */
export const JSON_RESPONSE_TOOL = 'json_response';

/** Thinking budgets per `reasoning.effort`. */
const THINKING_BUDGET = { low: 1024, medium: 4096, high: 16384 } as const;
const MIN_THINKING_BUDGET = 1024;
/** The name of Anthropic's web search server tool (fixed by its type). */
export const WEB_SEARCH_TOOL = 'web_search';

/** Web search is Anthropic's server tool `web_search_20250305`, unless a function already has its name. */
export const ANTHROPIC_TOOLS: HostedToolSupport = {
  webSearch: (functions) => !functions.some((f) => f.name === WEB_SEARCH_TOOL),
  forceWebSearch: true,
};

/** Anthropic requires max_tokens: Claude 3 (and older) models stop at 4096, later ones go well past 8192. */
export function defaultMaxTokens(model: string): number {
  return /claude-(?:instant|2|3-(?:opus|sonnet|haiku))/.test(model) ? 4096 : 8192;
}

function mediaSource(url: string, provider: string, param: string): { type: 'base64'; media_type: string; data: string } | { type: 'url'; url: string } {
  const data = parseDataUrl(url);
  if (data !== null) return { type: 'base64', media_type: data.mediaType, data: data.data };
  if (/^https?:\/\//i.test(url)) return { type: 'url', url };
  throw GatewayError.invalidRequest(`${provider} takes images and files as https URLs or base64 data URLs.`, param);
}

/** Anthropic's limit on cache breakpoints per request. */
export const MAX_CACHE_BREAKPOINTS = 4;

/** The block with its breakpoint, as Anthropic spells it. */
function cached<T extends AnthropicCacheable>(block: T, cache: CacheControl | null | undefined): T {
  if (cache === null || cache === undefined) return block;
  block.cache_control = cache.ttl === undefined ? { type: 'ephemeral' } : { type: 'ephemeral', ttl: cache.ttl };
  return block;
}

function contentBlocks(parts: ContentPart[], provider: string, param: string): AnthropicContentBlock[] {
  const blocks: AnthropicContentBlock[] = [];
  for (const p of parts) {
    if (p.type === 'text') {
      // Anthropic rejects empty text blocks.
      if (p.text !== '') blocks.push(cached<AnthropicContentBlock>({ type: 'text', text: p.text }, p.cache));
    } else if (p.type === 'image') {
      blocks.push(cached<AnthropicContentBlock>({ type: 'image', source: mediaSource(p.url, provider, param) }, p.cache));
    } else {
      const source = mediaSource(p.fileData ?? p.fileUrl ?? '', provider, param);
      if (source.type === 'base64' && source.media_type !== 'application/pdf') {
        throw GatewayError.invalidRequest(`${provider} does not support input files of type ${source.media_type} (PDF only).`, param);
      }
      blocks.push(cached<AnthropicContentBlock>(p.filename === null ? { type: 'document', source } : { type: 'document', source, title: p.filename }, p.cache));
    }
  }
  return blocks;
}

/**
 * Anthropic refuses more than four breakpoints. The Messages front door already holds clients
 * to that; a canonical request over it keeps its last four, which cover the longest prefixes.
 */
function limitBreakpoints(out: AnthropicRequestBody): void {
  const marked: AnthropicCacheable[] = [];
  for (const t of out.tools ?? []) if ('cache_control' in t) marked.push(t);
  for (const b of out.system ?? []) if (b.cache_control !== undefined) marked.push(b);
  for (const m of out.messages) for (const b of m.content) if (b.cache_control !== undefined) marked.push(b);
  for (const b of marked.slice(0, Math.max(0, marked.length - MAX_CACHE_BREAKPOINTS))) delete b.cache_control;
}

/**
 * Adds blocks to the conversation keeping Anthropic's rules: roles alternate (consecutive
 * items of one role join one message), and tool_result blocks come first in a user turn.
 */
function append(messages: AnthropicMessage[], role: 'user' | 'assistant', blocks: AnthropicContentBlock[]): void {
  if (blocks.length === 0) return;
  const last = messages[messages.length - 1];
  if (last === undefined || last.role !== role) {
    messages.push({ role, content: blocks });
    return;
  }
  if (role === 'user' && blocks[0].type === 'tool_result') {
    let at = 0;
    while (at < last.content.length && last.content[at].type === 'tool_result') at++;
    last.content.splice(at, 0, ...blocks);
    return;
  }
  last.content.push(...blocks);
}

/** A system text and the breakpoint after it. */
export interface SystemText {
  text: string;
  cache: CacheControl | null;
}

export function anthropicMessages(items: InputItem[], provider: string): { system: SystemText[]; messages: AnthropicMessage[] } {
  const system: SystemText[] = [];
  const messages: AnthropicMessage[] = [];
  items.forEach((item, i) => {
    const param = `input[${i}]`;
    switch (item.kind) {
      case 'message':
        if (item.role === 'system' || item.role === 'developer') {
          const text = partsText(item.parts);
          if (text !== '') system.push({ text, cache: partsCache(item.parts) });
        } else {
          append(messages, item.role, contentBlocks(item.parts, provider, param));
        }
        break;
      case 'function_call':
        append(messages, 'assistant', [cached<AnthropicContentBlock>({ type: 'tool_use', id: item.callId, name: item.name, input: argsObject(item.arguments) }, item.cache)]);
        break;
      case 'function_call_output': {
        const content = item.parts === null ? item.output : contentBlocks(item.parts, provider, param);
        append(messages, 'user', [cached<AnthropicContentBlock>({ type: 'tool_result', tool_use_id: item.callId, content }, item.cache)]);
        break;
      }
      case 'reasoning': {
        // Thinking goes back only as Anthropic signed it; anything else (no signature, another
        // provider's reasoning) is dropped, as Anthropic's own SDKs do.
        const block = uncarryThinking(item.encryptedContent, 'anthropic');
        if (block === null) break;
        append(messages, 'assistant', ['redacted' in block ? { type: 'redacted_thinking', data: block.redacted } : { type: 'thinking', thinking: block.text, signature: block.signature }]);
        break;
      }
    }
  });
  return { system, messages };
}

/**
 * With thinking on, Anthropic wants the assistant turn whose tool results are being sent to
 * start with its thinking. A conversation that lost it (begun without reasoning, or on another
 * provider) continues without thinking rather than failing.
 */
function thinkingFitsToolLoop(messages: AnthropicMessage[]): boolean {
  const last = messages[messages.length - 1];
  if (last?.role !== 'user' || last.content[0]?.type !== 'tool_result') return true;
  const first = messages[messages.length - 2]?.content[0]?.type;
  return first === 'thinking' || first === 'redacted_thinking';
}

/** `metadata.user_id`, where the Messages front door puts Anthropic's (longer than OpenAI's `user` may be). */
function metadataUserId(body: BuildRequestInput['body']): string | null {
  const metadata = body.metadata;
  if (typeof metadata !== 'object' || metadata === null) return null;
  const id = (metadata as Record<string, unknown>).user_id;
  return typeof id === 'string' && id !== '' ? id : null;
}

export function buildAnthropicBody(input: BuildRequestInput, tools: RequestTools = readTools(input.body, ANTHROPIC_TOOLS)): AnthropicRequestBody {
  const { body, provider } = input;
  const name = provider.name;
  rejectUnsupportedFeatures(body, name);
  const { system, messages } = anthropicMessages(readInput(body, name), name);
  const effort = thinkingFitsToolLoop(messages) ? readReasoningEffort(body) : null;
  let maxTokens = typeof body.max_output_tokens === 'number' ? body.max_output_tokens : defaultMaxTokens(input.upstreamModel);
  const out: AnthropicRequestBody = { model: input.upstreamModel, max_tokens: maxTokens, messages };
  if (system.length > 0) out.system = system.map((s) => cached<{ type: 'text'; text: string } & AnthropicCacheable>({ type: 'text', text: s.text }, s.cache));

  if (effort !== null) {
    let budget: number = THINKING_BUDGET[effort];
    if (typeof body.max_output_tokens === 'number') {
      // max_tokens includes the thinking: keep the client's limit and fit the budget inside it.
      budget = Math.min(budget, maxTokens - 1);
      if (budget < MIN_THINKING_BUDGET) {
        throw GatewayError.invalidRequest(`${name} needs max_output_tokens above ${MIN_THINKING_BUDGET} for reasoning (its minimum thinking budget).`, 'max_output_tokens');
      }
    } else {
      maxTokens += budget;
      out.max_tokens = maxTokens;
    }
    out.thinking = { type: 'enabled', budget_tokens: budget };
  }

  const functions = tools.functions;
  const choice = readSingleToolChoice(body, name, tools, ANTHROPIC_TOOLS);
  const format = readOutputFormat(body);
  if (functions.some((t) => t.name === JSON_RESPONSE_TOOL) && format.type !== 'text') {
    throw GatewayError.invalidRequest(`The tool name '${JSON_RESPONSE_TOOL}' is reserved for structured output on ${name}.`, 'tools');
  }
  const wireTools: AnthropicTool[] = functions.map((t) => cached<AnthropicFunctionTool>({ name: t.name, ...(t.description !== null && { description: t.description }), input_schema: t.parameters }, t.cache));
  if (tools.webSearch !== null) {
    const ws = tools.webSearch;
    wireTools.push({
      type: 'web_search_20250305',
      name: WEB_SEARCH_TOOL,
      ...(ws.allowedDomains !== null && { allowed_domains: ws.allowedDomains }),
      ...(ws.userLocation !== null && { user_location: { type: 'approximate', ...ws.userLocation } }),
    });
  }
  let toolChoice: AnthropicToolChoice | undefined;
  if (choice !== null) {
    if (choice.type === 'function') toolChoice = { type: 'tool', name: choice.name };
    else if (choice.type === 'web_search') toolChoice = { type: 'tool', name: WEB_SEARCH_TOOL };
    else toolChoice = { type: choice.type === 'required' ? 'any' : choice.type };
  }

  if (format.type !== 'text') {
    const schema = format.type === 'json_schema' ? format.schema : { type: 'object', additionalProperties: true };
    const description = format.type === 'json_schema' && format.description !== null ? format.description : 'Respond with the answer as this tool\'s input.';
    wireTools.push({ name: JSON_RESPONSE_TOOL, description, input_schema: schema });
    // Thinking forbids forcing a tool: then the model is only asked to use it.
    if (out.thinking === undefined && choice?.type !== 'none') {
      // Alone, the JSON tool is forced; beside the client's tools, some tool must be called.
      if (choice?.type === 'function') toolChoice = { type: 'tool', name: choice.name };
      else toolChoice = functions.length === 0 ? { type: 'tool', name: JSON_RESPONSE_TOOL } : { type: 'any' };
    }
  }

  if (wireTools.length > 0) {
    out.tools = wireTools;
    if (body.parallel_tool_calls === false) toolChoice = { ...(toolChoice ?? { type: 'auto' }), disable_parallel_tool_use: true };
  }
  if (toolChoice !== undefined && (wireTools.length > 0 || toolChoice.type === 'none')) out.tool_choice = toolChoice;

  if (typeof body.temperature === 'number') out.temperature = body.temperature;
  if (typeof body.top_p === 'number') out.top_p = body.top_p;
  const stops = body[STOP_SEQUENCES];
  if (stops !== undefined && stops.length > 0) out.stop_sequences = stops;
  const user = typeof body.user === 'string' ? body.user : typeof body.safety_identifier === 'string' ? body.safety_identifier : metadataUserId(body);
  if (user !== null) out.metadata = { user_id: user };
  if (input.stream) out.stream = true;
  limitBreakpoints(out);
  return out;
}
