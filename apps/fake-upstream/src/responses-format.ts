import { type AnswerPlan, type Conversation, type FunctionToolSpec, type StreamOptions, type TokenUsage, contentText, countWords, newConversation, splitEvenly, splitText } from './answer';
import { isJson } from '@app/common';
import { newId, unixSeconds } from './ids';
import { FakeHttpError } from './openai-errors';
import { fieldPath } from './prompt-cache';

/**
 * OpenAI Responses API wire format (`POST /v1/responses`): reading the request, and the
 * Response object / SSE event sequence exactly as OpenAI sends them (checked against real
 * recordings in vercel/ai `packages/openai/src/responses/__fixtures__` and the checks of
 * openai-node's ResponseStream helper).
 */
export interface ResponsesRequest {
  conversation: Conversation;
  stream: boolean;
  body: Record<string, unknown>;
}

export function readResponsesRequest(body: Record<string, unknown>, fallbackModel?: string): ResponsesRequest {
  const model = typeof body.model === 'string' && body.model !== '' ? body.model : fallbackModel;
  if (model === undefined) {
    throw new FakeHttpError(400, "Missing required parameter: 'model'.", 'missing_required_parameter', 'model');
  }
  // OpenAI refuses parameters it does not know; prompt-cache markers are Anthropic's.
  const leaked = fieldPath({ input: body.input, tools: body.tools, instructions: body.instructions }, 'cache_control');
  if (leaked !== null) throw new FakeHttpError(400, `Unknown parameter: '${leaked}'.`, 'unknown_parameter', leaked);
  // The Responses API has no stop sequences.
  for (const p of ['stop', 'stop_sequences']) if (body[p] !== undefined) throw new FakeHttpError(400, `Unknown parameter: '${p}'.`, 'unknown_parameter', p);
  const forced = isJson(body.tool_choice) && typeof body.tool_choice.name === 'string' ? body.tool_choice.name : undefined;
  const conv = newConversation(model, functionTools(body.tools), body.tool_choice, forced);
  if (typeof body.instructions === 'string') conv.inputWords += countWords(body.instructions);
  readInput(body.input, conv);
  const format = isJson(body.text) && isJson(body.text.format) ? body.text.format : undefined;
  if (format?.type === 'json_schema' || format?.type === 'json_object') {
    conv.jsonMode = true;
    conv.jsonSchema = format.type === 'json_schema' ? format.schema : undefined;
  }
  return { conversation: conv, stream: body.stream === true, body };
}

function readInput(input: unknown, conv: Conversation): void {
  if (typeof input === 'string') {
    conv.inputWords += countWords(input);
    conv.lastUserText = input;
    conv.directiveText = input;
    return;
  }
  if (!Array.isArray(input)) return;
  for (const item of input) {
    if (!isJson(item)) continue;
    if (item.type === 'function_call_output') {
      const output = contentText(item.output);
      conv.inputWords += countWords(output);
      conv.toolOutput = output;
    } else if ((item.type === 'message' || item.type === undefined) && typeof item.role === 'string') {
      const text = contentText(item.content);
      conv.inputWords += countWords(text);
      if (item.role === 'user') {
        conv.lastUserText = text;
        conv.directiveText = conv.directiveText === '' ? text : `${conv.directiveText}\n${text}`;
      }
    }
  }
}

function functionTools(tools: unknown): FunctionToolSpec[] {
  if (!Array.isArray(tools)) return [];
  const specs: FunctionToolSpec[] = [];
  for (const tool of tools) {
    if (isJson(tool) && tool.type === 'function' && typeof tool.name === 'string') {
      specs.push({ name: tool.name, parameters: tool.parameters });
    }
  }
  return specs;
}

/** Ids and timestamps of one response, shared by its JSON and its events. */
interface ResponseContext {
  req: ResponsesRequest;
  plan: AnswerPlan;
  id: string;
  itemId: string;
  callId: string;
  createdAt: number;
}

function newContext(req: ResponsesRequest, plan: AnswerPlan): ResponseContext {
  const isCall = plan.answer.kind === 'function_call';
  return {
    req,
    plan,
    id: newId('resp_'),
    itemId: newId(isCall ? 'fc_' : 'msg_'),
    callId: isCall ? newId('call_') : '',
    createdAt: unixSeconds(),
  };
}

export function buildResponseJson(req: ResponsesRequest, plan: AnswerPlan): string {
  const ctx = newContext(req, plan);
  return JSON.stringify(finalResponse(ctx));
}

function finalResponse(ctx: ResponseContext): Record<string, unknown> {
  const status = ctx.plan.incomplete ? 'incomplete' : 'completed';
  return responseObject(ctx, status, [outputItem(ctx, status)], responsesUsage(ctx.plan.usage));
}

/** Field order and defaults follow real OpenAI responses; request parameters are echoed. */
function responseObject(
  ctx: ResponseContext,
  status: 'in_progress' | 'completed' | 'incomplete',
  output: unknown[],
  usage: unknown,
): Record<string, unknown> {
  const b = ctx.req.body;
  const text = isJson(b.text) ? b.text : {};
  const reasoning = isJson(b.reasoning) ? b.reasoning : {};
  return {
    id: ctx.id,
    object: 'response',
    created_at: ctx.createdAt,
    status,
    background: b.background === true,
    completed_at: status === 'in_progress' ? null : ctx.createdAt,
    error: null,
    incomplete_details: status === 'incomplete' ? { reason: 'max_output_tokens' } : null,
    instructions: b.instructions ?? null,
    max_output_tokens: b.max_output_tokens ?? null,
    max_tool_calls: b.max_tool_calls ?? null,
    model: ctx.req.conversation.model,
    output,
    parallel_tool_calls: b.parallel_tool_calls ?? true,
    presence_penalty: b.presence_penalty ?? 0,
    frequency_penalty: b.frequency_penalty ?? 0,
    previous_response_id: b.previous_response_id ?? null,
    prompt_cache_key: b.prompt_cache_key ?? null,
    reasoning: { effort: reasoning.effort ?? null, summary: reasoning.summary ?? null },
    safety_identifier: b.safety_identifier ?? null,
    service_tier: 'default',
    store: b.store ?? true,
    temperature: b.temperature ?? 1,
    text: { format: { type: 'text' }, verbosity: 'medium', ...text },
    tool_choice: b.tool_choice ?? 'auto',
    tools: Array.isArray(b.tools) ? b.tools.map(echoTool) : [],
    top_logprobs: b.top_logprobs ?? 0,
    top_p: b.top_p ?? 1,
    truncation: b.truncation ?? 'disabled',
    usage,
    user: b.user ?? null,
    metadata: b.metadata ?? {},
  };
}

/** OpenAI echoes a function tool with every field, `strict` defaulting to true in this API. */
function echoTool(tool: unknown): unknown {
  if (!isJson(tool) || tool.type !== 'function') return tool;
  return { type: 'function', description: null, parameters: null, strict: true, ...tool };
}

function responsesUsage(u: TokenUsage): Record<string, unknown> {
  return {
    input_tokens: u.input,
    input_tokens_details: { cached_tokens: u.cached },
    output_tokens: u.output,
    output_tokens_details: { reasoning_tokens: u.reasoning },
    total_tokens: u.input + u.output,
  };
}

type ItemStatus = 'in_progress' | 'completed' | 'incomplete';

function outputItem(ctx: ResponseContext, status: ItemStatus): Record<string, unknown> {
  const answer = ctx.plan.answer;
  if (answer.kind === 'function_call') {
    return {
      id: ctx.itemId,
      type: 'function_call',
      status,
      arguments: status === 'in_progress' ? '' : answer.arguments,
      call_id: ctx.callId,
      name: answer.name,
    };
  }
  return {
    id: ctx.itemId,
    type: 'message',
    status,
    content: status === 'in_progress' ? [] : [outputText(answer.text)],
    role: 'assistant',
  };
}

function outputText(text: string): Record<string, unknown> {
  return { type: 'output_text', annotations: [], logprobs: [], text };
}

/** Appends `event: <type>\ndata: <json>\n\n` frames with increasing sequence numbers. */
class EventFrames {
  readonly frames: string[] = [];
  private sequence = 0;

  add(type: string, fields: Record<string, unknown>): void {
    const data = JSON.stringify({ type, ...fields, sequence_number: this.sequence++ });
    this.frames.push(`event: ${type}\ndata: ${data}\n\n`);
  }

  /** Lifecycle events embed a pre-serialized response (serialized once for created + in_progress). */
  addLifecycle(type: string, responseJson: string): void {
    this.frames.push(
      `event: ${type}\ndata: {"type":"${type}","response":${responseJson},"sequence_number":${this.sequence++}}\n\n`,
    );
  }
}

/** The whole event sequence of one streamed response, as SSE frames ready to write. */
export function buildResponseFrames(req: ResponsesRequest, plan: AnswerPlan, opts: StreamOptions): string[] {
  const ctx = newContext(req, plan);
  const events = new EventFrames();
  const startJson = JSON.stringify(responseObject(ctx, 'in_progress', [], null));
  events.addLifecycle('response.created', startJson);
  events.addLifecycle('response.in_progress', startJson);
  events.add('response.output_item.added', { output_index: 0, item: outputItem(ctx, 'in_progress') });

  const answer = plan.answer;
  const itemId = ctx.itemId;
  if (answer.kind === 'function_call') {
    const pieces = splitEvenly(answer.arguments, opts.chunks ?? Math.ceil(answer.arguments.length / 8));
    for (const delta of pieces) {
      events.add('response.function_call_arguments.delta', { item_id: itemId, output_index: 0, delta });
      if (opts.streamError) return withStreamError(events);
    }
    events.add('response.function_call_arguments.done', {
      item_id: itemId,
      output_index: 0,
      name: answer.name,
      arguments: answer.arguments,
    });
  } else {
    const where = { item_id: itemId, output_index: 0, content_index: 0 };
    events.add('response.content_part.added', { ...where, part: outputText('') });
    for (const delta of splitText(answer.text, opts.chunks)) {
      events.add('response.output_text.delta', { ...where, delta, logprobs: [] });
      if (opts.streamError) return withStreamError(events);
    }
    if (opts.streamError) return withStreamError(events);
    events.add('response.output_text.done', { ...where, text: answer.text, logprobs: [] });
    events.add('response.content_part.done', { ...where, part: outputText(answer.text) });
  }

  const final = finalResponse(ctx);
  const status = final.status as ItemStatus;
  events.add('response.output_item.done', { output_index: 0, item: outputItem(ctx, status) });
  events.addLifecycle(status === 'incomplete' ? 'response.incomplete' : 'response.completed', JSON.stringify(final));
  return events.frames;
}

const STREAM_ERROR_MESSAGE = 'The server had an error while processing your request. Sorry about that!';

/**
 * OpenAI's spec documents the error event flat ({code, message, param}); recent real streams
 * nest it under `error` with a type. Both shapes are sent so either kind of parser works.
 */
function withStreamError(events: EventFrames): string[] {
  events.add('error', {
    code: 'server_error',
    message: STREAM_ERROR_MESSAGE,
    param: null,
    error: { type: 'server_error', code: 'server_error', message: STREAM_ERROR_MESSAGE, param: null },
  });
  return events.frames;
}
