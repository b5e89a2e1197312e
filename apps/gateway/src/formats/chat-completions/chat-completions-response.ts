import { isJson, type Json } from '@app/common';

function num(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : 0;
}

/** `chatcmpl-` and the Response's own id, so a log line and the answer can be matched. */
export function completionId(responseId: unknown): string {
  const id = typeof responseId === 'string' ? responseId : '';
  return `chatcmpl-${id.startsWith('resp_') ? id.slice(5) : id}`;
}

/**
 * Responses usage -> Chat Completions usage, keeping the gateway's `cost` (and any other field
 * the gateway added) beside the renamed counts.
 */
export function chatUsage(usage: unknown): Json | null {
  if (!isJson(usage)) return null;
  const input = isJson(usage.input_tokens_details) ? usage.input_tokens_details : {};
  const output = isJson(usage.output_tokens_details) ? usage.output_tokens_details : {};
  const prompt = num(usage.input_tokens);
  const completion = num(usage.output_tokens);
  const out: Json = {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: usage.total_tokens === undefined ? prompt + completion : num(usage.total_tokens),
    prompt_tokens_details: { cached_tokens: num(input.cached_tokens), audio_tokens: 0 },
    completion_tokens_details: { reasoning_tokens: num(output.reasoning_tokens), audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
  };
  if (usage.cost !== undefined) out.cost = usage.cost;
  return out;
}

/**
 * Why the model stopped, in Chat Completions terms: a function call -> tool_calls, the output cap
 * -> length, a content filter -> content_filter, anything else -> stop.
 */
export function finishReason(response: Json, calledTools: boolean): string {
  if (response.status === 'incomplete') {
    const reason = isJson(response.incomplete_details) ? response.incomplete_details.reason : null;
    if (reason === 'content_filter') return 'content_filter';
    return 'length';
  }
  return calledTools ? 'tool_calls' : 'stop';
}

/** `extra_fields` as the Response carried it, with this format's request type. */
export function chatExtraFields(response: Json): Json | undefined {
  return isJson(response.extra_fields) ? { ...response.extra_fields, request_type: 'chat_completions' } : undefined;
}

/** A canonical Response object -> a `chat.completion` object (one choice). */
export function encodeChatCompletion(response: Json): Json {
  let content: string | null = null;
  let refusal: string | null = null;
  const toolCalls: Json[] = [];
  const output = Array.isArray(response.output) ? response.output : [];
  for (const item of output) {
    if (!isJson(item)) continue;
    if (item.type === 'message' && Array.isArray(item.content)) {
      for (const part of item.content) {
        if (!isJson(part)) continue;
        if (part.type === 'output_text' && typeof part.text === 'string') content = (content ?? '') + part.text;
        else if (part.type === 'refusal' && typeof part.refusal === 'string') refusal = (refusal ?? '') + part.refusal;
      }
    } else if (item.type === 'function_call') {
      toolCalls.push({
        id: typeof item.call_id === 'string' ? item.call_id : String(item.id ?? ''),
        type: 'function',
        function: { name: String(item.name ?? ''), arguments: typeof item.arguments === 'string' ? item.arguments : '' },
      });
    }
  }
  const message: Json = { role: 'assistant', content, refusal, annotations: [] };
  if (toolCalls.length > 0) message.tool_calls = toolCalls;
  const completion: Json = {
    id: completionId(response.id),
    object: 'chat.completion',
    created: num(response.created_at) || Math.floor(Date.now() / 1000),
    model: typeof response.model === 'string' ? response.model : '',
    choices: [{ index: 0, message, logprobs: null, finish_reason: finishReason(response, toolCalls.length > 0) }],
    usage: chatUsage(response.usage),
    service_tier: typeof response.service_tier === 'string' ? response.service_tier : null,
    system_fingerprint: null,
  };
  const extra = chatExtraFields(response);
  if (extra !== undefined) completion.extra_fields = extra;
  return completion;
}
