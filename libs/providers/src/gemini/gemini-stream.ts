import { BuilderStreamTranslator } from '../responses/builder-stream-translator';
import type { ResponsesStreamEvent, SseEvent, Usage } from '../types';
import { type GeminiResponse, outcomeOf, parseGeminiError, promptBlock, usageFromGemini } from './gemini-response';
import { isObj, newCallId } from '../responses/request-input';

/**
 * `streamGenerateContent?alt=sse`: every `data:` line is a whole GenerateContentResponse
 * holding the next parts; the one with a finishReason (or a prompt block) ends the answer and
 * carries the final usageMetadata. Gemini sends no end marker after it, so a stream that ends
 * before a finishReason is truncated.
 */
export class GeminiStreamTranslator extends BuilderStreamTranslator {
  private lastUsage: Usage | null = null;

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
    if (!isObj(chunk as unknown)) return [];
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
        out.push(...this.b.functionCallStart(callId, p.functionCall.name));
        out.push(...this.b.functionCallArgsDelta(JSON.stringify(p.functionCall.args ?? {}), callId));
        out.push(...this.b.functionCallDone(callId));
      } else if (typeof p.text === 'string' && p.text !== '') {
        out.push(...(p.thought === true ? this.b.reasoningDelta(p.text) : this.b.textDelta(p.text)));
      }
    }
    const outcome = promptBlock(chunk) ?? (candidate?.finishReason !== undefined ? outcomeOf(candidate.finishReason, candidate.finishMessage) : null);
    if (outcome === null) return out;
    const usage = this.lastUsage ?? usageFromGemini(undefined);
    out.push(...this.b.end(outcome, usage));
    return out;
  }
}
