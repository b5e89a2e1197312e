import { randomBytes } from 'node:crypto';
import { GatewayError, type Json, isJson } from '@app/common';
import { type CacheControl, type ResponsesRequest, STOP_SEQUENCES, cacheControlOf } from '../types';
import { ToolNames } from './tool-names';

/**
 * A Responses request read into provider-neutral pieces, shared by every translating adapter
 * (Chat Completions bridge, Anthropic, Gemini, Bedrock, Cohere). Anything a translating
 * provider cannot honour is refused here with a 400 naming the provider and the feature,
 * never dropped silently.
 */

/** `cache`: a prompt-cache breakpoint after this part (the gateway-only CACHE_CONTROL marker). */
export type ContentPart = ContentPartKind & { cache?: CacheControl };

type ContentPartKind =
  | { type: 'text'; text: string }
  /**
   * `url` as given: an https URL or a `data:<mime>;base64,...` URL. `data` is the base64 of a
   * data URL (else null); `mimeType` its type, or guessed from the URL's extension.
   */
  | { type: 'image'; url: string; detail: string | null; mimeType: string; data: string | null }
  /** `fileData`/`fileUrl` as given; `data` is the base64 of `fileData` (data URL or bare), else null. */
  | { type: 'file'; filename: string | null; fileData: string | null; fileUrl: string | null; mimeType: string; data: string | null };

export type InputItem =
  | { kind: 'message'; role: 'system' | 'developer' | 'user' | 'assistant'; parts: ContentPart[] }
  | { kind: 'function_call'; callId: string; name: string; arguments: string; cache?: CacheControl }
  /**
   * `parts` when the output was a list of content parts (`output` is then their text); `name`
   * is the function's, from the earlier function_call (Gemini needs it, the item lacks it).
   */
  | { kind: 'function_call_output'; callId: string; name: string | null; output: string; parts: ContentPart[] | null; cache?: CacheControl }
  | { kind: 'reasoning'; text: string; encryptedContent: string | null };

/**
 * The conversation without system messages, for providers with a separate system prompt.
 * Reasoning stays in place: a provider whose signatures it carries sends it back, others skip it.
 */
export type InputTurn =
  | { kind: 'message'; role: 'user' | 'assistant'; parts: ContentPart[] }
  | Extract<InputItem, { kind: 'function_call' | 'function_call_output' | 'reasoning' }>;

export interface FunctionTool {
  name: string;
  description: string | null;
  parameters: Record<string, unknown>;
  strict: boolean | null;
  /** A prompt-cache breakpoint after this tool (the gateway-only CACHE_CONTROL marker). */
  cache?: CacheControl;
}

export type ToolChoice =
  | { type: 'auto' }
  | { type: 'none' }
  | { type: 'required' }
  | { type: 'function'; name: string }
  | { type: 'allowed_tools'; mode: 'auto' | 'required'; names: string[] }
  /** The provider's own web search, forced (only where it can be). */
  | { type: 'web_search' };

export type OutputFormat =
  | { type: 'text' }
  | { type: 'json_object' }
  | { type: 'json_schema'; name: string; schema: Record<string, unknown>; strict: boolean | null; description: string | null };



export function unsupported(provider: string, feature: string, param: string | null): GatewayError {
  return GatewayError.invalidRequest(`${provider} does not support ${feature} through /v1/responses.`, param);
}

/**
 * The request's stop sequences (Chat `stop`, Messages `stop_sequences`), null when none; more
 * than the provider takes is a 400 naming it.
 */
export function stopSequences(body: ResponsesRequest, provider: string, max = Number.POSITIVE_INFINITY): string[] | null {
  const stops = body[STOP_SEQUENCES];
  if (stops === undefined || stops.length === 0) return null;
  if (stops.length > max) {
    throw GatewayError.invalidRequest(`${provider} takes at most ${max} stop sequences ('stop' / 'stop_sequences'); this request has ${stops.length}.`, 'stop');
  }
  return stops;
}

/**
 * Request fields that only OpenAI's own Responses service can honour. `previous_response_id`
 * needs stored responses, which the upstream does not have.
 */
export function rejectUnsupportedFeatures(body: ResponsesRequest, provider: string): void {
  if (body.background === true) throw unsupported(provider, "'background' mode", 'background');
  if (typeof body.previous_response_id === 'string') {
    throw unsupported(provider, "'previous_response_id' (stored responses); send the earlier items in 'input'", 'previous_response_id');
  }
  if (body.conversation !== undefined && body.conversation !== null) throw unsupported(provider, "'conversation'", 'conversation');
  if (body.prompt !== undefined && body.prompt !== null) throw unsupported(provider, "'prompt' templates", 'prompt');
}

/** A tool choice as a mode and, when restricted, the function names it may call. */
export function toolChoiceMode(choice: ToolChoice | null): { mode: 'auto' | 'none' | 'required'; names?: string[] } | null {
  if (choice === null) return null;
  if (choice.type === 'function') return { mode: 'required', names: [choice.name] };
  if (choice.type === 'allowed_tools') return { mode: choice.mode, names: choice.names };
  if (choice.type === 'web_search') return { mode: 'required' };
  return { mode: choice.type };
}

export function readOutputFormat(body: ResponsesRequest): OutputFormat {
  const text = body.text;
  const format = isJson(text) ? text.format : undefined;
  if (!isJson(format) || format.type === 'text') return { type: 'text' };
  if (format.type === 'json_object') return { type: 'json_object' };
  if (format.type === 'json_schema') {
    if (!isJson(format.schema)) throw GatewayError.invalidRequest("'text.format.schema' must be an object.", 'text.format.schema');
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

/** `reasoning.effort` as sent ('none', 'minimal', 'low', ...), for providers that map every level. */
export function reasoningEffort(body: ResponsesRequest): string | null {
  return isJson(body.reasoning) && typeof body.reasoning.effort === 'string' ? body.reasoning.effort : null;
}

/** `reasoning.effort` when the client asked for reasoning ('none'/'minimal' count as no). */
export function readReasoningEffort(body: ResponsesRequest): 'low' | 'medium' | 'high' | null {
  const e = reasoningEffort(body);
  if (e === 'low' || e === 'medium' || e === 'high') return e;
  if (e === 'xhigh') return 'high';
  return null;
}

/** Whether the client asked for reasoning summaries. */
export function reasoningSummary(body: ResponsesRequest): boolean {
  return isJson(body.reasoning) && typeof body.reasoning.summary === 'string' && body.reasoning.summary !== 'none';
}

export function numberField(body: ResponsesRequest, field: string): number | undefined {
  const v = body[field];
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

const DATA_URL = /^data:([^;,]+)?(?:;[^,]*)?;base64,(.*)$/s;

function readPart(part: Json, param: string, provider: string): ContentPart | null {
  switch (part.type) {
    case 'input_text':
    case 'output_text':
    case 'text':
      return typeof part.text === 'string' ? { type: 'text', text: part.text } : null;
    case 'refusal':
      return typeof part.refusal === 'string' ? { type: 'text', text: part.refusal } : null;
    case 'input_image': {
      if (typeof part.image_url === 'string' && part.image_url !== '') {
        const url = part.image_url;
        const m = DATA_URL.exec(url);
        const detail = typeof part.detail === 'string' ? part.detail : null;
        return { type: 'image', url, detail, mimeType: m ? m[1] ?? 'image/png' : mimeFromUrl(url, 'image/jpeg'), data: m ? m[2] : null };
      }
      throw unsupported(provider, "images by 'file_id' (send 'image_url' as a URL or data URL)", `${param}.file_id`);
    }
    case 'input_file': {
      const filename = typeof part.filename === 'string' ? part.filename : null;
      const fileData = typeof part.file_data === 'string' ? part.file_data : null;
      const fileUrl = typeof part.file_url === 'string' ? part.file_url : null;
      if (fileData !== null) {
        // A bare base64 string is taken too: its type then comes from the file name.
        const m = DATA_URL.exec(fileData);
        const mimeType = m?.[1] ?? mimeFromUrl(filename ?? '', 'application/pdf');
        return { type: 'file', filename, fileData, fileUrl, mimeType, data: m ? m[2] : fileData };
      }
      if (fileUrl !== null) return { type: 'file', filename, fileData, fileUrl, mimeType: mimeFromUrl(fileUrl, 'application/pdf'), data: null };
      throw unsupported(provider, "files by 'file_id' (send 'file_data' or 'file_url')", `${param}.file_id`);
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
    if (!isJson(p)) throw GatewayError.invalidRequest(`'${param}[${j}]' must be an object.`, `${param}[${j}]`);
    const part = readPart(p, `${param}[${j}]`, provider);
    if (part === null) return;
    const cache = cacheControlOf(p);
    parts.push(cache === null ? part : { ...part, cache });
  });
  return parts;
}

function stringifyOutput(output: unknown): string {
  if (typeof output === 'string') return output;
  if (output === undefined || output === null) return '';
  return JSON.stringify(output);
}

function withCache<T extends InputItem>(item: T, raw: Json): T {
  const cache = cacheControlOf(raw);
  return cache === null || item.kind === 'message' || item.kind === 'reasoning' ? item : { ...item, cache };
}

/** The breakpoint closing a run of parts (joined into one block by providers that take text only). */
export function partsCache(parts: ContentPart[]): CacheControl | null {
  for (let i = parts.length - 1; i >= 0; i--) if (parts[i].cache !== undefined) return parts[i].cache ?? null;
  return null;
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
  const names = new Map<string, string>();
  const toolNames = ToolNames.of(body);
  input.forEach((raw, i) => {
    const param = `input[${i}]`;
    if (!isJson(raw)) throw GatewayError.invalidRequest(`'${param}' must be an object.`, param);
    const type = raw.type ?? 'message';
    switch (type) {
      case 'message': {
        const role = raw.role;
        if (role !== 'system' && role !== 'developer' && role !== 'user' && role !== 'assistant') {
          throw GatewayError.invalidRequest(`'${param}.role' must be one of user, assistant, system, developer.`, `${param}.role`);
        }
        const parts = readParts(raw.content, `${param}.content`, provider);
        // A marked message (string content) marks its last part.
        const cache = cacheControlOf(raw);
        if (cache !== null && parts.length > 0) parts[parts.length - 1] = { ...parts[parts.length - 1], cache };
        items.push({ kind: 'message', role, parts });
        return;
      }
      case 'function_call':
        if (typeof raw.call_id !== 'string' || raw.call_id === '' || typeof raw.name !== 'string' || raw.name === '') {
          throw GatewayError.invalidRequest(`'${param}' needs 'call_id' and 'name'.`, param);
        }
        const name = toolNames.upstream(raw.name, typeof raw.namespace === 'string' ? raw.namespace : null);
        names.set(raw.call_id, name);
        items.push(withCache<InputItem>({ kind: 'function_call', callId: raw.call_id, name, arguments: typeof raw.arguments === 'string' ? raw.arguments : stringifyOutput(raw.arguments) || '{}' }, raw));
        return;
      case 'function_call_output': {
        if (typeof raw.call_id !== 'string') throw GatewayError.invalidRequest(`'${param}.call_id' must be a string.`, `${param}.call_id`);
        const parts = Array.isArray(raw.output) ? readParts(raw.output, `${param}.output`, provider) : null;
        const output = parts === null ? stringifyOutput(raw.output) : partsText(parts.filter((p) => p.type !== 'text' || p.text !== ''));
        items.push(withCache<InputItem>({ kind: 'function_call_output', callId: raw.call_id, name: names.get(raw.call_id) ?? null, output, parts }, raw));
        return;
      }
      case 'reasoning': {
        const summary = Array.isArray(raw.summary) ? raw.summary : [];
        const text = summary.map((s) => (isJson(s) && typeof s.text === 'string' ? s.text : '')).join('\n\n');
        items.push({ kind: 'reasoning', text, encryptedContent: typeof raw.encrypted_content === 'string' ? raw.encrypted_content : null });
        return;
      }
      case 'web_search_call':
        // The search ran at the provider; what it found reached the model as the answer that follows.
        return;
      case 'item_reference':
        // The AI SDK (store on) refers to earlier reasoning by id only; a translating provider
        // cannot take back reasoning without its content, so the reference loses nothing.
        if (typeof raw.id === 'string' && raw.id.startsWith('rs_')) return;
        throw unsupported(provider, "'item_reference' input items (stored responses); send the items themselves, e.g. with store: false", param);
      default:
        throw unsupported(provider, `the input item type '${String(type)}'`, `${param}.type`);
    }
  });
  return items;
}

/** System and developer messages (with `instructions`) become the system texts. */
export function splitSystem(items: InputItem[]): { system: string[]; systemCache: (CacheControl | null)[]; turns: InputTurn[] } {
  const system: string[] = [];
  /** The breakpoint after each system text, for providers with prompt caching. */
  const systemCache: (CacheControl | null)[] = [];
  const turns: InputTurn[] = [];
  for (const item of items) {
    if (item.kind !== 'message') turns.push(item);
    else if (item.role === 'user' || item.role === 'assistant') turns.push({ kind: 'message', role: item.role, parts: item.parts });
    else {
      const text = partsText(item.parts);
      if (text !== '') {
        system.push(text);
        systemCache.push(partsCache(item.parts));
      }
    }
  }
  return { system, systemCache, turns };
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
  const m = DATA_URL.exec(url);
  if (!m) return null;
  return { mediaType: m[1] ?? 'application/octet-stream', data: m[2] };
}

// A Map: the extension comes from the client's URL or file name.
const MIME_BY_EXT = new Map(Object.entries({
  png: 'image/png', jpg: 'image/jpeg', jpeg: 'image/jpeg', gif: 'image/gif', webp: 'image/webp', heic: 'image/heic',
  pdf: 'application/pdf', txt: 'text/plain', md: 'text/markdown', csv: 'text/csv', html: 'text/html',
}));

export function mimeFromUrl(url: string, fallback: string): string {
  const ext = /\.([a-z0-9]+)(?:[?#].*)?$/i.exec(url)?.[1]?.toLowerCase();
  return (ext && MIME_BY_EXT.get(ext)) || fallback;
}

/** JSON arguments as an object; a provider that wants an object gets {} for junk. */
export function argsObject(args: string): Json {
  try {
    const v: unknown = JSON.parse(args === '' ? '{}' : args);
    return isJson(v) ? v : {};
  } catch {
    return {};
  }
}

/** A tool output as the JSON object some providers require: parsed if it is one, else wrapped. */
export function outputObject(output: string): Json {
  try {
    const v: unknown = JSON.parse(output);
    if (isJson(v)) return v;
  } catch {
    // plain text
  }
  return { output };
}

/** For providers whose calls carry no id (Gemini before 3): the client still needs a call_id. */
export function newCallId(): string {
  return `call_${randomBytes(12).toString('hex')}`;
}
