import { checkMetadata, checkModelName, GatewayError, MAX_OUTPUT_TOKENS_LIMIT, type RequestLimits, isJson, type Json } from '@app/common';
import { type ResponsesRequest, STOP_SEQUENCES } from '@app/providers';
import { checkFields, checkType, type FieldSpec, parseJsonBody, REASONING_EFFORTS, SHARED_FIELDS, takeFallbacks } from '../responses/responses-request';
import type { DecodedRequest } from '../wire-format';

/** What the encoders need to remember of a Chat Completions request. */
export interface ChatEgress {
  stream: boolean;
  /** `stream_options.include_usage`: a final chunk with `usage` and empty `choices`. */
  includeUsage: boolean;
}

/**
 * Chat Completions parameters the canonical Responses form has no place for: refused when set to
 * anything but their neutral value, rather than silently dropped (the client would otherwise
 * believe them honoured).
 */
const UNSUPPORTED: ReadonlyMap<string, (v: unknown) => boolean> = new Map<string, (v: unknown) => boolean>([
  ['logprobs', (v) => v !== false],
  ['top_logprobs', (v) => v !== 0],
  ['logit_bias', (v) => !(isJson(v) && Object.keys(v).length === 0)],
  ['frequency_penalty', (v) => v !== 0],
  ['presence_penalty', (v) => v !== 0],
  ['seed', () => true],
  ['audio', () => true],
  ['modalities', (v) => !(Array.isArray(v) && v.length === 1 && v[0] === 'text')],
  ['prediction', () => true],
  ['functions', () => true],
  ['function_call', () => true],
  ['web_search_options', () => true],
]);

/** Chat-only fields that are read into the canonical form and never passed on as they are. */
const CONSUMED = [
  'messages', 'n', 'stop', 'stream_options', 'max_tokens', 'max_completion_tokens', 'response_format', 'reasoning_effort', 'verbosity', 'store', 'tools', 'tool_choice',
];

// What the decoder reads of a Chat Completions request besides messages, tools and formats.
const CHAT_FIELDS: Readonly<Record<string, FieldSpec>> = {
  ...SHARED_FIELDS,
  stream_options: 'object',
  max_tokens: ['integer', 1, MAX_OUTPUT_TOKENS_LIMIT],
  max_completion_tokens: ['integer', 1, MAX_OUTPUT_TOKENS_LIMIT],
  verbosity: 'string',
};

function bad(message: string, param: string): GatewayError {
  return GatewayError.invalidRequest(message, param);
}

/** OpenAI's limit on `stop`. */
const MAX_STOP = 4;

/** `stop`: a string or up to 4 strings, as OpenAI takes it. */
function readStop(stop: unknown): string[] {
  if (stop === undefined || stop === null) return [];
  const list = typeof stop === 'string' ? [stop] : stop;
  if (!Array.isArray(list) || list.some((s) => typeof s !== 'string' || s === '')) throw bad("'stop' must be a non-empty string or an array of non-empty strings.", 'stop');
  if (list.length > MAX_STOP) throw bad(`'stop' may hold at most ${MAX_STOP} sequences (got ${list.length}).`, 'stop');
  return list as string[];
}

/** A message's `content` as text: a string, or an array of text parts. */
function textContent(content: unknown, param: string, allowRefusal = false): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) throw bad(`'${param}' must be a string or an array of text parts.`, param);
  let text = '';
  content.forEach((part, j) => {
    if (isJson(part) && part.type === 'text' && typeof part.text === 'string') text += part.text;
    else if (allowRefusal && isJson(part) && part.type === 'refusal' && typeof part.refusal === 'string') text += part.refusal;
    else throw bad(`'${param}[${j}]' must be a text part ({"type": "text", "text": "..."}).`, `${param}[${j}]`);
  });
  return text;
}

/** A user message's content parts as Responses input parts. */
function userContent(content: unknown, param: string): string | Json[] {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) throw bad(`'${param}' must be a string or an array of content parts.`, param);
  return content.map((part, j): Json => {
    const at = `${param}[${j}]`;
    if (!isJson(part) || typeof part.type !== 'string') throw bad(`'${at}' must be an object with a string 'type'.`, at);
    switch (part.type) {
      case 'text':
        if (typeof part.text !== 'string') throw bad(`'${at}.text' must be a string.`, `${at}.text`);
        return { type: 'input_text', text: part.text };
      case 'image_url': {
        const image = part.image_url;
        if (!isJson(image) || typeof image.url !== 'string' || image.url === '') throw bad(`'${at}.image_url.url' must be a non-empty string.`, `${at}.image_url.url`);
        const detail = typeof image.detail === 'string' ? image.detail : 'auto';
        return { type: 'input_image', image_url: image.url, detail };
      }
      case 'file': {
        const file = part.file;
        if (!isJson(file)) throw bad(`'${at}.file' must be an object.`, `${at}.file`);
        const out: Json = { type: 'input_file' };
        for (const field of ['file_data', 'file_id', 'filename']) {
          if (file[field] === undefined || file[field] === null) continue;
          if (typeof file[field] !== 'string') throw bad(`'${at}.file.${field}' must be a string.`, `${at}.file.${field}`);
          out[field] = file[field];
        }
        return out;
      }
      default:
        throw bad(`'${at}.type' ${JSON.stringify(part.type).slice(0, 64)} is not supported (text, image_url and file are).`, `${at}.type`);
    }
  });
}

function toolCalls(calls: unknown, param: string): Json[] {
  if (!Array.isArray(calls)) throw bad(`'${param}' must be an array.`, param);
  return calls.map((call, k): Json => {
    const at = `${param}[${k}]`;
    if (!isJson(call) || typeof call.id !== 'string') throw bad(`'${at}.id' must be a string.`, `${at}.id`);
    if (call.type !== undefined && call.type !== 'function') throw bad(`'${at}.type' must be "function".`, `${at}.type`);
    const fn = call.function;
    if (!isJson(fn) || typeof fn.name !== 'string') throw bad(`'${at}.function.name' must be a string.`, `${at}.function.name`);
    if (typeof fn.arguments !== 'string') throw bad(`'${at}.function.arguments' must be a string.`, `${at}.function.arguments`);
    return { type: 'function_call', call_id: call.id, name: fn.name, arguments: fn.arguments };
  });
}

/**
 * `messages` as Responses input items. The system and developer messages that open the
 * conversation become `instructions` (every translator has a system prompt for it); later ones
 * stay in place as developer messages.
 */
function readMessages(messages: unknown): { instructions: string | null; input: Json[] } {
  if (!Array.isArray(messages) || messages.length === 0) throw bad("'messages' must be a non-empty array.", 'messages');
  const leading: string[] = [];
  const input: Json[] = [];
  messages.forEach((m, i) => {
    const at = `messages[${i}]`;
    if (!isJson(m)) throw bad(`'${at}' must be an object.`, at);
    switch (m.role) {
      case 'system':
      case 'developer': {
        const text = textContent(m.content, `${at}.content`);
        if (input.length === 0) leading.push(text);
        else input.push({ type: 'message', role: 'developer', content: text });
        return;
      }
      case 'user':
        input.push({ type: 'message', role: 'user', content: userContent(m.content, `${at}.content`) });
        return;
      case 'assistant': {
        const hasContent = m.content !== undefined && m.content !== null;
        if (hasContent) {
          const text = textContent(m.content, `${at}.content`, true);
          if (text !== '') input.push({ type: 'message', role: 'assistant', content: [{ type: 'output_text', text, annotations: [] }] });
        }
        const hasCalls = m.tool_calls !== undefined && m.tool_calls !== null;
        if (hasCalls) input.push(...toolCalls(m.tool_calls, `${at}.tool_calls`));
        if (!hasContent && !hasCalls) throw bad(`'${at}' needs 'content' or 'tool_calls'.`, `${at}.content`);
        return;
      }
      case 'tool':
        if (typeof m.tool_call_id !== 'string') throw bad(`'${at}.tool_call_id' must be a string.`, `${at}.tool_call_id`);
        input.push({ type: 'function_call_output', call_id: m.tool_call_id, output: textContent(m.content, `${at}.content`) });
        return;
      case 'function':
        throw bad(`'${at}.role' "function" is deprecated and not supported; use 'tool' messages.`, `${at}.role`);
      default:
        throw bad(`'${at}.role' must be one of system, developer, user, assistant, tool.`, `${at}.role`);
    }
  });
  return { instructions: leading.length === 0 ? null : leading.join('\n\n'), input };
}

function readTools(tools: unknown): Json[] {
  if (!Array.isArray(tools)) throw bad("'tools' must be an array.", 'tools');
  return tools.map((t, i): Json => {
    const at = `tools[${i}]`;
    if (!isJson(t) || t.type !== 'function') throw bad(`'${at}.type' must be "function".`, `${at}.type`);
    const fn = t.function;
    if (!isJson(fn) || typeof fn.name !== 'string' || fn.name === '') throw bad(`'${at}.function.name' must be a non-empty string.`, `${at}.function.name`);
    checkType(fn, 'description', 'string', `${at}.function.description`);
    checkType(fn, 'parameters', 'object', `${at}.function.parameters`);
    checkType(fn, 'strict', 'boolean', `${at}.function.strict`);
    const tool: Json = { type: 'function', name: fn.name, parameters: fn.parameters ?? { type: 'object', properties: {} } };
    if (typeof fn.description === 'string') tool.description = fn.description;
    // Responses defaults `strict` to true; Chat Completions to false.
    tool.strict = fn.strict === true;
    return tool;
  });
}

function readToolChoice(choice: unknown): unknown {
  if (choice === 'auto' || choice === 'none' || choice === 'required') return choice;
  if (isJson(choice) && choice.type === 'function') {
    const fn = choice.function;
    if (!isJson(fn) || typeof fn.name !== 'string') throw bad("'tool_choice.function.name' must be a string.", 'tool_choice.function.name');
    return { type: 'function', name: fn.name };
  }
  if (isJson(choice) && choice.type === 'allowed_tools') {
    const allowed = choice.allowed_tools;
    if (!isJson(allowed) || (allowed.mode !== 'auto' && allowed.mode !== 'required') || !Array.isArray(allowed.tools)) {
      throw bad("'tool_choice.allowed_tools' must be {mode: \"auto\"|\"required\", tools: [...]}.", 'tool_choice.allowed_tools');
    }
    const tools = allowed.tools.map((t, i) => {
      const fn = isJson(t) ? t.function : undefined;
      if (!isJson(fn) || typeof fn.name !== 'string') throw bad(`'tool_choice.allowed_tools.tools[${i}].function.name' must be a string.`, `tool_choice.allowed_tools.tools[${i}]`);
      return { type: 'function', name: fn.name };
    });
    return { type: 'allowed_tools', mode: allowed.mode, tools };
  }
  throw bad("'tool_choice' must be \"auto\", \"none\", \"required\" or {type: \"function\", function: {name}}.", 'tool_choice');
}

function readResponseFormat(format: unknown): Json {
  if (!isJson(format) || typeof format.type !== 'string') throw bad("'response_format' must be an object with a string 'type'.", 'response_format');
  switch (format.type) {
    case 'text':
    case 'json_object':
      return { type: format.type };
    case 'json_schema': {
      const spec = format.json_schema;
      if (!isJson(spec) || typeof spec.name !== 'string') throw bad("'response_format.json_schema.name' must be a string.", 'response_format.json_schema.name');
      checkType(spec, 'schema', 'object', 'response_format.json_schema.schema');
      checkType(spec, 'strict', 'boolean', 'response_format.json_schema.strict');
      checkType(spec, 'description', 'string', 'response_format.json_schema.description');
      const out: Json = { type: 'json_schema', name: spec.name, schema: spec.schema ?? { type: 'object' } };
      if (typeof spec.strict === 'boolean') out.strict = spec.strict;
      if (typeof spec.description === 'string') out.description = spec.description;
      return out;
    }
    default:
      throw bad(`'response_format.type' must be text, json_object or json_schema.`, 'response_format.type');
  }
}

/**
 * A Chat Completions request, bounded like a Responses request (model names, fallbacks,
 * metadata, JSON depth), read into the canonical Responses form. Fields this format does not
 * know pass through (SDKs add parameters every month); known ones without a Responses
 * equivalent are refused naming the parameter.
 */
export function decodeChatRequest(raw: Buffer, limits: RequestLimits): DecodedRequest<ChatEgress> {
  const chat = parseJsonBody(raw, limits);
  const models = [checkModelName(chat.model, 'model', limits.maxModelNameLength)];
  for (const [param, refused] of UNSUPPORTED) {
    const v = chat[param];
    if (v !== undefined && v !== null && refused(v)) {
      throw bad(`'${param}' is not supported by the gateway's Chat Completions endpoint (it has no equivalent on every provider).`, param);
    }
    delete chat[param];
  }
  const n = chat.n;
  if (n !== undefined && n !== null && n !== 1) throw bad("'n' must be 1: the gateway returns one choice per request.", 'n');

  checkFields(chat, CHAT_FIELDS);
  checkMetadata(chat.metadata);
  const effort = chat.reasoning_effort;
  if (effort !== undefined && effort !== null && (typeof effort !== 'string' || !REASONING_EFFORTS.has(effort))) {
    throw bad(`'reasoning_effort' must be one of ${[...REASONING_EFFORTS].join(', ')}.`, 'reasoning_effort');
  }
  const streamOptions = isJson(chat.stream_options) ? chat.stream_options : null;
  if (streamOptions !== null) checkType(streamOptions, 'include_usage', 'boolean', 'stream_options.include_usage');

  const stops = readStop(chat.stop);
  const { instructions, input } = readMessages(chat.messages);
  const hasRequestFallbacks = takeFallbacks(chat, limits, models);
  const stream = chat.stream === true;
  const tools = chat.tools === undefined || chat.tools === null ? null : readTools(chat.tools);
  const toolChoice = chat.tool_choice === undefined || chat.tool_choice === null ? null : readToolChoice(chat.tool_choice);
  const format = chat.response_format === undefined || chat.response_format === null ? null : readResponseFormat(chat.response_format);
  const maxTokens = chat.max_completion_tokens ?? chat.max_tokens;
  const verbosity = chat.verbosity;

  const body: ResponsesRequest = { model: models[0] };
  // Unknown fields pass through in the order given; consumed ones are rebuilt below.
  for (const [field, value] of Object.entries(chat)) {
    if (field !== 'model' && !CONSUMED.includes(field)) body[field] = value;
  }
  if (instructions !== null) body.instructions = instructions;
  body.input = input;
  if (tools !== null) body.tools = tools;
  if (toolChoice !== null) body.tool_choice = toolChoice;
  if (typeof maxTokens === 'number') body.max_output_tokens = maxTokens;
  if (typeof effort === 'string') body.reasoning = { effort };
  if (format !== null || typeof verbosity === 'string') {
    const text: Json = {};
    if (format !== null) text.format = format;
    if (typeof verbosity === 'string') text.verbosity = verbosity;
    body.text = text;
  }
  // Gateway-only (the Responses API has no stop sequences): providers that take them get them.
  if (stops.length > 0) body[STOP_SEQUENCES] = stops;
  // Chat Completions keeps no conversation state: nothing is stored, whatever `store` says.
  body.store = false;
  body.stream = stream;
  return { body, stream, models, hasRequestFallbacks, egress: { stream, includeUsage: streamOptions?.include_usage === true } };
}
