import { type AnswerPlan, type Conversation, type FunctionToolSpec, type StreamOptions, type TokenUsage, contentText, countWords, newConversation, splitEvenly, splitText } from './answer';
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
