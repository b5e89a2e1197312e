import type { BuildRequestInput } from '../types';
import { type ContentPart, type InputItem, partsText, readInput, readOutputFormat, readReasoningEffort, rejectUnsupportedFeatures, stopSequences } from '../responses/request-input';
import { type RequestTools, readSingleToolChoice, readTools } from '../responses/request-tools';
import { dialectFor, refusedFields } from '../dialects/dialects';
import type { ChatContentPart, ChatMessage, ChatRequestBody, ChatToolCall } from './chat-wire';

function userContent(parts: ContentPart[]): string | ChatContentPart[] {
  // Plain strings where possible: several compatible servers reject content arrays.
  if (parts.every((p) => p.type === 'text')) return partsText(parts);
  return parts.map((p): ChatContentPart => {
    if (p.type === 'text') return { type: 'text', text: p.text };
    if (p.type === 'image') return { type: 'image_url', image_url: p.detail === null ? { url: p.url } : { url: p.url, detail: p.detail } };
    const file: Record<string, string> = {};
    if (p.filename !== null) file.filename = p.filename;
    if (p.fileData !== null) file.file_data = p.fileData;
    else if (p.fileUrl !== null) file.file_url = p.fileUrl;
    return { type: 'file', file };
  });
}

/** Responses items -> chat messages; consecutive function calls join one assistant turn. */
export function chatMessages(items: InputItem[]): ChatMessage[] {
  const messages: ChatMessage[] = [];
  for (const item of items) {
    switch (item.kind) {
      case 'message':
        if (item.role === 'system' || item.role === 'developer') {
          // `developer` is OpenAI-only; compatible servers know `system`.
          messages.push({ role: 'system', content: partsText(item.parts) });
        } else if (item.role === 'assistant') {
          messages.push({ role: 'assistant', content: partsText(item.parts, '') });
        } else {
          messages.push({ role: 'user', content: userContent(item.parts) });
        }
        break;
      case 'function_call': {
        const call: ChatToolCall = { id: item.callId, type: 'function', function: { name: item.name, arguments: item.arguments } };
        const last = messages[messages.length - 1];
        if (last !== undefined && last.role === 'assistant') {
          (last.tool_calls ??= []).push(call);
          if (last.content === '') last.content = null;
        } else {
          messages.push({ role: 'assistant', content: null, tool_calls: [call] });
        }
        break;
      }
      case 'function_call_output':
        messages.push({ role: 'tool', tool_call_id: item.callId, content: item.parts === null ? item.output : partsText(item.parts, '') });
        break;
      case 'reasoning':
        // Chat Completions takes no reasoning input (DeepSeek even rejects it): dropped by design.
        break;
    }
  }
  return messages;
}

/** The `/chat/completions` body for a Responses request. */
export function buildChatBody(input: BuildRequestInput, requestTools: RequestTools = readTools(input.body)): ChatRequestBody {
  const { body, provider } = input;
  const name = provider.name;
  rejectUnsupportedFeatures(body, name);
  const out: ChatRequestBody = { model: input.upstreamModel, messages: chatMessages(readInput(body, name)) };

  const tools = requestTools.functions;
  if (tools.length > 0) {
    out.tools = tools.map((t) => ({
      type: 'function',
      function: {
        name: t.name,
        ...(t.description !== null && { description: t.description }),
        parameters: t.parameters,
        ...(t.strict !== null && { strict: t.strict }),
      },
    }));
    if (typeof body.parallel_tool_calls === 'boolean') out.parallel_tool_calls = body.parallel_tool_calls;
  }
  const choice = readSingleToolChoice(body, name, requestTools);
  if (choice !== null && (tools.length > 0 || choice.type === 'none')) {
    out.tool_choice = choice.type === 'function' ? { type: 'function', function: { name: choice.name } } : choice.type;
  }

  const format = readOutputFormat(body);
  if (format.type === 'json_object') out.response_format = { type: 'json_object' };
  else if (format.type === 'json_schema') {
    out.response_format = {
      type: 'json_schema',
      json_schema: {
        name: format.name,
        schema: format.schema,
        ...(format.strict !== null && { strict: format.strict }),
        ...(format.description !== null && { description: format.description }),
      },
    };
  }

  if (typeof body.max_output_tokens === 'number') out.max_tokens = body.max_output_tokens;
  if (typeof body.temperature === 'number') out.temperature = body.temperature;
  if (typeof body.top_p === 'number') out.top_p = body.top_p;
  // OpenAI's Chat Completions takes up to 4; so do the servers that copy it.
  const stops = stopSequences(body, input.provider.name, 4);
  if (stops !== null) out.stop = stops;
  if (typeof body.user === 'string') out.user = body.user;
  const effort = readReasoningEffort(body);
  if (effort !== null) out.reasoning_effort = effort;
  const dialect = dialectFor(name, 'chat');
  if (input.stream) {
    out.stream = true;
    // Providers that send usage unasked refuse (Mistral: 422) or ignore the option.
    if (dialect.streamUsage === 'stream_options') out.stream_options = { include_usage: true };
  }
  if (!dialect.jsonSchema && out.response_format?.type === 'json_schema') out.response_format = { type: 'json_object' };
  for (const field of refusedFields(out, dialect)) delete out[field as keyof ChatRequestBody];
  return out;
}
