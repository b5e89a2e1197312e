import { isJson } from '@app/common';
import { BuilderStreamTranslator } from '../responses/builder-stream-translator';
import type { ResponsesStreamEvent, SseEvent, Usage } from '../types';
import { type GeminiResponse, groundingOutput, outcomeOf, parseGeminiError, promptBlock, usageFromGemini } from './gemini-response';
import { newCallId } from '../responses/request-input';
import { carryThoughtSignature } from './gemini-request';

/**
 * `streamGenerateContent?alt=sse`: every `data:` line is a whole GenerateContentResponse
 * holding the next parts; the one with a finishReason (or a prompt block) ends the answer and
 * carries the final usageMetadata. Gemini sends no end marker after it, so a stream that ends
 * before a finishReason is truncated.
 */
export class GeminiStreamTranslator extends BuilderStreamTranslator {
  private lastUsage: Usage | null = null;
  /** The answer's text so far: grounding cites it by byte offsets. */
  private text = '';
  /** Whether the open reasoning item is the thoughts' and holds no signature yet. */
  private thoughtsOpen = false;
  private grounded = false;

  /** Gemini repeats the usage so far on every chunk: a cut stream keeps the last. */
  override get usage(): Usage {
    return this.b.terminal === null && this.lastUsage !== null ? this.lastUsage : this.b.usage;
  }

  push(ev: SseEvent): ResponsesStreamEvent[] {
    if (this.b.terminal !== null) return [];
    let chunk: GeminiResponse;
    try {
      chunk = JSON.parse(ev.data) as GeminiResponse;
    } catch {
      return [];
    }
    if (Array.isArray(chunk)) chunk = chunk[0] as GeminiResponse;
    if (!isJson(chunk as unknown)) return [];
    if (chunk.error !== undefined) {
      const info = parseGeminiError(500, ev.data);
      const err = { message: info.message, code: info.code, type: info.type };
      // Before anything was sent the bare error lets the gateway retry or fall back.
      return this.b.started ? this.b.fail(err, this.usage) : this.b.error(err);
    }
    if (!this.b.started && typeof chunk.modelVersion === 'string') this.b.model = chunk.modelVersion;
    // Events start with the first content, so an error chunk before it stays retryable.
    const out: ResponsesStreamEvent[] = [];
    if (chunk.usageMetadata !== undefined) this.lastUsage = usageFromGemini(chunk.usageMetadata);
    const candidate = chunk.candidates?.[0];
    for (const p of candidate?.content?.parts ?? []) {
      if (p.functionCall?.name !== undefined) {
        // Gemini sends a call whole, never in pieces.
        const callId = p.functionCall.id ?? newCallId();
        if (typeof p.thoughtSignature === 'string') {
          // The signature goes back with the call: in the reasoning before it (the thoughts', if open).
          if (!this.thoughtsOpen) out.push(...this.b.closeOpenItems());
          out.push(...this.b.reasoningEncryptedContent(carryThoughtSignature(p.thoughtSignature, callId)));
        }
        this.thoughtsOpen = false;
        out.push(...this.b.functionCallStart(callId, p.functionCall.name));
        out.push(...this.b.functionCallArgsDelta(JSON.stringify(p.functionCall.args ?? {}), callId));
        out.push(...this.b.functionCallDone(callId));
      } else if (typeof p.text === 'string' && p.text !== '') {
        if (p.thought !== true) this.text += p.text;
        this.thoughtsOpen = p.thought === true;
        out.push(...(p.thought === true ? this.b.reasoningDelta(p.text) : this.b.textDelta(p.text)));
      }
    }
    const grounding = candidate?.groundingMetadata;
    if (grounding !== undefined && !this.grounded && (grounding.groundingChunks?.length ?? 0) + (grounding.webSearchQueries?.length ?? 0) > 0) {
      // Sent with the last chunk, while the message is still open: its citations, then the search.
      this.grounded = true;
      const { action, annotations } = groundingOutput(grounding, this.text);
      for (const a of annotations) out.push(...this.b.textAnnotation(a));
      out.push(...this.b.webSearchCall(action));
    }
    const outcome = promptBlock(chunk) ?? (candidate?.finishReason !== undefined ? outcomeOf(candidate.finishReason, candidate.finishMessage) : null);
    if (outcome === null) return out;
    const usage = this.lastUsage ?? usageFromGemini(undefined);
    out.push(...this.b.end(outcome, usage));
    return out;
  }
}
