import type { ResponsesStreamEvent, SseEvent } from '../types';
import { BuilderStreamTranslator } from '../responses/builder-stream-translator';
import { carryThinking } from '../responses/reasoning-carrier';
import { type UrlCitation, urlCitations } from '../responses/response-builder';
import { JSON_RESPONSE_TOOL } from './anthropic-request';
import { finishFromAnthropic, urlCitationsOf, usageFromAnthropic, webSearchAction, webSearchQuery } from './anthropic-response';
import type { AnthropicCitationWire, AnthropicUsageWire } from './anthropic-wire';

type Block =
  /** `start`: where the block's text begins in the message; its citations cite all of it. */
  | { kind: 'text'; start: number; citations: UrlCitation[] }
  | { kind: 'thinking'; text: string; signature: string }
  | { kind: 'tool'; callId: string }
  | { kind: 'server_tool'; id: string; input: string }
  | { kind: 'json' | 'other' };

interface StreamEventWire {
  type?: string;
  index?: number;
  message?: { model?: string; usage?: AnthropicUsageWire };
  content_block?: { type?: string; id?: string; name?: string; text?: string; thinking?: string; data?: string; tool_use_id?: string; content?: unknown; citations?: AnthropicCitationWire[] };
  delta?: {
    type?: string; text?: string; partial_json?: string; thinking?: string; signature?: string; stop_reason?: string | null; stop_sequence?: string | null; citation?: AnthropicCitationWire;
  };
  usage?: AnthropicUsageWire;
  error?: { type?: string; message?: string };
}

/**
 * Anthropic's Messages SSE (`message_start`, `content_block_start|delta|stop`, `message_delta`,
 * `message_stop`, `ping`, `error`) -> the Responses event sequence. Nothing is emitted before
 * the first content block, so an `error` (say `overloaded_error`) right after `message_start`
 * is a single event and the gateway can still fall back.
 *
 * Consecutive text blocks (Anthropic splits text around citations) join one message item;
 * a thinking block becomes one reasoning item, its signature kept as `encrypted_content`;
 * the structured-output tool streams as text.
 */
export class AnthropicStreamTranslator extends BuilderStreamTranslator {
  private readonly blocks = new Map<number, Block>();
  /** Web search queries by server_tool_use id, for the result block that follows. */
  private readonly queries = new Map<string, string | null>();
  private rawUsage: AnthropicUsageWire = {};
  private stopReason: string | null = null;
  private stopSequence: string | null = null;

  push(ev: SseEvent): ResponsesStreamEvent[] {
    if (this.b.terminal !== null) return [];
    let e: StreamEventWire;
    try {
      e = JSON.parse(ev.data) as StreamEventWire;
    } catch {
      return [];
    }
    if (typeof e !== 'object' || e === null) return [];
    switch (ev.event ?? e.type) {
      case 'message_start':
        if (e.message?.model && !this.b.started) this.b.model = e.message.model;
        this.mergeUsage(e.message?.usage);
        return [];
      case 'content_block_start':
        return this.blockStart(e);
      case 'content_block_delta':
        return this.blockDelta(e);
      case 'content_block_stop':
        return this.blockStop(e.index ?? -1);
      case 'message_delta':
        if (e.delta?.stop_reason) this.stopReason = e.delta.stop_reason;
        if (typeof e.delta?.stop_sequence === 'string') this.stopSequence = e.delta.stop_sequence;
        this.mergeUsage(e.usage);
        return [];
      case 'message_stop':
        return this.b.finish({ ...finishFromAnthropic(this.stopReason, this.stopSequence), usage: usageFromAnthropic(this.rawUsage) });
      case 'error': {
        const err = {
          message: e.error?.message ?? 'upstream stream error',
          code: e.error?.type ?? 'upstream_error',
          type: e.error?.type ?? null,
        };
        this.b.usage = usageFromAnthropic(this.rawUsage);
        return this.b.started ? this.b.fail(err) : this.b.error(err);
      }
      default:
        // ping, and event types added later
        return [];
    }
  }

  /** message_delta usage is cumulative and, on newer models, repeats the input counts. */
  private mergeUsage(u: AnthropicUsageWire | undefined): void {
    if (!u) return;
    for (const [k, v] of Object.entries(u)) {
      if (v !== null && v !== undefined) (this.rawUsage as Record<string, unknown>)[k] = v;
    }
    this.b.usage = usageFromAnthropic(this.rawUsage);
  }

  private blockStart(e: StreamEventWire): ResponsesStreamEvent[] {
    const cb = e.content_block ?? {};
    const index = e.index ?? this.blocks.size;
    switch (cb.type) {
      case 'text':
        this.blocks.set(index, { kind: 'text', start: this.b.openTextLength, citations: urlCitationsOf(cb.citations) });
        return cb.text ? this.b.textDelta(cb.text) : [];
      case 'thinking': {
        const block: Block = { kind: 'thinking', text: '', signature: '' };
        this.blocks.set(index, block);
        // A new thinking block is a new reasoning item.
        const out = this.b.reasoningStart();
        if (cb.thinking) out.push(...this.thinkingDelta(block, cb.thinking));
        return out;
      }
      case 'redacted_thinking':
        this.blocks.set(index, { kind: 'other' });
        return [...this.b.closeOpenItems(), ...this.b.reasoningEncryptedContent(carryThinking('anthropic', { redacted: cb.data ?? '' })), ...this.b.closeOpenItems()];
      case 'server_tool_use':
        this.blocks.set(index, { kind: 'server_tool', id: cb.id ?? '', input: '' });
        return [];
      case 'web_search_tool_result': {
        this.blocks.set(index, { kind: 'other' });
        const { action, failed } = webSearchAction(this.queries.get(cb.tool_use_id ?? '') ?? null, cb.content);
        return this.b.webSearchCall(action, failed);
      }
      case 'tool_use':
        if (cb.name === JSON_RESPONSE_TOOL) {
          this.blocks.set(index, { kind: 'json' });
          return this.b.textDelta('');
        }
        this.blocks.set(index, { kind: 'tool', callId: cb.id ?? `toolu_${index}` });
        return this.b.functionCallStart(cb.id ?? `toolu_${index}`, cb.name ?? '');
      default:
        // future block types: not representable, skipped
        this.blocks.set(index, { kind: 'other' });
        return [];
    }
  }

  private thinkingDelta(block: Extract<Block, { kind: 'thinking' }>, text: string): ResponsesStreamEvent[] {
    block.text += text;
    return this.summary ? this.b.reasoningDelta(text) : [];
  }

  private blockDelta(e: StreamEventWire): ResponsesStreamEvent[] {
    const block = this.blocks.get(e.index ?? -1);
    const d = e.delta ?? {};
    if (block === undefined) return [];
    switch (d.type) {
      case 'text_delta':
        return block.kind === 'text' && d.text ? this.b.textDelta(d.text) : [];
      case 'thinking_delta':
        return block.kind === 'thinking' && d.thinking ? this.thinkingDelta(block, d.thinking) : [];
      case 'signature_delta':
        if (block.kind === 'thinking' && d.signature) block.signature += d.signature;
        return [];
      case 'input_json_delta':
        if (!d.partial_json) return [];
        if (block.kind === 'json') return this.b.textDelta(d.partial_json);
        if (block.kind === 'tool') return this.b.functionCallArgsDelta(d.partial_json, block.callId);
        if (block.kind === 'server_tool') block.input += d.partial_json;
        return [];
      case 'citations_delta':
        if (block.kind === 'text') block.citations.push(...urlCitationsOf(d.citation ? [d.citation] : []));
        return [];
      default:
        // future delta types
        return [];
    }
  }

  private blockStop(index: number): ResponsesStreamEvent[] {
    const block = this.blocks.get(index);
    if (block === undefined) return [];
    if (block.kind === 'tool') return this.b.functionCallDone(block.callId);
    if (block.kind === 'thinking') {
      // The signature arrives last: the thinking goes back whole, with it.
      const carried = block.signature === '' ? [] : this.b.reasoningEncryptedContent(carryThinking('anthropic', { text: block.text, signature: block.signature }));
      return [...carried, ...this.b.closeOpenItems()];
    }
    if (block.kind === 'server_tool') {
      this.queries.set(block.id, webSearchQuery(block.input));
      return [];
    }
    // Text stays open: a following text block continues the same message.
    if (block.kind === 'text' && block.citations.length > 0) {
      return urlCitations(block.citations, block.start, this.b.openTextLength).flatMap((a) => this.b.textAnnotation(a));
    }
    return [];
  }
}
