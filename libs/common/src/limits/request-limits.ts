import { GatewayError } from '../errors/gateway-error';
import { JSON_BYTE } from '../json/json';

/**
 * The one place where the bounds of every client input live. The gateway checks them before a
 * request costs anything (no upstream call, no database work, no reservation); the README and the
 * admin's Swagger document print them from here. The configurable ones come from GATEWAY_CONFIG
 * `server` (libs/config/src/load-config.ts) with these defaults.
 */
export interface RequestLimits {
  /** The client's body (413 past it; the rest of the upload is not read). */
  maxBodyBytes: number;
  /** One stored turn (`store` on): its input items and request fields, as stored. */
  maxStoredBytes: number;
  /** `provider/model`, for `model` and each fallback. */
  maxModelNameLength: number;
  /** Entries of the request's `fallbacks`. */
  maxFallbacks: number;
  /** Nesting of objects and arrays in a JSON body (deeper bodies would overflow a recursive walk). */
  maxJsonDepth: number;
}

export const DEFAULT_REQUEST_LIMITS: Readonly<RequestLimits> = Object.freeze({
  maxBodyBytes: 20 * 1024 * 1024,
  maxStoredBytes: 8 * 1024 * 1024,
  maxModelNameLength: 256,
  maxFallbacks: 10,
  maxJsonDepth: 64,
});

/** OpenAI's rules for `metadata`: at most 16 pairs, string keys up to 64 and string values up to 512 characters. */
export const METADATA_LIMITS = Object.freeze({ maxPairs: 16, maxKeyLength: 64, maxValueLength: 512 });

/** The client's `x-request-id` (kept as `client_request_id`): printable ASCII, no spaces. */
export const CLIENT_REQUEST_ID_PATTERN = /^[\x21-\x7e]{1,128}$/;

/** `max_output_tokens`: a positive integer up to this. */
export const MAX_OUTPUT_TOKENS_LIMIT = 10_000_000;

/** OpenAI's limit of inputs in one embeddings request, the gateway's too. */
export const MAX_EMBEDDING_INPUTS = 2048;

/**
 * Provider names follow the configuration's rule; model ids are printable ASCII from the set real
 * ids use (`anthropic.claude-sonnet-4-5-20250929-v1:0`, `ft:gpt-4o-mini:org::id`, `meta-llama/Llama-3.3-70B`,
 * `llama3.1:8b`, `gemini-2.5-flash@001`). Nothing else: a control or bidi character, a space or a quote
 * cannot reach a header (`x-bf-model`), a log line or a metric label.
 */
const MODEL_NAME_RE = /^[a-z0-9][a-z0-9_-]*\/[A-Za-z0-9._:@/+=~-]+$/;
export const MODEL_NAME_CHARACTERS = 'provider: a-z 0-9 _ -; model: A-Z a-z 0-9 . _ - : @ / + = ~';

/** A short, safe echo of a rejected value for an error message. */
export function quoteForMessage(value: string, max = 64): string {
  return JSON.stringify(value.length > max ? `${value.slice(0, max)}…` : value);
}

/** `provider/model` within the limits, or a 400 naming `param`. */
export function checkModelName(value: unknown, param: string, maxLength: number): string {
  if (typeof value !== 'string' || value === '') {
    throw GatewayError.invalidRequest(`'${param}' is required and must be a string of the form "provider/model".`, param);
  }
  if (value.length > maxLength) {
    throw GatewayError.invalidRequest(`'${param}' is ${value.length} characters long; the limit is ${maxLength}.`, param);
  }
  if (!MODEL_NAME_RE.test(value)) {
    throw GatewayError.invalidRequest(
      `'${param}' must be of the form "provider/model" using only these characters (${MODEL_NAME_CHARACTERS}); got ${quoteForMessage(value)}.`,
      param,
    );
  }
  return value;
}

/** OpenAI's `metadata` rules, or a 400 naming the field. */
export function checkMetadata(value: unknown, param = 'metadata'): void {
  if (value === undefined || value === null) return;
  if (typeof value !== 'object' || Array.isArray(value)) throw GatewayError.invalidRequest(`'${param}' must be an object of string values.`, param);
  const { maxPairs, maxKeyLength, maxValueLength } = METADATA_LIMITS;
  let pairs = 0;
  for (const key in value) {
    if (!Object.hasOwn(value, key)) continue;
    if (++pairs > maxPairs) throw GatewayError.invalidRequest(`'${param}' may hold at most ${maxPairs} key-value pairs.`, param);
    if (key.length > maxKeyLength) {
      throw GatewayError.invalidRequest(`'${param}' keys may be at most ${maxKeyLength} characters (got ${quoteForMessage(key)}).`, param);
    }
    const v = (value as Record<string, unknown>)[key];
    if (typeof v !== 'string') throw GatewayError.invalidRequest(`'${param}.${key}' must be a string.`, `${param}.${key}`);
    if (v.length > maxValueLength) {
      throw GatewayError.invalidRequest(`'${param}.${key}' may be at most ${maxValueLength} characters (got ${v.length}).`, `${param}.${key}`);
    }
  }
}

const { OPEN_BRACE, OPEN_BRACKET, CLOSE_BRACE, CLOSE_BRACKET, QUOTE, BACKSLASH } = JSON_BYTE;

/**
 * Whether JSON text nests objects and arrays deeper than `max`, found by one pass over the bytes
 * (strings skipped) before anything parses it. JSON.parse itself copes with any depth, but the
 * object it builds would overflow every recursive walk after it (JSON.stringify, validators,
 * translators), as a 500 or a "network error". `text`: the same `bytes` decoded as UTF-8.
 */
export function jsonDepthExceeds(bytes: Uint8Array, text: string, max: number): boolean {
  if (fewOpeners(text, max)) return false;
  let depth = 0;
  const n = bytes.length;
  for (let i = 0; i < n; i++) {
    const c = bytes[i];
    if (c === QUOTE) {
      for (i++; i < n; i++) {
        const s = bytes[i];
        if (s === BACKSLASH) i++;
        else if (s === QUOTE) break;
      }
    } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      if (++depth > max) return true;
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      depth--;
    }
  }
  return false;
}

/**
 * Whether JSON text holds at most `max` characters that open an object or an array (inside
 * strings too): then it cannot nest deeper than `max`. Counted by searches of the decoded text,
 * where jsonDepthExceeds walks every byte: a conversation's long texts cost it more than parsing
 * them. The text's count is the bytes' (an ASCII byte is never part of a multi-byte sequence,
 * and a malformed one decodes to U+FFFD), and a string's search stays in V8 where a Buffer's
 * calls into node's C++.
 */
export function fewOpeners(text: string, max: number): boolean {
  let openers = 0;
  for (let i = text.indexOf('{'); i !== -1; i = text.indexOf('{', i + 1)) if (++openers > max) return false;
  for (let i = text.indexOf('['); i !== -1; i = text.indexOf('[', i + 1)) if (++openers > max) return false;
  return true;
}

/** The path of the first string holding U+0000 (Postgres text cannot store it), or null. Iterative: any depth. */
export function findNulString(value: unknown, root = ''): string | null {
  const stack: [unknown, string][] = [[value, root]];
  while (stack.length > 0) {
    const [v, path] = stack.pop()!;
    if (typeof v === 'string') {
      if (v.includes('\0')) return path;
    } else if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) stack.push([v[i], `${path}[${i}]`]);
    } else if (typeof v === 'object' && v !== null) {
      for (const key of Object.keys(v)) {
        if (key.includes('\0')) return path;
        stack.push([(v as Record<string, unknown>)[key], path === '' ? key : `${path}.${key}`]);
      }
    }
  }
  return null;
}

/** The limits as rows for documentation (README, Swagger): what is bounded, the bound, the error. */
export function describeRequestLimits(limits: RequestLimits = DEFAULT_REQUEST_LIMITS): { input: string; limit: string; error: string }[] {
  const m = METADATA_LIMITS;
  return [
    { input: 'request body', limit: `${limits.maxBodyBytes} bytes (\`server.max_body_bytes\`)`, error: '413 `payload_too_large`' },
    { input: 'JSON nesting (objects and arrays)', limit: `${limits.maxJsonDepth} levels (\`server.max_json_depth\`)`, error: '400 `invalid_request`' },
    { input: '`model`, each of `fallbacks`', limit: `${limits.maxModelNameLength} characters (\`server.max_model_name_length\`); ${MODEL_NAME_CHARACTERS}`, error: '400, `param` `model` / `fallbacks[i]`' },
    { input: '`fallbacks`', limit: `${limits.maxFallbacks} entries (\`server.max_fallbacks\`)`, error: '400, `param` `fallbacks`' },
    { input: '`metadata`', limit: `${m.maxPairs} pairs; keys up to ${m.maxKeyLength} characters; string values up to ${m.maxValueLength} characters`, error: '400, `param` `metadata` / `metadata.<key>`' },
    { input: '`max_output_tokens` (chat: `max_completion_tokens`, `max_tokens`)', limit: `integer from 1 to ${MAX_OUTPUT_TOKENS_LIMIT}`, error: '400, `param` `max_output_tokens`' },
    { input: 'embeddings `input`', limit: `${MAX_EMBEDDING_INPUTS} items, none empty`, error: '400, `param` `input` / `input[i]`' },
    { input: 'a stored turn (`store` on): its input items and request fields', limit: `${limits.maxStoredBytes} characters of JSON (\`server.max_stored_response_bytes\`)`, error: '400, `param` `input`' },
    { input: 'a conversation sent upstream (`previous_response_id` and `item_reference` resolved)', limit: `${limits.maxBodyBytes} characters of JSON, as a body`, error: '400, `param` `previous_response_id` / `input`' },
    { input: '`x-request-id` header (kept as `client_request_id`)', limit: '1 to 128 printable ASCII characters', error: '400, `param` `x-request-id`' },
  ];
}
