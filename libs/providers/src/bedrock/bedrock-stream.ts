import { type Json, isJson } from '@app/common';
import { BuilderStreamTranslator } from '../responses/builder-stream-translator';
import type { Outcome } from '../responses/response-builder';
import type { ResponsesStreamEvent, SseEvent } from '../types';

import { carryThinking } from '../responses/reasoning-carrier';
import { JSON_TOOL_NAME } from './bedrock-request';
import { outcomeOfStop, usageFromBedrock } from './bedrock-response';
import { EXCEPTION_PREFIX } from './event-stream';


/**
 * ConverseStream events (decoded by BedrockStreamDecoder) -> the Responses sequence:
 * messageStart, contentBlockStart (toolUse), contentBlockDelta (text, toolUse input,
 * reasoningContent), contentBlockStop, messageStop (stopReason), then metadata (usage),
 * which is the terminal one. Exceptions arrive as `exception:<type>` events.
 */
export class BedrockStreamTranslator extends BuilderStreamTranslator {
  /** contentBlockIndex -> the function call it streams (or the structured-output tool). */
  private readonly calls = new Map<number, { callId: string; json: boolean }>();
  private outcome: Outcome | null = null;
  /** contentBlockIndex -> the thinking it streams, sent back whole (with its signature) at its end. */
  private readonly reasoning = new Map<number, { text: string; signature: string; redacted: string }>();

  push(ev: SseEvent): ResponsesStreamEvent[] {
    if (this.b.terminal !== null) return [];
    const type = ev.event ?? '';
    let data: Json = {};
    try {
      const parsed: unknown = JSON.parse(ev.data === '' ? '{}' : ev.data);
      if (isJson(parsed)) data = parsed;
    } catch {
      // keep {}
    }
    if (type.startsWith(EXCEPTION_PREFIX)) {
      const code = type.slice(EXCEPTION_PREFIX.length);
      const err = { code, type: code, message: typeof data.message === 'string' ? data.message : code };
      // Nothing sent yet: the bare error lets the gateway retry or fall back (throttling, 5xx).
      return this.b.started ? this.b.fail(err) : this.b.error(err);
    }
    // Nothing is sent before the first content: an exception right after messageStart is
    // then still a bare error the gateway may retry or fall back on.
    const out: ResponsesStreamEvent[] = [];
    const index = typeof data.contentBlockIndex === 'number' ? data.contentBlockIndex : 0;
    switch (type) {
      case 'contentBlockStart': {
        const toolUse = isJson(data.start) && isJson(data.start.toolUse) ? data.start.toolUse : null;
        if (toolUse !== null) {
          const name = String(toolUse.name ?? '');
          const callId = String(toolUse.toolUseId ?? '');
          const json = name === JSON_TOOL_NAME;
          this.calls.set(index, { callId, json });
          if (json) out.push(...this.b.textDelta(''));
          else out.push(...this.b.functionCallStart(callId, name));
        }
        break;
      }
      case 'contentBlockDelta': {
        const delta = isJson(data.delta) ? data.delta : {};
        if (typeof delta.text === 'string') out.push(...this.b.textDelta(delta.text));
        else if (isJson(delta.toolUse) && typeof delta.toolUse.input === 'string') {
          const call = this.calls.get(index);
          if (call?.json) out.push(...this.b.textDelta(delta.toolUse.input));
          else if (call !== undefined) out.push(...this.b.functionCallArgsDelta(delta.toolUse.input, call.callId));
        } else if (isJson(delta.reasoningContent)) {
          const rc = delta.reasoningContent;
          let r = this.reasoning.get(index);
          if (r === undefined) {
            r = { text: '', signature: '', redacted: '' };
            this.reasoning.set(index, r);
            // Each reasoning block is its own item; without a summary it opens with none.
            out.push(...this.b.reasoningStart());
          }
          if (typeof rc.text === 'string') {
            r.text += rc.text;
            if (this.summary) out.push(...this.b.reasoningDelta(rc.text));
          }
          if (typeof rc.signature === 'string') r.signature += rc.signature;
          if (typeof rc.redactedContent === 'string') r.redacted += rc.redactedContent;
        }
        break;
      }
      case 'contentBlockStop': {
        const r = this.reasoning.get(index);
        if (r !== undefined) {
          this.reasoning.delete(index);
          if (r.signature !== '') out.push(...this.b.reasoningEncryptedContent(carryThinking('bedrock', { text: r.text, signature: r.signature })));
          else if (r.redacted !== '') out.push(...this.b.reasoningEncryptedContent(carryThinking('bedrock', { redacted: r.redacted })));
        }
        const call = this.calls.get(index);
        if (call !== undefined && !call.json) out.push(...this.b.functionCallDone(call.callId));
        else out.push(...this.b.closeOpenItems());
        this.calls.delete(index);
        break;
      }
      case 'messageStop':
        this.outcome = outcomeOfStop(typeof data.stopReason === 'string' ? data.stopReason : undefined, data.additionalModelResponseFields);
        break;
      case 'metadata': {
        const usage = usageFromBedrock(isJson(data.usage) ? data.usage : undefined);
        out.push(...this.b.end(this.outcome ?? { status: 'completed' }, usage));
        break;
      }
      default:
        // messageStart and anything newer carry nothing to relay.
        break;
    }
    return out;
  }
}
