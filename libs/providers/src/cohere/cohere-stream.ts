import { type Json, isJson } from '@app/common';
import { BuilderStreamTranslator } from '../responses/builder-stream-translator';
import type { ResponsesStreamEvent, SseEvent } from '../types';

import { outcomeOfFinish, usageFromCohere } from './cohere-response';


/**
 * Cohere v2 chat SSE (`event: <type>` + JSON with the same `type`): message-start,
 * content-start/delta/end (text or thinking), tool-plan-delta, tool-call-start/delta/end,
 * citation-*, then message-end with finish_reason and usage, the terminal one.
 */
export class CohereStreamTranslator extends BuilderStreamTranslator {
  /** tool call index -> call id. */
  private readonly calls = new Map<number, string>();

  push(ev: SseEvent): ResponsesStreamEvent[] {
    if (this.b.terminal !== null || ev.data === '[DONE]') return [];
    let data: Json;
    try {
      const parsed: unknown = JSON.parse(ev.data);
      if (!isJson(parsed)) return [];
      data = parsed;
    } catch {
      return [];
    }
    const type = ev.event ?? (typeof data.type === 'string' ? data.type : '');
    const delta = isJson(data.delta) ? data.delta : {};
    const message = isJson(delta.message) ? delta.message : {};
    const index = typeof data.index === 'number' ? data.index : 0;
    if (type === 'error' || (type === '' && typeof data.message === 'string')) {
      const err = { message: typeof data.message === 'string' ? data.message : 'Cohere stream error', code: 'server_error' };
      return this.b.started ? this.b.fail(err) : this.b.error(err);
    }
    // Nothing is sent before the first content (message-start carries none), so an early
    // failure stays retryable.
    const out: ResponsesStreamEvent[] = [];
    switch (type) {
      case 'content-delta': {
        const content = isJson(message.content) ? message.content : {};
        // Cohere's reasoning does not go back: shown as a summary when one was asked for, else left out.
        if (typeof content.thinking === 'string') {
          if (this.summary) out.push(...this.b.reasoningDelta(content.thinking));
        }
        else if (typeof content.text === 'string') out.push(...this.b.textDelta(content.text));
        break;
      }
      case 'content-end':
        out.push(...this.b.closeOpenItems());
        break;
      case 'tool-plan-delta':
        if (this.summary && typeof message.tool_plan === 'string') out.push(...this.b.reasoningDelta(message.tool_plan));
        break;
      case 'tool-call-start': {
        const call = isJson(message.tool_calls) ? message.tool_calls : {};
        const fn = isJson(call.function) ? call.function : {};
        const callId = String(call.id ?? `call_${index}`);
        this.calls.set(index, callId);
        out.push(...this.b.functionCallStart(callId, String(fn.name ?? '')));
        if (typeof fn.arguments === 'string' && fn.arguments !== '') out.push(...this.b.functionCallArgsDelta(fn.arguments, callId));
        break;
      }
      case 'tool-call-delta': {
        const call = isJson(message.tool_calls) ? message.tool_calls : {};
        const fn = isJson(call.function) ? call.function : {};
        const callId = this.calls.get(index);
        if (callId !== undefined && typeof fn.arguments === 'string') out.push(...this.b.functionCallArgsDelta(fn.arguments, callId));
        break;
      }
      case 'tool-call-end': {
        const callId = this.calls.get(index);
        if (callId !== undefined) out.push(...this.b.functionCallDone(callId));
        break;
      }
      case 'message-end': {
        const usage = usageFromCohere(isJson(delta.usage) ? delta.usage : undefined);
        const outcome = outcomeOfFinish(typeof delta.finish_reason === 'string' ? delta.finish_reason : undefined);
        // A failed stream may say why in `error`.
        const error = typeof delta.error === 'string' && delta.error !== '' ? delta.error : null;
        out.push(...this.b.end(outcome.status === 'failed' && error !== null ? { ...outcome, message: error } : outcome, usage));
        break;
      }
      default:
        // message-start, content-start, citation-*: nothing to relay
        break;
    }
    return out;
  }
}
