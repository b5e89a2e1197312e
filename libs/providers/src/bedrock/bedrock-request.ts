import { GatewayError } from '@app/common';
import { type ResponsesRequest, STOP_SEQUENCES } from '../types';
import { type ContentPart, type InputTurn, argsObject, numberField, outputObject, readInput, readOutputFormat, reasoningEffort, rejectUnsupportedFeatures, splitSystem, toolChoiceMode } from '../responses/request-input';
import { type RequestTools, readToolChoice, readTools } from '../responses/request-tools';
import { uncarryThinking } from '../responses/reasoning-carrier';

/** Converse wire types, the parts the gateway writes. */
export type BedrockContentBlock =
  | { text: string }
  | { image: { format: string; source: { bytes: string } } }
  | { document: { format: string; name: string; source: { bytes: string } } }
  | { toolUse: { toolUseId: string; name: string; input: Record<string, unknown> } }
  | { toolResult: { toolUseId: string; content: ({ text: string } | { json: Record<string, unknown> })[] } }
  /** Claude's thinking, sent back as it came (signature), or its redacted form (base64 bytes). */
  | { reasoningContent: { reasoningText: { text: string; signature: string } } | { redactedContent: string } }
  | CachePoint;

/** A prompt-cache checkpoint: what comes before it (tools, system, messages, in that order) is cached. */
export interface CachePoint {
  cachePoint: { type: 'default' };
}

type ToolEntry = { toolSpec: { name: string; description?: string; inputSchema: { json: Record<string, unknown> } } } | CachePoint;

export interface BedrockMessage {
  role: 'user' | 'assistant';
  content: BedrockContentBlock[];
}

export interface ConverseRequest {
  messages: BedrockMessage[];
  system?: ({ text: string } | CachePoint)[];
  inferenceConfig?: { maxTokens?: number; temperature?: number; topP?: number; stopSequences?: string[] };
  toolConfig?: {
    tools: ToolEntry[];
    toolChoice?: { auto: Record<string, never> } | { any: Record<string, never> } | { tool: { name: string } };
  };
  additionalModelRequestFields?: Record<string, unknown>;
  additionalModelResponseFieldPaths?: string[];
}

const PROVIDER = 'bedrock';

/**
 * Structured output goes through a forced tool, as Bedrock's own docs suggest for Converse:
 * its input is the JSON answer, turned back into output text by the response side.
 */
export const JSON_TOOL_NAME = 'json_response';

// Maps: the keys come from the client's data URLs.
const IMAGE_FORMATS = new Map(Object.entries({ 'image/png': 'png', 'image/jpeg': 'jpeg', 'image/jpg': 'jpeg', 'image/gif': 'gif', 'image/webp': 'webp' }));
const DOC_FORMATS = new Map(Object.entries({
  'application/pdf': 'pdf', 'text/csv': 'csv', 'application/msword': 'doc', 'text/html': 'html', 'text/plain': 'txt', 'text/markdown': 'md',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document': 'docx',
  'application/vnd.ms-excel': 'xls', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet': 'xlsx',
}));

/** Bedrock's limit on cache checkpoints per request. */
const MAX_CACHE_POINTS = 4;
const CACHE_POINT: CachePoint = Object.freeze({ cachePoint: Object.freeze({ type: 'default' as const }) });

/** Prompt caching (as the Messages API means it) and naming the stop sequence hit are Claude's on Converse. */
function isClaude(modelId: string): boolean {
  return /anthropic\.claude/.test(modelId);
}

/** Anthropic models on Bedrock think with a token budget, per effort. */
const THINKING_BUDGETS: Record<string, number> = { minimal: 1024, low: 2048, medium: 8192, high: 24576 };

export function toConverseRequest(body: ResponsesRequest, modelId: string, requestTools: RequestTools = readTools(body)): ConverseRequest {
  rejectUnsupportedFeatures(body, PROVIDER);
  const { system, systemCache, turns } = splitSystem(readInput(body, PROVIDER));
  const caching = isClaude(modelId);
  const out: ConverseRequest = { messages: toMessages(turns, caching) };
  if (system.length > 0) out.system = system.flatMap((text, i) => (caching && systemCache[i] !== null ? [{ text }, CACHE_POINT] : [{ text }]));

  const inference: NonNullable<ConverseRequest['inferenceConfig']> = {};
  const maxTokens = numberField(body, 'max_output_tokens');
  if (maxTokens !== undefined) inference.maxTokens = maxTokens;
  const temperature = numberField(body, 'temperature');
  if (temperature !== undefined) inference.temperature = temperature;
  const topP = numberField(body, 'top_p');
  if (topP !== undefined) inference.topP = topP;
  const stops = body[STOP_SEQUENCES];
  if (stops !== undefined && stops.length > 0) {
    inference.stopSequences = stops;
    // Claude names the sequence it stopped at only when asked.
    if (isClaude(modelId)) out.additionalModelResponseFieldPaths = ['/stop_sequence'];
  }
  if (Object.keys(inference).length > 0) out.inferenceConfig = inference;

  const tools: ToolEntry[] = requestTools.functions.flatMap((t) => {
    const spec: ToolEntry = {
      toolSpec: {
        name: t.name,
        ...(t.description !== null ? { description: t.description } : {}),
        inputSchema: { json: t.parameters },
      },
    };
    return caching && t.cache !== undefined ? [spec, CACHE_POINT] : [spec];
  });
  const format = readOutputFormat(body);
  if (format.type === 'json_object') {
    throw GatewayError.invalidRequest(`${PROVIDER} does not support text.format json_object (use json_schema)`, 'text.format');
  }
  const choice = toolChoiceMode(readToolChoice(body, PROVIDER, requestTools));
  // Bedrock wants toolConfig whenever the conversation holds tool blocks, even with no new tools.
  const hasToolBlocks = turns.some((t) => t.kind === 'function_call' || t.kind === 'function_call_output');
  if (format.type === 'json_schema') {
    tools.push({ toolSpec: { name: JSON_TOOL_NAME, description: format.description ?? `Respond with the ${format.name} JSON object.`, inputSchema: { json: format.schema } } });
    out.toolConfig = { tools, toolChoice: { tool: { name: JSON_TOOL_NAME } } };
  } else if (tools.length > 0) {
    out.toolConfig = { tools };
    // Converse has no "none": leaving the choice to the model is the closest it offers.
    if (choice?.mode === 'required') {
      out.toolConfig.toolChoice = choice.names?.length === 1 ? { tool: { name: choice.names[0] } } : { any: {} };
    } else if (choice?.mode === 'auto') out.toolConfig.toolChoice = { auto: {} };
  } else if (hasToolBlocks) {
    // The history has calls but this turn declares no tools (a follow-up by previous_response_id
    // sends only the output): declare the called functions, with open schemas, as Converse demands.
    const called = new Set<string>();
    for (const t of turns) if (t.kind === 'function_call') called.add(t.name);
    for (const t of turns) if (t.kind === 'function_call_output' && t.name !== null) called.add(t.name);
    out.toolConfig = { tools: [...called].map((name) => ({ toolSpec: { name, inputSchema: { json: { type: 'object' } } } })) };
  }

  const effort = reasoningEffort(body);
  if (effort !== null && effort !== 'none' && /anthropic\.claude/.test(modelId) && thinkingFitsToolLoop(out.messages)) {
    out.additionalModelRequestFields = { thinking: { type: 'enabled', budget_tokens: THINKING_BUDGETS[effort] ?? THINKING_BUDGETS.medium } };
  }
  if (caching) limitCachePoints(out);
  return out;
}

/** Over Bedrock's limit, the last checkpoints stay: they cover the longest prefixes. */
function limitCachePoints(out: ConverseRequest): void {
  const lists: unknown[][] = [out.toolConfig?.tools ?? [], out.system ?? [], ...out.messages.map((m) => m.content)];
  let excess = lists.reduce((n, l) => n + l.filter((b) => b === CACHE_POINT).length, 0) - MAX_CACHE_POINTS;
  for (const list of lists) {
    for (let i = 0; i < list.length && excess > 0; i++) {
      if (list[i] === CACHE_POINT) {
        list.splice(i--, 1);
        excess--;
      }
    }
  }
}

/**
 * Converse wants user/assistant alternation starting with a user turn; tool results are
 * user content right after the assistant's toolUse. Consecutive turns of one role join.
 */
function toMessages(turns: InputTurn[], caching: boolean): BedrockMessage[] {
  const messages: BedrockMessage[] = [];
  const add = (role: 'user' | 'assistant', content: BedrockContentBlock[]): void => {
    if (content.length === 0) return;
    const last = messages[messages.length - 1];
    if (last !== undefined && last.role === role) last.content.push(...content);
    else messages.push({ role, content });
  };
  turns.forEach((t, i) => {
    if (t.kind === 'reasoning') {
      // Only Claude's own signed thinking from Bedrock goes back; other reasoning is dropped.
      const block = uncarryThinking(t.encryptedContent, 'bedrock');
      if (block !== null) {
        add('assistant', [{ reasoningContent: 'redacted' in block ? { redactedContent: block.redacted } : { reasoningText: { text: block.text, signature: block.signature } } }]);
      }
    } else if (t.kind === 'message') {
      add(t.role, t.parts.filter((p) => p.type !== 'text' || p.text !== '').flatMap((p, j) => point(toBlock(p, `input[${i}].content[${j}]`), caching && p.cache !== undefined)));
    } else if (t.kind === 'function_call') {
      add('assistant', point({ toolUse: { toolUseId: t.callId, name: t.name, input: argsObject(t.arguments) } }, caching && t.cache !== undefined));
    } else {
      const obj = outputObject(t.output);
      const content = 'output' in obj && Object.keys(obj).length === 1 ? [{ text: t.output === '' ? '(empty)' : t.output }] : [{ json: obj }];
      add('user', point({ toolResult: { toolUseId: t.callId, content } }, caching && t.cache !== undefined));
    }
  });
  return messages;
}

/** The block, then a cache checkpoint when it closes a cached prefix. */
function point(block: BedrockContentBlock, cache: boolean): BedrockContentBlock[] {
  return cache ? [block, CACHE_POINT] : [block];
}

/**
 * Claude on Bedrock, thinking, wants the assistant turn whose tool results are being sent to
 * start with its reasoning; a conversation without it continues without thinking.
 */
function thinkingFitsToolLoop(messages: BedrockMessage[]): boolean {
  const last = messages[messages.length - 1];
  if (last?.role !== 'user' || last.content[0] === undefined || !('toolResult' in last.content[0])) return true;
  const first = messages[messages.length - 2]?.content[0];
  return first !== undefined && 'reasoningContent' in first;
}

function toBlock(p: ContentPart, param: string): BedrockContentBlock {
  if (p.type === 'text') return { text: p.text };
  if (p.data === null) {
    throw GatewayError.invalidRequest(`${PROVIDER} does not support ${p.type} URLs (send the bytes as a data: URL)`, param);
  }
  if (p.type === 'image') {
    const format = IMAGE_FORMATS.get(p.mimeType);
    if (format === undefined) throw GatewayError.invalidRequest(`${PROVIDER} does not support images of type ${p.mimeType}`, param);
    return { image: { format, source: { bytes: p.data } } };
  }
  const format = DOC_FORMATS.get(p.mimeType);
  if (format === undefined) throw GatewayError.invalidRequest(`${PROVIDER} does not support documents of type ${p.mimeType}`, param);
  // Bedrock allows letters, digits, spaces, hyphens, parentheses and brackets in a document name.
  const name = (p.filename ?? 'document').replace(/\.[^.]+$/, '').replace(/[^A-Za-z0-9\s\-()[\]]/g, ' ').trim() || 'document';
  return { document: { format, name, source: { bytes: p.data } } };
}
