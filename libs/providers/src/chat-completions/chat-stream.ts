import type { ResponsesStreamEvent, SseEvent } from '../types';
import { ZERO_USAGE } from '../types';
import { BuilderStreamTranslator } from '../responses/builder-stream-translator';
import { finishFromChat, splitChatContent, usageFromChat } from './chat-response';
import type { ChatChunkWire, ChatToolCallDelta } from './chat-wire';

interface PendingCall {
  callId: string;
  name: string;
  /** Arguments that arrived before the function name (then the call is not opened yet). */
  args: string;
  opened: boolean;
}

/**
 * `chat.completion.chunk` frames -> the Responses event sequence. Nothing is emitted before
 * the first content, so a stream that fails right away leaves a single `error` event and the
 * gateway can still fall back. The stream finishes at `[DONE]`, or as soon as both the
 * finish_reason and the usage were seen (servers that end without `[DONE]`).
 */
export class ChatStreamTranslator extends BuilderStreamTranslator {
  private readonly calls = new Map<number, PendingCall>();
  private finishReason: string | null = null;
  private usageSeen = false;

  push(ev: SseEvent): ResponsesStreamEvent[] {
    if (this.b.terminal !== null) return [];
    if (ev.data === '[DONE]') return this.finish();
    let chunk: ChatChunkWire;
    try {
      chunk = JSON.parse(ev.data) as ChatChunkWire;
    } catch {
      return [];
    }
    if (typeof chunk !== 'object' || chunk === null) return [];
    if (chunk.error !== undefined && chunk.error !== null) return this.fail(chunk.error);
    if (typeof chunk.model === 'string' && chunk.model !== '' && !this.b.started) this.b.model = chunk.model;

    const out: ResponsesStreamEvent[] = [];
    const choice = chunk.choices?.[0];
    const delta = choice?.delta;
    if (delta) {
      const content = splitChatContent(delta.content);
      const reasoning = delta.reasoning_content ?? delta.reasoning ?? content.thinking;
      // Chat reasoning does not go back: shown when a summary was asked for, else left out.
      if (reasoning && this.summary) out.push(...this.b.reasoningDelta(reasoning));
      const text = content.text || delta.refusal || '';
      if (text) out.push(...this.b.textDelta(text));
      if (Array.isArray(delta.tool_calls)) for (const tc of delta.tool_calls) out.push(...this.toolCallDelta(tc));
    }
    if (choice?.finish_reason) this.finishReason = choice.finish_reason;
    const usage = chunk.usage ?? chunk.x_groq?.usage;
    if (usage) {
      this.b.usage = usageFromChat(usage);
      this.usageSeen = true;
    }
    if (this.finishReason !== null && this.usageSeen) out.push(...this.finish());
    return out;
  }

  private toolCallDelta(tc: ChatToolCallDelta): ResponsesStreamEvent[] {
    const index = typeof tc.index === 'number' ? tc.index : this.calls.size;
    let call = this.calls.get(index);
    if (call === undefined) {
      call = { callId: tc.id || `call_${this.b.id.slice(5, 17)}_${index}`, name: '', args: '', opened: false };
      this.calls.set(index, call);
    }
    const out: ResponsesStreamEvent[] = [];
    if (!call.opened && tc.function?.name) call.name += tc.function.name;
    const args = tc.function?.arguments ?? '';
    if (!call.opened) {
      call.args += args;
      if (call.name === '') return out;
      call.opened = true;
      out.push(...this.b.functionCallStart(call.callId, call.name));
      out.push(...this.b.functionCallArgsDelta(call.args, call.callId));
      return out;
    }
    if (args) out.push(...this.b.functionCallArgsDelta(args, call.callId));
    return out;
  }

  private finish(): ResponsesStreamEvent[] {
    if (this.finishReason === null && !this.b.started && !this.usageSeen) {
      // `[DONE]` with nothing before it: not an answer.
      return this.b.error({ message: 'the upstream stream ended without an answer', code: 'upstream_error' });
    }
    const out: ResponsesStreamEvent[] = [];
    // Calls whose name never came cannot be reported; a call the stream opened is closed by finish().
    out.push(...this.b.finish({ ...finishFromChat(this.finishReason), usage: this.usageSeen ? this.b.usage : ZERO_USAGE }));
    return out;
  }

  private fail(raw: unknown): ResponsesStreamEvent[] {
    const e = typeof raw === 'object' && raw !== null ? (raw as Record<string, unknown>) : { message: String(raw) };
    const err = {
      message: typeof e.message === 'string' ? e.message : 'upstream stream error',
      code: typeof e.code === 'string' ? e.code : typeof e.type === 'string' ? e.type : 'upstream_error',
      type: typeof e.type === 'string' ? e.type : null,
      param: typeof e.param === 'string' ? e.param : null,
    };
    return this.b.started ? this.b.fail(err) : this.b.error(err);
  }
}
