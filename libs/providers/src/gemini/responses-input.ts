import { randomBytes } from 'node:crypto';
import { GatewayError } from '@app/common';
import type { ResponsesRequest } from '../types';

/**
 * The Responses request read into provider-neutral pieces, for the translating adapters of
 * this folder, bedrock/ and cohere/. Whatever a provider cannot honour is refused here with
 * a 400 naming the provider and the feature, never dropped silently.
 */

export type ContentPart =
  | { type: 'text'; text: string }
  /** `data` set for data: URLs (base64), else `url`. */
  | { type: 'image'; mimeType: string; data?: string; url?: string }
  | { type: 'file'; mimeType: string; data?: string; url?: string; filename?: string };

export type InputTurn =
  | { kind: 'message'; role: 'user' | 'assistant'; parts: ContentPart[] }
  | { kind: 'function_call'; callId: string; name: string; arguments: string }
  | { kind: 'function_call_output'; callId: string; name: string | null; output: string };

export interface ReadInput {
  /** `instructions` and system/developer messages, in order. */
  system: string[];
  turns: InputTurn[];
}

export interface FunctionTool {
  name: string;
  description?: string;
  parameters?: Record<string, unknown>;
}

export type ToolChoice = { mode: 'auto' | 'none' | 'required'; names?: string[] };

export type TextFormat =
  | { type: 'text' }
  | { type: 'json_object' }
  | { type: 'json_schema'; name: string; schema: Record<string, unknown>; strict: boolean; description?: string };

type Json = Record<string, unknown>;

export function isObj(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function unsupported(provider: string, feature: string, param: string | null): GatewayError {
  return GatewayError.invalidRequest(`${provider} does not support ${feature}`, param);
}

/**
 * Request-level features that need state or hosted machinery the provider lacks. The gateway
 * resolves `previous_response_id` and stored items itself before the adapter runs (when it
 * does); anything that still reaches the adapter cannot be honoured.
 */
export function rejectUnsupported(body: ResponsesRequest, provider: string): void {
  if (body.background === true) throw unsupported(provider, 'background mode', 'background');
  if (typeof body.previous_response_id === 'string') throw unsupported(provider, 'previous_response_id', 'previous_response_id');
  if (body.conversation !== undefined && body.conversation !== null) throw unsupported(provider, 'conversations', 'conversation');
  if (body.prompt !== undefined && body.prompt !== null) throw unsupported(provider, 'prompt templates', 'prompt');
}

export function readInput(body: ResponsesRequest, provider: string): ReadInput {
  const system: string[] = [];
  if (typeof body.instructions === 'string' && body.instructions !== '') system.push(body.instructions);
  const turns: InputTurn[] = [];
  const input = body.input;
  if (typeof input === 'string') {
    turns.push({ kind: 'message', role: 'user', parts: [{ type: 'text', text: input }] });
    return { system, turns };
  }
  if (input === undefined || input === null) return { system, turns };
  if (!Array.isArray(input)) throw GatewayError.invalidRequest('input must be a string or an array of items', 'input');
  // function_call_output carries only the call id; providers like Gemini need the name.
  const names = new Map<string, string>();
  input.forEach((item: unknown, i: number) => {
    const at = `input[${i}]`;
    if (!isObj(item)) throw GatewayError.invalidRequest(`${at} must be an object`, at);
    const type = item.type ?? 'message';
    switch (type) {
      case 'message': {
        const role = item.role;
        if (role === 'system' || role === 'developer') {
          const text = partsOf(item.content, at, provider).map((p) => (p.type === 'text' ? p.text : '')).join('\n');
          if (text !== '') system.push(text);
        } else if (role === 'user' || role === 'assistant') {
          turns.push({ kind: 'message', role, parts: partsOf(item.content, at, provider) });
        } else {
          throw GatewayError.invalidRequest(`${at}.role must be user, assistant, system or developer`, `${at}.role`);
        }
        return;
      }
      case 'function_call': {
        const callId = str(item.call_id, `${at}.call_id`);
        const name = str(item.name, `${at}.name`);
        names.set(callId, name);
        turns.push({ kind: 'function_call', callId, name, arguments: typeof item.arguments === 'string' ? item.arguments : '{}' });
        return;
      }
      case 'function_call_output': {
        const callId = str(item.call_id, `${at}.call_id`);
        turns.push({ kind: 'function_call_output', callId, name: names.get(callId) ?? null, output: outputText(item.output) });
        return;
      }
      // Reasoning summaries of earlier turns are the provider's own output; it does not take them back.
      case 'reasoning':
        return;
      case 'item_reference':
        // The AI SDK (store on) refers to earlier reasoning by id; reasoning is not sent back
        // to these providers anyway, so such a reference loses nothing. Others need the item.
        if (typeof item.id === 'string' && item.id.startsWith('rs_')) return;
        throw unsupported(provider, 'item_reference inputs (send the items themselves, or store: false)', at);
      default:
        throw unsupported(provider, `input items of type ${String(type)}`, at);
    }
  });
  return { system, turns };
}

function str(v: unknown, param: string): string {
  if (typeof v !== 'string' || v === '') throw GatewayError.invalidRequest(`${param} must be a non-empty string`, param);
  return v;
}

/** A tool result: a string, or input_text/input_image parts (text kept; the rest is named). */
function outputText(output: unknown): string {
  if (typeof output === 'string') return output;
  if (Array.isArray(output)) {
    return output.map((p) => (isObj(p) && typeof p.text === 'string' ? p.text : '')).filter((t) => t !== '').join('\n');
  }
  return output === undefined ? '' : JSON.stringify(output);
}

const DATA_URL = /^data:([^;,]+)?(?:;[^,]*)?;base64,(.*)$/s;

function partsOf(content: unknown, at: string, provider: string): ContentPart[] {
  if (typeof content === 'string') return [{ type: 'text', text: content }];
  if (!Array.isArray(content)) throw GatewayError.invalidRequest(`${at}.content must be a string or an array of parts`, `${at}.content`);
  const parts: ContentPart[] = [];
  content.forEach((p: unknown, j: number) => {
    const pat = `${at}.content[${j}]`;
    if (!isObj(p)) throw GatewayError.invalidRequest(`${pat} must be an object`, pat);
    switch (p.type) {
      case 'input_text':
      case 'output_text':
      case 'text':
        if (typeof p.text === 'string') parts.push({ type: 'text', text: p.text });
        return;
      case 'refusal':
        if (typeof p.refusal === 'string') parts.push({ type: 'text', text: p.refusal });
        return;
      case 'input_image': {
        if (typeof p.image_url !== 'string') throw unsupported(provider, 'input_image by file_id', pat);
        const m = DATA_URL.exec(p.image_url);
        parts.push(m ? { type: 'image', mimeType: m[1] ?? 'image/png', data: m[2] } : { type: 'image', mimeType: mimeFromUrl(p.image_url, 'image/jpeg'), url: p.image_url });
        return;
      }
      case 'input_file': {
        const filename = typeof p.filename === 'string' ? p.filename : undefined;
        if (typeof p.file_data === 'string') {
          const m = DATA_URL.exec(p.file_data);
          const mimeType = m?.[1] ?? mimeFromUrl(filename ?? '', 'application/pdf');
          parts.push({ type: 'file', mimeType, data: m ? m[2] : p.file_data, filename });
          return;
        }
        if (typeof p.file_url === 'string') {
          parts.push({ type: 'file', mimeType: mimeFromUrl(p.file_url, 'application/pdf'), url: p.file_url, filename });
          return;
        }
        throw unsupported(provider, 'input_file by file_id', pat);
      }
      default:
        throw unsupported(provider, `content parts of type ${String(p.type)}`, pat);
    }
  });
  return parts;
}

const MIME_BY_EXT: Record<string, string> = {
  png: 'image/png', jpg: 'image/jpeg', jpeg: 'image/jpeg', gif: 'image/gif', webp: 'image/webp', heic: 'image/heic',
  pdf: 'application/pdf', txt: 'text/plain', md: 'text/markdown', csv: 'text/csv', html: 'text/html',
};

export function mimeFromUrl(url: string, fallback: string): string {
  const ext = /\.([a-z0-9]+)(?:[?#].*)?$/i.exec(url)?.[1]?.toLowerCase();
  return (ext && MIME_BY_EXT[ext]) ?? fallback;
}

/** Function tools only: hosted tools (web search, file search, code interpreter...) are refused. */
export function readTools(body: ResponsesRequest, provider: string): FunctionTool[] {
  const tools = body.tools;
  if (tools === undefined || tools === null) return [];
  if (!Array.isArray(tools)) throw GatewayError.invalidRequest('tools must be an array', 'tools');
  return tools.map((t: unknown, i: number) => {
    const at = `tools[${i}]`;
    if (!isObj(t)) throw GatewayError.invalidRequest(`${at} must be an object`, at);
    if (t.type !== 'function') throw unsupported(provider, `the ${String(t.type)} tool`, at);
    const tool: FunctionTool = { name: str(t.name, `${at}.name`) };
    if (typeof t.description === 'string') tool.description = t.description;
    if (isObj(t.parameters)) tool.parameters = t.parameters;
    return tool;
  });
}

export function readToolChoice(body: ResponsesRequest, provider: string): ToolChoice | null {
  const tc = body.tool_choice;
  if (tc === undefined || tc === null) return null;
  if (tc === 'auto' || tc === 'none' || tc === 'required') return { mode: tc };
  if (isObj(tc)) {
    if (tc.type === 'function' && typeof tc.name === 'string') return { mode: 'required', names: [tc.name] };
    if (tc.type === 'allowed_tools' && Array.isArray(tc.tools)) {
      const names = tc.tools.filter(isObj).map((t) => (typeof t.name === 'string' ? t.name : '')).filter((n) => n !== '');
      return { mode: tc.mode === 'required' ? 'required' : 'auto', names };
    }
    throw unsupported(provider, `tool_choice of type ${String(tc.type)}`, 'tool_choice');
  }
  throw GatewayError.invalidRequest('tool_choice must be auto, none, required or an object', 'tool_choice');
}

export function readTextFormat(body: ResponsesRequest): TextFormat {
  const text = body.text;
  const f = isObj(text) && isObj(text.format) ? text.format : null;
  if (f === null || f.type === 'text') return { type: 'text' };
  if (f.type === 'json_object') return { type: 'json_object' };
  if (f.type === 'json_schema') {
    if (!isObj(f.schema)) throw GatewayError.invalidRequest('text.format.schema must be an object', 'text.format.schema');
    return {
      type: 'json_schema',
      name: typeof f.name === 'string' ? f.name : 'response',
      schema: f.schema,
      strict: f.strict === true,
      ...(typeof f.description === 'string' ? { description: f.description } : {}),
    };
  }
  throw GatewayError.invalidRequest(`text.format.type ${String(f.type)} is not supported`, 'text.format.type');
}

export function numberField(body: ResponsesRequest, field: string): number | undefined {
  const v = body[field];
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

export function reasoningEffort(body: ResponsesRequest): string | null {
  return isObj(body.reasoning) && typeof body.reasoning.effort === 'string' ? body.reasoning.effort : null;
}

export function reasoningSummary(body: ResponsesRequest): boolean {
  return isObj(body.reasoning) && typeof body.reasoning.summary === 'string' && body.reasoning.summary !== 'none';
}

/** JSON arguments as an object; a provider that wants an object gets {} for junk. */
export function argsObject(args: string): Json {
  try {
    const v: unknown = JSON.parse(args === '' ? '{}' : args);
    return isObj(v) ? v : {};
  } catch {
    return {};
  }
}

/** A tool output as the JSON object some providers require: parsed if it is one, else wrapped. */
export function outputObject(output: string): Json {
  try {
    const v: unknown = JSON.parse(output);
    if (isObj(v)) return v;
  } catch {
    // plain text
  }
  return { output };
}

/** For providers whose calls carry no id (Gemini before 3): the client still needs a call_id. */
export function newCallId(): string {
  return `call_${randomBytes(12).toString('hex')}`;
}
