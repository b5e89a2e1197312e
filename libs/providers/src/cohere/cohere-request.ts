import { GatewayError } from '@app/common';
import type { ResponsesRequest } from '../types';
import { type ContentPart, type InputTurn, numberField, readInput, readOutputFormat, reasoningEffort, rejectUnsupportedFeatures, splitSystem, stopSequences, toolChoiceMode } from '../responses/request-input';
import { type RequestTools, readToolChoice, readTools } from '../responses/request-tools';

/** Cohere v2 chat wire types, the parts the gateway writes. */
export interface CohereToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

export type CohereContent = { type: 'text'; text: string } | { type: 'image_url'; image_url: { url: string } };

export type CohereMessage =
  | { role: 'system'; content: string }
  | { role: 'user'; content: string | CohereContent[] }
  | { role: 'assistant'; content?: string; tool_calls?: CohereToolCall[] }
  | { role: 'tool'; tool_call_id: string; content: string };

export interface CohereChatRequest {
  model: string;
  messages: CohereMessage[];
  stream?: boolean;
  tools?: { type: 'function'; function: { name: string; description?: string; parameters: Record<string, unknown> } }[];
  tool_choice?: 'REQUIRED' | 'NONE';
  response_format?: { type: 'json_object'; json_schema?: Record<string, unknown> };
  max_tokens?: number;
  temperature?: number;
  stop_sequences?: string[];
  p?: number;
  thinking?: { type: 'enabled' | 'disabled'; token_budget?: number };
}

const PROVIDER = 'cohere';
const THINKING_BUDGETS: Record<string, number> = { minimal: 512, low: 2048, medium: 8192, high: 24576 };

export function toCohereRequest(body: ResponsesRequest, model: string, stream: boolean, requestTools: RequestTools = readTools(body)): CohereChatRequest {
  rejectUnsupportedFeatures(body, PROVIDER);
  const { system, turns } = splitSystem(readInput(body, PROVIDER));
  const messages: CohereMessage[] = system.map((content) => ({ role: 'system', content }));
  messages.push(...toMessages(turns));
  const out: CohereChatRequest = { model, messages };
  if (stream) out.stream = true;

  const tools = requestTools.functions;
  if (tools.length > 0) {
    out.tools = tools.map((t) => ({
      type: 'function',
      function: { name: t.name, ...(t.description !== null ? { description: t.description } : {}), parameters: t.parameters },
    }));
  }
  // Cohere has no "auto" value (it is the default) and cannot force one named function.
  const choice = toolChoiceMode(readToolChoice(body, PROVIDER, requestTools));
  if (choice?.mode === 'none') out.tool_choice = 'NONE';
  else if (choice?.mode === 'required' && tools.length > 0) out.tool_choice = 'REQUIRED';

  const format = readOutputFormat(body);
  if (format.type === 'json_object') out.response_format = { type: 'json_object' };
  else if (format.type === 'json_schema') out.response_format = { type: 'json_object', json_schema: format.schema };

  const maxTokens = numberField(body, 'max_output_tokens');
  if (maxTokens !== undefined) out.max_tokens = maxTokens;
  const temperature = numberField(body, 'temperature');
  if (temperature !== undefined) out.temperature = temperature;
  const topP = numberField(body, 'top_p');
  if (topP !== undefined) out.p = topP;
  // Cohere takes up to 5.
  const stops = stopSequences(body, PROVIDER, 5);
  if (stops !== null) out.stop_sequences = stops;
  const effort = reasoningEffort(body);
  if (effort === 'none') out.thinking = { type: 'disabled' };
  else if (effort !== null) out.thinking = { type: 'enabled', token_budget: THINKING_BUDGETS[effort] ?? THINKING_BUDGETS.medium };
  return out;
}

/** Function calls join the assistant message before them; each output is its own tool message. */
function toMessages(turns: InputTurn[]): CohereMessage[] {
  const messages: CohereMessage[] = [];
  for (const t of turns) {
    // Cohere takes no reasoning back.
    if (t.kind === 'reasoning') continue;
    if (t.kind === 'message') {
      if (t.role === 'user') messages.push({ role: 'user', content: userContent(t.parts) });
      else messages.push({ role: 'assistant', content: t.parts.map((p) => (p.type === 'text' ? p.text : '')).join('') });
    } else if (t.kind === 'function_call') {
      const call: CohereToolCall = { id: t.callId, type: 'function', function: { name: t.name, arguments: t.arguments } };
      const last = messages[messages.length - 1];
      if (last?.role === 'assistant') {
        last.tool_calls = [...(last.tool_calls ?? []), call];
        if (last.content === '') delete last.content;
      } else messages.push({ role: 'assistant', tool_calls: [call] });
    } else {
      messages.push({ role: 'tool', tool_call_id: t.callId, content: t.output });
    }
  }
  return messages;
}

function userContent(parts: ContentPart[]): string | CohereContent[] {
  if (parts.every((p) => p.type === 'text')) return parts.map((p) => (p.type === 'text' ? p.text : '')).join('\n');
  return parts.map((p): CohereContent => {
    if (p.type === 'text') return { type: 'text', text: p.text };
    if (p.type === 'file') throw GatewayError.invalidRequest(`${PROVIDER} does not support input_file parts`, 'input');
    const url = p.data !== null ? `data:${p.mimeType};base64,${p.data}` : p.url;
    return { type: 'image_url', image_url: { url } };
  });
}
