import { GatewayError } from '@app/common';
import type { ResponsesRequest } from '../types';

/**
 * A Responses request read into provider-neutral pieces, shared by every translating adapter
 * (Chat Completions bridge, Anthropic, Gemini, Bedrock, Cohere). Anything a translating
 * provider cannot honour is refused here with a 400 naming the provider and the feature,
 * never dropped silently.
 */

export type ContentPart =
  | { type: 'text'; text: string }
  /** `url` is an https URL or a `data:<mime>;base64,...` URL. */
  | { type: 'image'; url: string; detail: string | null }
  | { type: 'file'; filename: string | null; fileData: string | null; fileUrl: string | null };

export type InputItem =
  | { kind: 'message'; role: 'system' | 'developer' | 'user' | 'assistant'; parts: ContentPart[] }
  | { kind: 'function_call'; callId: string; name: string; arguments: string }
  | { kind: 'function_call_output'; callId: string; output: string; parts: ContentPart[] | null }
  | { kind: 'reasoning'; text: string; encryptedContent: string | null };

export interface FunctionTool {
  name: string;
  description: string | null;
  parameters: Record<string, unknown>;
  strict: boolean | null;
}

export type ToolChoice =
  | { type: 'auto' }
  | { type: 'none' }
  | { type: 'required' }
  | { type: 'function'; name: string };

export type OutputFormat =
  | { type: 'text' }
  | { type: 'json_object' }
  | { type: 'json_schema'; name: string; schema: Record<string, unknown>; strict: boolean | null; description: string | null };

type Json = Record<string, unknown>;

function isObj(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function unsupported(provider: string, feature: string, param: string | null): GatewayError {
  return GatewayError.invalidRequest(`${provider} does not support ${feature} through /v1/responses.`, param);
}

/**
 * Request fields that only OpenAI's own Responses service can honour. `item_reference` and
 * `previous_response_id` need stored responses, which the upstream does not have.
 */
export function rejectUnsupportedFeatures(body: ResponsesRequest, provider: string): void {
  if (body.background === true) throw unsupported(provider, "'background' mode", 'background');
  if (typeof body.previous_response_id === 'string') {
    throw unsupported(provider, "'previous_response_id' (stored responses); send the earlier items in 'input'", 'previous_response_id');
  }
  if (body.conversation !== undefined && body.conversation !== null) throw unsupported(provider, "'conversation'", 'conversation');
  if (body.prompt !== undefined && body.prompt !== null) throw unsupported(provider, "'prompt' templates", 'prompt');
}

/** Function tools; hosted tools (web_search_preview, file_search, code_interpreter, mcp, ...) are refused. */
export function readFunctionTools(body: ResponsesRequest, provider: string): FunctionTool[] {
  const tools = body.tools;
  if (!Array.isArray(tools)) return [];
  return tools.map((t, i) => {
    if (!isObj(t)) throw GatewayError.invalidRequest(`'tools[${i}]' must be an object.`, `tools[${i}]`);
    if (t.type !== 'function') {
      throw unsupported(provider, `the hosted tool '${String(t.type)}' (only function tools are)`, `tools[${i}]`);
    }
    if (typeof t.name !== 'string' || t.name === '') throw GatewayError.invalidRequest(`'tools[${i}].name' must be a non-empty string.`, `tools[${i}].name`);
    return {
      name: t.name,
      description: typeof t.description === 'string' ? t.description : null,
      parameters: isObj(t.parameters) ? t.parameters : { type: 'object', properties: {} },
      strict: typeof t.strict === 'boolean' ? t.strict : null,
    };
  });
}

export function readToolChoice(body: ResponsesRequest, provider: string): ToolChoice | null {
  const tc = body.tool_choice;
  if (tc === undefined || tc === null) return null;
  if (tc === 'auto' || tc === 'none' || tc === 'required') return { type: tc };
  if (isObj(tc) && tc.type === 'function' && typeof tc.name === 'string') return { type: 'function', name: tc.name };
  const kind = isObj(tc) ? String(tc.type) : JSON.stringify(tc);
  throw unsupported(provider, `tool_choice '${kind}'`, 'tool_choice');
}

export function readOutputFormat(body: ResponsesRequest): OutputFormat {
  const text = body.text;
  const format = isObj(text) ? text.format : undefined;
  if (!isObj(format) || format.type === 'text') return { type: 'text' };
  if (format.type === 'json_object') return { type: 'json_object' };
  if (format.type === 'json_schema') {
    if (!isObj(format.schema)) throw GatewayError.invalidRequest("'text.format.schema' must be an object.", 'text.format.schema');
    return {
      type: 'json_schema',
      name: typeof format.name === 'string' ? format.name : 'response',
      schema: format.schema,
      strict: typeof format.strict === 'boolean' ? format.strict : null,
      description: typeof format.description === 'string' ? format.description : null,
    };
  }
  throw GatewayError.invalidRequest(`'text.format.type' ${JSON.stringify(format.type)} is not known.`, 'text.format.type');
}

/** `reasoning.effort` when the client asked for reasoning ('none'/'minimal' count as no). */
export function readReasoningEffort(body: ResponsesRequest): 'low' | 'medium' | 'high' | null {
  const r = body.reasoning;
  if (!isObj(r)) return null;
  const e = r.effort;
  if (e === 'low' || e === 'medium' || e === 'high') return e;
  if (e === 'xhigh') return 'high';
  return null;
}

function readPart(part: Json, param: string, provider: string): ContentPart | null {
  switch (part.type) {
    case 'input_text':
    case 'output_text':
    case 'text':
      return { type: 'text', text: typeof part.text === 'string' ? part.text : '' };
    case 'refusal':
      return { type: 'text', text: typeof part.refusal === 'string' ? part.refusal : '' };
    case 'input_image': {
      if (typeof part.image_url === 'string' && part.image_url !== '') {
        return { type: 'image', url: part.image_url, detail: typeof part.detail === 'string' ? part.detail : null };
      }
      throw unsupported(provider, "images by 'file_id' (send 'image_url' as a URL or data URL)", `${param}.file_id`);
    }
    case 'input_file': {
      const fileData = typeof part.file_data === 'string' ? part.file_data : null;
      const fileUrl = typeof part.file_url === 'string' ? part.file_url : null;
      if (fileData === null && fileUrl === null) {
        throw unsupported(provider, "files by 'file_id' (send 'file_data' or 'file_url')", `${param}.file_id`);
      }
      return { type: 'file', filename: typeof part.filename === 'string' ? part.filename : null, fileData, fileUrl };
    }
    default:
      throw unsupported(provider, `the input content type '${String(part.type)}'`, `${param}.type`);
  }
}

function readParts(content: unknown, param: string, provider: string): ContentPart[] {
  if (typeof content === 'string') return [{ type: 'text', text: content }];
  if (!Array.isArray(content)) return [];
  const parts: ContentPart[] = [];
  content.forEach((p, j) => {
    if (!isObj(p)) return;
    const part = readPart(p, `${param}[${j}]`, provider);
    if (part !== null) parts.push(part);
  });
  return parts;
}

function stringifyOutput(output: unknown): string {
  if (typeof output === 'string') return output;
  if (output === undefined || output === null) return '';
  return JSON.stringify(output);
}

/**
 * `instructions` first (as a system message), then the input items in order. Responses
 * `input` may be a string (one user message) or a list of items.
 */
export function readInput(body: ResponsesRequest, provider: string): InputItem[] {
  const items: InputItem[] = [];
  if (typeof body.instructions === 'string' && body.instructions !== '') {
    items.push({ kind: 'message', role: 'system', parts: [{ type: 'text', text: body.instructions }] });
  }
  const input = body.input;
  if (typeof input === 'string') {
    items.push({ kind: 'message', role: 'user', parts: [{ type: 'text', text: input }] });
    return items;
  }
  if (!Array.isArray(input)) return items;
  input.forEach((raw, i) => {
    const param = `input[${i}]`;
    if (!isObj(raw)) throw GatewayError.invalidRequest(`'${param}' must be an object.`, param);
    const type = raw.type ?? 'message';
    switch (type) {
      case 'message': {
        const role = raw.role;
        if (role !== 'system' && role !== 'developer' && role !== 'user' && role !== 'assistant') {
          throw GatewayError.invalidRequest(`'${param}.role' must be one of user, assistant, system, developer.`, `${param}.role`);
        }
        items.push({ kind: 'message', role, parts: readParts(raw.content, `${param}.content`, provider) });
        return;
      }
      case 'function_call':
        if (typeof raw.call_id !== 'string' || typeof raw.name !== 'string') {
          throw GatewayError.invalidRequest(`'${param}' needs 'call_id' and 'name'.`, param);
        }
        items.push({ kind: 'function_call', callId: raw.call_id, name: raw.name, arguments: typeof raw.arguments === 'string' ? raw.arguments : stringifyOutput(raw.arguments) || '{}' });
        return;
      case 'function_call_output': {
        if (typeof raw.call_id !== 'string') throw GatewayError.invalidRequest(`'${param}.call_id' must be a string.`, `${param}.call_id`);
        const parts = Array.isArray(raw.output) ? readParts(raw.output, `${param}.output`, provider) : null;
        const output = parts === null ? stringifyOutput(raw.output) : parts.map((p) => (p.type === 'text' ? p.text : '')).join('');
        items.push({ kind: 'function_call_output', callId: raw.call_id, output, parts });
        return;
      }
      case 'reasoning': {
        const summary = Array.isArray(raw.summary) ? raw.summary : [];
        const text = summary.map((s) => (isObj(s) && typeof s.text === 'string' ? s.text : '')).join('\n\n');
        items.push({ kind: 'reasoning', text, encryptedContent: typeof raw.encrypted_content === 'string' ? raw.encrypted_content : null });
        return;
      }
      case 'item_reference':
        throw unsupported(provider, "'item_reference' input items (stored responses); send the items themselves, e.g. with store: false", param);
      default:
        throw unsupported(provider, `the input item type '${String(type)}'`, `${param}.type`);
    }
  });
  return items;
}

/** Joins the text parts of a message (for providers whose system prompt or assistant turn is a string). */
export function partsText(parts: ContentPart[], separator = '\n'): string {
  let out = '';
  let first = true;
  for (const p of parts) {
    if (p.type !== 'text') continue;
    out = first ? p.text : out + separator + p.text;
    first = false;
  }
  return out;
}

/** `data:<mime>;base64,<data>` -> its pieces; null for other URLs. */
export function parseDataUrl(url: string): { mediaType: string; data: string } | null {
  const m = /^data:([^;,]+)?(?:;[^,]*)?;base64,(.*)$/s.exec(url);
  if (!m) return null;
  return { mediaType: m[1] ?? 'application/octet-stream', data: m[2] };
}
