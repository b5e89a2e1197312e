import { type AnswerPlan, type Conversation, type FunctionToolSpec, type StreamOptions, type TokenUsage, contentText, countWords, readStopSequences, newConversation, splitEvenly, splitText } from './answer';
import { isJson } from '@app/common';
import { newId, unixSeconds } from './ids';
import { FakeHttpError } from './openai-errors';

/**
 * OpenAI Chat Completions wire format (`POST /v1/chat/completions`, and Azure's
 * deployments path): reading the request, the `chat.completion` object and the
 * `chat.completion.chunk` stream ending in `data: [DONE]`.
 */
export interface ChatRequest {
  conversation: Conversation;
  stream: boolean;
  includeUsage: boolean;
  /** The provider puts usage on the finish_reason chunk unasked (Mistral, Together, ...). */
  usageOnFinish?: boolean;
}

export function readChatRequest(body: Record<string, unknown>, fallbackModel?: string): ChatRequest {
  const model = typeof body.model === 'string' && body.model !== '' ? body.model : fallbackModel;
  if (model === undefined) {
    throw new FakeHttpError(400, 'you must provide a model parameter', null, 'model');
  }
  if (!Array.isArray(body.messages)) {
    throw new FakeHttpError(400, "Missing required parameter: 'messages'.", 'missing_required_parameter', 'messages');
  }
  const toolChoice = body.tool_choice;
  const forced = isJson(toolChoice) && isJson(toolChoice.function) && typeof toolChoice.function.name === 'string' ? toolChoice.function.name : undefined;
  const conv = newConversation(model, functionTools(body.tools), toolChoice, forced);
  for (const message of body.messages) {
    if (!isJson(message)) continue;
    const text = contentText(message.content);
    conv.inputWords += countWords(text);
    if (message.role === 'tool') conv.toolOutput = text;
    else if (message.role === 'user') {
      conv.lastUserText = text;
      conv.directiveText = conv.directiveText === '' ? text : `${conv.directiveText}\n${text}`;
    }
  }
  const format = isJson(body.response_format) ? body.response_format : undefined;
  if (format?.type === 'json_schema' || format?.type === 'json_object') {
    conv.jsonMode = true;
    conv.jsonSchema = isJson(format.json_schema) ? format.json_schema.schema : undefined;
  }
  conv.stopSequences = readStopSequences(body.stop, 4, (m) => new FakeHttpError(400, `Invalid 'stop': ${m}.`, 'invalid_value', 'stop'));
  const streamOptions = isJson(body.stream_options) ? body.stream_options : {};
  return { conversation: conv, stream: body.stream === true, includeUsage: streamOptions.include_usage === true };
}

function functionTools(tools: unknown): FunctionToolSpec[] {
  if (!Array.isArray(tools)) return [];
  const specs: FunctionToolSpec[] = [];
  for (const tool of tools) {
    if (isJson(tool) && tool.type === 'function' && isJson(tool.function) && typeof tool.function.name === 'string') {
      specs.push({ name: tool.function.name, parameters: tool.function.parameters });
    }
  }
  return specs;
}

function chatUsage(u: TokenUsage): Record<string, unknown> {
  return {
    prompt_tokens: u.input,
    completion_tokens: u.output,
    total_tokens: u.input + u.output,
    prompt_tokens_details: { cached_tokens: u.cached, audio_tokens: 0 },
    completion_tokens_details: {
      reasoning_tokens: u.reasoning,
      audio_tokens: 0,
      accepted_prediction_tokens: 0,
      rejected_prediction_tokens: 0,
    },
  };
}

function finishReason(plan: AnswerPlan): string {
  if (plan.incomplete) return 'length';
  return plan.answer.kind === 'function_call' ? 'tool_calls' : 'stop';
}

export function buildChatCompletionJson(req: ChatRequest, plan: AnswerPlan): string {
  const answer = plan.answer;
  const message =
    answer.kind === 'function_call'
      ? {
          role: 'assistant',
          content: null,
          tool_calls: [
            { id: newId('call_'), type: 'function', function: { name: answer.name, arguments: answer.arguments } },
          ],
          refusal: null,
          annotations: [],
        }
      : { role: 'assistant', content: answer.text, refusal: null, annotations: [] };
  return JSON.stringify({
    id: newId('chatcmpl-'),
    object: 'chat.completion',
    created: unixSeconds(),
    model: req.conversation.model,
    choices: [{ index: 0, message, logprobs: null, finish_reason: finishReason(plan) }],
    usage: chatUsage(plan.usage),
    service_tier: 'default',
    system_fingerprint: 'fp_fake',
  });
}

const STREAM_ERROR_BODY = JSON.stringify({
  error: {
    message: 'The server had an error while processing your request. Sorry about that!',
    type: 'server_error',
    param: null,
    code: 'server_error',
  },
});

/** Every chunk frame of one streamed completion, including the usage chunk and `[DONE]`. */
export function buildChatFrames(req: ChatRequest, plan: AnswerPlan, opts: StreamOptions): string[] {
  // Chunks share everything but `choices`; serialize the envelope once. OpenAI sends
  // `"usage": null` on every chunk when include_usage is on, then one usage chunk.
  const envelope = JSON.stringify({
    id: newId('chatcmpl-'),
    object: 'chat.completion.chunk',
    created: unixSeconds(),
    model: req.conversation.model,
    service_tier: 'default',
    system_fingerprint: 'fp_fake',
  });
  const head = `data: ${envelope.slice(0, -1)},"choices":`;
  const tail = req.includeUsage ? ',"usage":null}\n\n' : '}\n\n';
  const frames: string[] = [];
  const chunk = (delta: Record<string, unknown>, finish: string | null = null): void => {
    const choices = JSON.stringify([{ index: 0, delta, logprobs: null, finish_reason: finish }]);
    if (finish !== null && req.usageOnFinish) frames.push(`${head}${choices},"usage":${JSON.stringify(chatUsage(plan.usage))}}\n\n`);
    else frames.push(head + choices + tail);
  };

  const answer = plan.answer;
  if (answer.kind === 'function_call') {
    const call = { index: 0, id: newId('call_'), type: 'function', function: { name: answer.name, arguments: '' } };
    chunk({ role: 'assistant', content: null, tool_calls: [call], refusal: null });
    const pieces = splitEvenly(answer.arguments, opts.chunks ?? Math.ceil(answer.arguments.length / 8));
    for (const piece of pieces) {
      chunk({ tool_calls: [{ index: 0, function: { arguments: piece } }] });
      if (opts.streamError) return withStreamError(frames);
    }
  } else {
    chunk({ role: 'assistant', content: '', refusal: null });
    for (const piece of splitText(answer.text, opts.chunks)) {
      chunk({ content: piece });
      if (opts.streamError) return withStreamError(frames);
    }
    if (opts.streamError) return withStreamError(frames);
  }
  chunk({}, finishReason(plan));
  if (req.includeUsage) {
    frames.push(`${head}[],"usage":${JSON.stringify(chatUsage(plan.usage))}}\n\n`);
  }
  frames.push('data: [DONE]\n\n');
  return frames;
}

function withStreamError(frames: string[]): string[] {
  frames.push(`data: ${STREAM_ERROR_BODY}\n\n`);
  return frames;
}

/** The request fields OpenAI's Chat Completions API takes; it refuses any other. */
const OPENAI_CHAT_FIELDS = new Set([
  'model', 'messages', 'audio', 'frequency_penalty', 'function_call', 'functions', 'logit_bias', 'logprobs', 'max_completion_tokens', 'max_tokens',
  'metadata', 'modalities', 'n', 'parallel_tool_calls', 'prediction', 'presence_penalty', 'prompt_cache_key', 'reasoning_effort', 'response_format',
  'safety_identifier', 'seed', 'service_tier', 'stop', 'store', 'stream', 'stream_options', 'temperature', 'tool_choice', 'tools', 'top_logprobs',
  'top_p', 'user', 'verbosity', 'web_search_options',
]);
const ROLES = new Set(['system', 'developer', 'user', 'assistant', 'tool', 'function']);
const USER_PART_TYPES = new Set(['text', 'image_url', 'input_audio', 'file']);
const FUNCTION_NAME = /^[a-zA-Z0-9_-]{1,64}$/;

function invalidValue(value: unknown, supported: string, param: string): FakeHttpError {
  return new FakeHttpError(400, `Invalid value: '${String(value)}'. Supported values are: ${supported}.`, 'invalid_value', param);
}

/** A content that must be text: a string or text parts. */
function checkTextContent(content: unknown, param: string, allowRefusal = false): void {
  if (typeof content === 'string') return;
  if (!Array.isArray(content)) throw new FakeHttpError(400, `Invalid type for '${param}': expected one of a string or an array of objects.`, 'invalid_type', param);
  content.forEach((part, j) => {
    const type = isJson(part) ? part.type : undefined;
    if (type !== 'text' && !(allowRefusal && type === 'refusal')) throw invalidValue(type, allowRefusal ? "'text' and 'refusal'" : "'text'", `${param}[${j}].type`);
  });
}

/**
 * OpenAI's own checks of a Chat Completions body, with its error messages: unknown arguments,
 * message roles and content types, tool calls answered by tool messages (and tool messages only
 * after a call), function names. Run for the OpenAI dialect (Azure too).
 */
export function checkOpenAIChatRequest(body: Record<string, unknown>): void {
  for (const key of Object.keys(body)) {
    if (!OPENAI_CHAT_FIELDS.has(key)) throw new FakeHttpError(400, `Unrecognized request argument supplied: ${key}`);
  }
  const messages = body.messages;
  if (!Array.isArray(messages)) return;
  if (messages.length === 0) {
    throw new FakeHttpError(400, "Invalid 'messages': empty array. Expected an array with minimum length 1, but got an empty array instead.", 'empty_array', 'messages');
  }
  let pending: Set<string> | null = null;
  let pendingAt = -1;
  messages.forEach((m, i) => {
    const at = `messages.[${i}]`;
    if (!isJson(m)) throw new FakeHttpError(400, `Invalid type for '${at}': expected an object, but got ${typeof m} instead.`, 'invalid_type', at);
    if (!ROLES.has(m.role as string)) throw invalidValue(m.role, "'system', 'assistant', 'user', 'function', 'tool', and 'developer'", `${at}.role`);
    if (pending !== null && pending.size > 0 && m.role !== 'tool') {
      throw new FakeHttpError(
        400,
        `An assistant message with 'tool_calls' must be followed by tool messages responding to each 'tool_call_id'. The following tool_call_ids did not have response messages: ${[...pending].join(', ')}`,
        null,
        `messages.[${pendingAt}].role`,
      );
    }
    switch (m.role) {
      case 'system':
      case 'developer':
        checkTextContent(m.content, `${at}.content`);
        break;
      case 'user':
        if (typeof m.content === 'string') break;
        if (!Array.isArray(m.content)) throw new FakeHttpError(400, `Invalid type for '${at}.content': expected one of a string or an array of objects.`, 'invalid_type', `${at}.content`);
        m.content.forEach((part, j) => {
          const type = isJson(part) ? part.type : undefined;
          if (!USER_PART_TYPES.has(type as string)) throw invalidValue(type, "'text', 'image_url', 'input_audio', 'refusal', 'audio', and 'file'", `${at}.content[${j}].type`);
        });
        break;
      case 'assistant': {
        const calls = m.tool_calls;
        if (calls !== undefined && calls !== null) {
          if (!Array.isArray(calls) || calls.length === 0) throw new FakeHttpError(400, `Invalid 'messages[${i}].tool_calls': empty array.`, 'empty_array', `${at}.tool_calls`);
          pending = new Set();
          pendingAt = i;
          calls.forEach((c, k) => {
            const fn = isJson(c) ? c.function : undefined;
            if (!isJson(c) || typeof c.id !== 'string' || c.type !== 'function' || !isJson(fn) || typeof fn.name !== 'string' || typeof fn.arguments !== 'string') {
              throw new FakeHttpError(400, `Missing required parameter: 'messages[${i}].tool_calls[${k}]' must have an id, type 'function' and a function with name and arguments.`, 'missing_required_parameter', `${at}.tool_calls.[${k}]`);
            }
            pending?.add(c.id);
          });
        } else if (m.content === undefined || m.content === null) {
          throw new FakeHttpError(400, `Invalid value for 'content': expected a string, got null.`, null, `${at}.content`);
        }
        if (m.content !== undefined && m.content !== null) checkTextContent(m.content, `${at}.content`, true);
        return;
      }
      case 'tool': {
        if (typeof m.tool_call_id !== 'string') {
          throw new FakeHttpError(400, "Missing parameter 'tool_call_id': messages with role 'tool' must have a 'tool_call_id'.", null, `${at}.tool_call_id`);
        }
        if (pending === null || !pending.delete(m.tool_call_id)) {
          throw new FakeHttpError(400, "Invalid parameter: messages with role 'tool' must be a response to a preceeding message with 'tool_calls'.", null, `${at}.role`);
        }
        checkTextContent(m.content, `${at}.content`);
        return;
      }
    }
    pending = null;
  });
  if (pending !== null && (pending as Set<string>).size > 0) {
    throw new FakeHttpError(
      400,
      `An assistant message with 'tool_calls' must be followed by tool messages responding to each 'tool_call_id'. The following tool_call_ids did not have response messages: ${[...(pending as Set<string>)].join(', ')}`,
      null,
      `messages.[${pendingAt}].role`,
    );
  }
  const tools = body.tools;
  if (Array.isArray(tools)) {
    tools.forEach((t, i) => {
      const fn = isJson(t) ? t.function : undefined;
      if (!isJson(t) || t.type !== 'function' || !isJson(fn)) throw invalidValue(isJson(t) ? t.type : t, "'function' and 'custom'", `tools[${i}].type`);
      if (typeof fn.name !== 'string' || !FUNCTION_NAME.test(fn.name)) {
        throw new FakeHttpError(400, `Invalid 'tools[${i}].function.name': string does not match pattern. Expected a string that matches the pattern '^[a-zA-Z0-9_-]+$'.`, 'invalid_value', `tools[${i}].function.name`);
      }
    });
  }
}
