import { GatewayError } from '@app/common';
import type { ResponsesRequest } from '@app/providers';

export interface ParsedResponsesRequest {
  body: ResponsesRequest;
  stream: boolean;
  /** `provider/model` strings: the primary, then the request's own fallbacks. */
  models: string[];
  /** Whether `fallbacks` came in the request (it outranks policies). */
  hasRequestFallbacks: boolean;
}

const MESSAGE_ROLES = new Set(['user', 'assistant', 'system', 'developer']);
const MODEL_RE = /^[a-z0-9][a-z0-9_-]*\/\S+$/;

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function checkModel(value: unknown, param: string): string {
  if (typeof value !== 'string' || value === '') throw GatewayError.invalidRequest(`'${param}' is required and must be a string of the form "provider/model".`, param);
  if (!MODEL_RE.test(value)) throw GatewayError.invalidRequest(`'${param}' must be of the form "provider/model" (got ${JSON.stringify(value.slice(0, 100))}).`, param);
  return value;
}

function checkType(body: Json, field: string, type: 'string' | 'number' | 'boolean' | 'object' | 'array' | 'integer'): void {
  const v = body[field];
  if (v === undefined || v === null) return;
  const ok =
    type === 'array' ? Array.isArray(v) : type === 'object' ? isObject(v) : type === 'integer' ? Number.isInteger(v) : typeof v === type;
  if (!ok) throw GatewayError.invalidRequest(`'${field}' must be ${type === 'integer' || type === 'array' || type === 'object' ? `an ${type}` : `a ${type}`}.`, field);
}

function checkInputItem(item: unknown, i: number): void {
  const param = `input[${i}]`;
  if (!isObject(item)) throw GatewayError.invalidRequest(`'${param}' must be an object.`, param);
  const type = item.type;
  if (type !== undefined && typeof type !== 'string') throw GatewayError.invalidRequest(`'${param}.type' must be a string.`, `${param}.type`);
  if (type === undefined || type === 'message') {
    if (typeof item.role !== 'string' || !MESSAGE_ROLES.has(item.role)) {
      throw GatewayError.invalidRequest(`'${param}.role' must be one of user, assistant, system, developer.`, `${param}.role`);
    }
    const content = item.content;
    if (typeof content === 'string') return;
    if (!Array.isArray(content)) throw GatewayError.invalidRequest(`'${param}.content' must be a string or an array of content parts.`, `${param}.content`);
    content.forEach((part, j) => {
      if (!isObject(part) || typeof part.type !== 'string') {
        throw GatewayError.invalidRequest(`'${param}.content[${j}]' must be an object with a string 'type'.`, `${param}.content[${j}]`);
      }
    });
    return;
  }
  if (type === 'function_call_output' && typeof item.call_id !== 'string') {
    throw GatewayError.invalidRequest(`'${param}.call_id' must be a string.`, `${param}.call_id`);
  }
  if (type === 'item_reference' && typeof item.id !== 'string') {
    throw GatewayError.invalidRequest(`'${param}.id' must be a string.`, `${param}.id`);
  }
}

/**
 * Cheap envelope validation of a Responses request: what the gateway itself relies on is
 * checked, every other field passes through untouched (SDKs add parameters every month).
 */
export function parseResponsesRequest(raw: Buffer): ParsedResponsesRequest {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw.toString('utf8'));
  } catch (err) {
    throw GatewayError.invalidRequest(`Request body is not valid JSON: ${(err as Error).message}`);
  }
  if (!isObject(parsed)) throw GatewayError.invalidRequest('Request body must be a JSON object.');
  const body = parsed as ResponsesRequest;
  const models = [checkModel(body.model, 'model')];

  const input = body.input;
  if (input === undefined || input === null) {
    if (body.previous_response_id === undefined && body.prompt === undefined && body.conversation === undefined) {
      throw GatewayError.invalidRequest("'input' is required.", 'input');
    }
  } else if (Array.isArray(input)) {
    input.forEach(checkInputItem);
  } else if (typeof input !== 'string') {
    throw GatewayError.invalidRequest("'input' must be a string or an array of input items.", 'input');
  }

  checkType(body, 'stream', 'boolean');
  checkType(body, 'instructions', 'string');
  checkType(body, 'tools', 'array');
  checkType(body, 'metadata', 'object');
  checkType(body, 'max_output_tokens', 'integer');
  checkType(body, 'temperature', 'number');
  checkType(body, 'top_p', 'number');
  checkType(body, 'store', 'boolean');
  checkType(body, 'background', 'boolean');

  const fallbacks = body.fallbacks;
  const hasRequestFallbacks = fallbacks !== undefined && fallbacks !== null;
  if (hasRequestFallbacks) {
    if (!Array.isArray(fallbacks)) throw GatewayError.invalidRequest("'fallbacks' must be an array of \"provider/model\" strings.", 'fallbacks');
    fallbacks.forEach((f, i) => models.push(checkModel(f, `fallbacks[${i}]`)));
  }
  // Gateway-only: never sent upstream.
  delete body.fallbacks;
  return { body, stream: body.stream === true, models, hasRequestFallbacks };
}
