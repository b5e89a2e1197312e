// Per-request imports from their own modules: a barrel's re-export is a getter, megamorphic across its names.
import { GatewayError } from '@app/common/errors/gateway-error';
import { isJson, type Json } from '@app/common/json/json';
import { checkMetadata, checkModelName, jsonDepthExceeds, MAX_OUTPUT_TOKENS_LIMIT, type RequestLimits } from '@app/common/limits/request-limits';
import type { ResponsesRequest } from '@app/providers';

export interface ParsedResponsesRequest {
  body: ResponsesRequest;
  /** The JSON text `body` was parsed from. */
  text: string;
  stream: boolean;
  /** `provider/model` strings: the primary, then the request's own fallbacks. */
  models: string[];
  /** Whether `fallbacks` came in the request (it outranks policies). */
  hasRequestFallbacks: boolean;
}

const MESSAGE_ROLES = new Set(['user', 'assistant', 'system', 'developer']);
export const REASONING_EFFORTS: ReadonlySet<string> = new Set(['none', 'minimal', 'low', 'medium', 'high', 'xhigh']);

export type FieldType = 'string' | 'number' | 'boolean' | 'object' | 'array' | 'integer';

function isType(v: unknown, type: FieldType): boolean {
  switch (type) {
    case 'array':
      return Array.isArray(v);
    case 'object':
      return isJson(v);
    case 'integer':
      return Number.isSafeInteger(v);
    case 'number':
      return typeof v === 'number' && Number.isFinite(v);
    default:
      return typeof v === type;
  }
}

export function checkType(body: Json, field: string, type: FieldType, param = field): void {
  const v = body[field];
  if (v === undefined || v === null) return;
  if (!isType(v, type)) {
    throw GatewayError.invalidRequest(`'${param}' must be ${type === 'integer' || type === 'array' || type === 'object' ? `an ${type}` : `a ${type}`}.`, param);
  }
}

function checkRange(body: Json, field: string, min: number, max: number): void {
  const v = body[field];
  if (typeof v === 'number' && (v < min || v > max)) {
    throw GatewayError.invalidRequest(`'${field}' must be between ${min} and ${max} (got ${v}).`, field);
  }
}

/** A field's type, or its type and inclusive range. */
export type FieldSpec = FieldType | readonly [type: FieldType, min: number, max: number];

function fits(v: unknown, spec: FieldSpec): boolean {
  if (v === undefined || v === null) return true;
  if (typeof spec === 'string') return isType(v, spec);
  return isType(v, spec[0]) && !(typeof v === 'number' && (v < spec[1] || v > spec[2]));
}

const specMaps = new WeakMap<Readonly<Record<string, FieldSpec>>, ReadonlyMap<string, FieldSpec>>();

/**
 * Checks each field of `fields` that the body has, in order: its type, then its range. A body
 * has few of them: its own keys are looked up first, and the fields walked in order (for the
 * first mistake's error) only when one is wrong.
 */
export function checkFields(body: Json, fields: Readonly<Record<string, FieldSpec>>): void {
  let specs = specMaps.get(fields);
  if (specs === undefined) specMaps.set(fields, (specs = new Map(Object.entries(fields))));
  let wrong = false;
  for (const key in body) {
    const spec = specs.get(key);
    if (spec !== undefined && !fits(body[key], spec)) wrong = true;
  }
  if (!wrong) return;
  for (const field in fields) {
    const spec = fields[field];
    if (typeof spec === 'string') {
      checkType(body, field, spec);
    } else {
      checkType(body, field, spec[0]);
      checkRange(body, field, spec[1], spec[2]);
    }
  }
}

/** Fields the Responses and Chat Completions envelopes share, with the same types and ranges. */
export const SHARED_FIELDS: Readonly<Record<string, FieldSpec>> = {
  stream: 'boolean',
  temperature: ['number', 0, 2],
  top_p: ['number', 0, 1],
  parallel_tool_calls: 'boolean',
  store: 'boolean',
  user: 'string',
};

// What the gateway and its translators read of a Responses request, beyond `input`.
const RESPONSES_FIELDS: Readonly<Record<string, FieldSpec>> = {
  ...SHARED_FIELDS,
  instructions: 'string',
  tools: 'array',
  max_output_tokens: ['integer', 1, MAX_OUTPUT_TOKENS_LIMIT],
  background: 'boolean',
  previous_response_id: 'string',
  reasoning: 'object',
  text: 'object',
  truncation: 'string',
  max_tool_calls: 'integer',
};

function checkInputItem(item: unknown, i: number): void {
  const param = `input[${i}]`;
  if (!isJson(item)) throw GatewayError.invalidRequest(`'${param}' must be an object.`, param);
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
      if (!isJson(part) || typeof part.type !== 'string') {
        throw GatewayError.invalidRequest(`'${param}.content[${j}]' must be an object with a string 'type'.`, `${param}.content[${j}]`);
      }
    });
    return;
  }
  if ((type === 'function_call_output' || type === 'function_call') && typeof item.call_id !== 'string') {
    throw GatewayError.invalidRequest(`'${param}.call_id' must be a string.`, `${param}.call_id`);
  }
  if (type === 'item_reference' && typeof item.id !== 'string') {
    throw GatewayError.invalidRequest(`'${param}.id' must be a string.`, `${param}.id`);
  }
}

/** The known object-valued fields that translators read into: shapes they rely on. */
function checkNested(body: Json): void {
  const reasoning = body.reasoning;
  if (isJson(reasoning)) {
    checkType(reasoning, 'summary', 'string', 'reasoning.summary');
    const effort = reasoning.effort;
    if (effort !== undefined && effort !== null && (typeof effort !== 'string' || !REASONING_EFFORTS.has(effort))) {
      throw GatewayError.invalidRequest(`'reasoning.effort' must be one of ${[...REASONING_EFFORTS].join(', ')}.`, 'reasoning.effort');
    }
  }
  const text = body.text;
  if (isJson(text)) {
    checkType(text, 'format', 'object', 'text.format');
    if (isJson(text.format)) checkType(text.format, 'type', 'string', 'text.format.type');
  }
  const tools = body.tools;
  if (Array.isArray(tools)) {
    tools.forEach((t, i) => {
      if (!isJson(t) || typeof t.type !== 'string') throw GatewayError.invalidRequest(`'tools[${i}]' must be an object with a string 'type'.`, `tools[${i}]`);
    });
  }
  const choice = body.tool_choice;
  if (choice !== undefined && choice !== null && typeof choice !== 'string' && !isJson(choice)) {
    throw GatewayError.invalidRequest("'tool_choice' must be a string or an object.", 'tool_choice');
  }
  const include = body.include;
  if (include !== undefined && include !== null && (!Array.isArray(include) || include.some((v) => typeof v !== 'string'))) {
    throw GatewayError.invalidRequest("'include' must be an array of strings.", 'include');
  }
}

/** The body as a JSON object, its nesting bounded before it is parsed; `text`: the body decoded, when the caller keeps it too. */
export function parseJsonBody(raw: Buffer, limits: RequestLimits, text = raw.toString()): Json {
  if (jsonDepthExceeds(raw, text, limits.maxJsonDepth)) {
    throw GatewayError.invalidRequest(`Request body nests objects and arrays deeper than the limit of ${limits.maxJsonDepth} levels.`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw GatewayError.invalidRequest(`Request body is not valid JSON: ${(err as Error).message.slice(0, 200)}`);
  }
  if (!isJson(parsed)) throw GatewayError.invalidRequest('Request body must be a JSON object.');
  return parsed;
}

/**
 * Appends the request's own `fallbacks` (bounded, each a checked model name) to `models` and
 * removes the field, which is the gateway's only and never sent upstream. True when it was given.
 */
export function takeFallbacks(body: Json, limits: RequestLimits, models: string[]): boolean {
  const fallbacks = body.fallbacks;
  const given = fallbacks !== undefined && fallbacks !== null;
  if (given) {
    if (!Array.isArray(fallbacks)) throw GatewayError.invalidRequest("'fallbacks' must be an array of \"provider/model\" strings.", 'fallbacks');
    if (fallbacks.length > limits.maxFallbacks) {
      throw GatewayError.invalidRequest(`'fallbacks' may name at most ${limits.maxFallbacks} models (got ${fallbacks.length}).`, 'fallbacks');
    }
    fallbacks.forEach((f, i) => models.push(checkModelName(f, `fallbacks[${i}]`, limits.maxModelNameLength)));
  }
  // Deleted only when there: `delete` of an absent key still costs a call into the runtime.
  if (body.fallbacks !== undefined) delete body.fallbacks;
  return given;
}

/**
 * Envelope validation of a Responses request, every bound from `limits` first: what the
 * gateway and the translators rely on is checked, every other field passes through untouched
 * (SDKs add parameters every month).
 */
export function parseResponsesRequest(raw: Buffer, limits: RequestLimits): ParsedResponsesRequest {
  // No arguments: node's fast path straight to UTF-8, where an encoding name is looked up on each call.
  const text = raw.toString();
  const body = parseJsonBody(raw, limits, text) as ResponsesRequest;
  const models = [checkModelName(body.model, 'model', limits.maxModelNameLength)];

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

  checkFields(body, RESPONSES_FIELDS);
  checkMetadata(body.metadata);
  checkNested(body);

  const hasRequestFallbacks = takeFallbacks(body, limits, models);
  return { body, text, stream: body.stream === true, models, hasRequestFallbacks };
}
