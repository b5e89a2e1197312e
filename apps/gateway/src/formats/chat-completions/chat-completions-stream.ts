import { isJson, type Json } from '@app/common';
import type { StreamEncoder } from '../wire-format';
import type { ChatEgress } from './chat-completions-request';
import { chatExtraFields, chatUsage, completionId, finishReason } from './chat-completions-response';

function frame(chunk: Json): string {
  return `data: ${JSON.stringify(chunk)}\n\n`;
}

/**
 * Canonical Responses stream events -> `chat.completion.chunk` frames, OpenAI's order: a first
 * chunk with the role, content (or refusal) deltas, for each function call a chunk with its
 * index, id and name then its argument deltas, a chunk with `finish_reason`, a usage chunk with
 * empty `choices` only when `include_usage` asked for one, then `data: [DONE]`. Events with no
 * Chat Completions counterpart (reasoning, item bookkeeping) write nothing.
 */
export class ChatCompletionStreamEncoder implements StreamEncoder {
  private id = completionId(undefined);
  private created = Math.floor(Date.now() / 1000);
  private model = '';
  private started = false;
  private failed = false;
  /** Function-call items by `output_index` -> their index among the choice's `tool_calls`. */
  private readonly toolIndex = new Map<number, number>();

  constructor(private readonly egress: ChatEgress) {}

  event(type: string, data: Json): string {
    switch (type) {
      case 'response.created':
      case 'response.in_progress': {
        this.adopt(data.response);
        return this.start();
      }
      case 'response.output_text.delta':
        return typeof data.delta === 'string' && data.delta !== '' ? this.start() + this.delta({ content: data.delta }) : '';
      case 'response.refusal.delta':
        return typeof data.delta === 'string' && data.delta !== '' ? this.start() + this.delta({ refusal: data.delta }) : '';
      case 'response.output_item.added': {
        const item = data.item;
        if (!isJson(item) || item.type !== 'function_call') return '';
        const index = this.toolIndex.size;
        this.toolIndex.set(Number(data.output_index), index);
        const call = {
          index,
          id: typeof item.call_id === 'string' ? item.call_id : String(item.id ?? ''),
          type: 'function',
          function: { name: String(item.name ?? ''), arguments: typeof item.arguments === 'string' ? item.arguments : '' },
        };
        return this.start() + this.delta({ tool_calls: [call] });
      }
      case 'response.function_call_arguments.delta': {
        const index = this.toolIndex.get(Number(data.output_index));
        if (index === undefined || typeof data.delta !== 'string' || data.delta === '') return '';
        return this.delta({ tool_calls: [{ index, function: { arguments: data.delta } }] });
      }
      case 'response.completed':
      case 'response.incomplete':
        return this.finish(data);
      case 'response.failed': {
        const response = isJson(data.response) ? data.response : {};
        const error = isJson(response.error) ? response.error : {};
        return this.error(error.message, error.code, data);
      }
      case 'error':
        return this.error(data.message, data.code, data);
      default:
        return '';
    }
  }

  end(): string {
    // A failed stream ends on its error: [DONE] would tell the client it finished.
    return this.failed ? '' : 'data: [DONE]\n\n';
  }

  private adopt(response: unknown): void {
    if (!isJson(response)) return;
    this.id = completionId(response.id);
    if (typeof response.created_at === 'number') this.created = response.created_at;
    if (typeof response.model === 'string') this.model = response.model;
  }

  private chunk(choices: Json[], extra?: Json): Json {
    const chunk: Json = { id: this.id, object: 'chat.completion.chunk', created: this.created, model: this.model, system_fingerprint: null, choices };
    if (this.egress.includeUsage) chunk.usage = null;
    if (extra !== undefined) Object.assign(chunk, extra);
    return chunk;
  }

  private delta(delta: Json, finish: string | null = null, extra?: Json): string {
    return frame(this.chunk([{ index: 0, delta, logprobs: null, finish_reason: finish }], extra));
  }

  /** The role chunk, once, before anything else of the answer. */
  private start(): string {
    if (this.started) return '';
    this.started = true;
    return this.delta({ role: 'assistant', content: '', refusal: null });
  }

  private finish(data: Json): string {
    const response = isJson(data.response) ? data.response : {};
    this.adopt(response);
    const extra = chatExtraFields(response);
    const fields = extra === undefined ? undefined : { extra_fields: extra };
    let out = this.start() + this.delta({}, finishReason(response, this.toolIndex.size > 0), this.egress.includeUsage ? undefined : fields);
    if (this.egress.includeUsage) out += frame({ ...this.chunk([]), usage: chatUsage(response.usage), ...fields });
    return out;
  }

  /** OpenAI reports a failure mid-stream as a data frame holding `error` (the SDK throws on it). */
  private error(message: unknown, code: unknown, data: Json): string {
    if (this.failed) return '';
    this.failed = true;
    const error = {
      message: typeof message === 'string' ? message : 'The upstream stream failed.',
      type: 'upstream_error',
      param: null,
      code: typeof code === 'string' ? code : 'upstream_error',
    };
    const extra = isJson(data.extra_fields) ? { ...data.extra_fields, request_type: 'chat_completions' } : undefined;
    return frame(extra === undefined ? { error } : { error, extra_fields: extra });
  }
}
