import { plainJsonString } from '@app/providers/responses/json-text';
import type { Json } from '../state/stored-response';

/**
 * The Responses request fields kept with a stored turn. Anything else passes through to the
 * provider but is not stored: unknown fields would otherwise be kept for a provider that drops them.
 */
const STORED_REQUEST_FIELDS = new Set([
  'model', 'instructions', 'tools', 'tool_choice', 'text', 'reasoning', 'temperature', 'top_p', 'max_output_tokens', 'max_tool_calls',
  'metadata', 'parallel_tool_calls', 'truncation', 'user', 'store', 'background', 'include', 'prompt_cache_key', 'safety_identifier',
  'service_tier', 'top_logprobs', 'stream', 'previous_response_id', 'prompt', 'conversation',
]);

/** `body`'s STORED_REQUEST_FIELDS, in its order. */
export function knownRequestFields(body: Json): Json {
  const out: Json = {};
  for (const key of Object.keys(body)) if (STORED_REQUEST_FIELDS.has(key)) out[key] = body[key];
  return out;
}

/**
 * JSON.stringify of knownRequestFields' object, written out when every value is a plain string
 * (plainJsonString), a finite number, a boolean or null (a model, a temperature, `stream`):
 * JSON.stringify is a call into C++ that costs several times more for an object this small.
 * An object with any other value (tools, `text`, `reasoning`...) is serialised whole. Keys are
 * written raw, without escaping: that is safe only because each is checked to be one of
 * STORED_REQUEST_FIELDS (plain ASCII names); keep that check if the object's source changes.
 */
export function requestFieldsJson(request: Json): string {
  let json = '';
  for (const key of Object.keys(request)) {
    const v = request[key];
    let value: string | undefined;
    if (typeof v === 'string') value = plainJsonString(v);
    else if (typeof v === 'number') value = Number.isFinite(v) ? String(v) : undefined;
    else if (typeof v === 'boolean') value = v ? 'true' : 'false';
    else if (v === null) value = 'null';
    if (value === undefined || !STORED_REQUEST_FIELDS.has(key)) return JSON.stringify(request);
    json += `${json === '' ? '{' : ','}"${key}":${value}`;
  }
  return json === '' ? '{}' : `${json}}`;
}
