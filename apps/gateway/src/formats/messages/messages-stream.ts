import { isJson, type Json } from '@app/common';
import type { StreamEncoder } from '../wire-format';
import { anthropicErrorType } from './messages-error';
import type { MessagesEgress } from './messages-request';
import { type MessageBlock, messageId, messagesUsage, stopReason, stopSequence, thinkingBlock, toolInput, webSearchBlocks, webSearchCitation } from './messages-response';

/**
 * Canonical Responses stream events -> Anthropic's Messages stream, event for event as Anthropic
 * sends it: `message_start`, then per content block `content_block_start`, its deltas
 * (`text_delta`, `input_json_delta`, `thinking_delta`, `signature_delta`) and
 * `content_block_stop`, a `ping` after the first block opened, then `message_delta` (stop
 * reason and the whole usage) and `message_stop`. A failure is Anthropic's `error` event.
 *
 * Anthropic's blocks never interleave and their `index` counts up from 0 (its SDK appends each
 * delta to the block at that index): a block is closed before the next opens, and text for an
 * item whose block was already closed opens a new block.
 */

type BlockKind = 'text' | 'tool_use' | 'thinking' | 'server_tool';

interface OpenBlock {
  /** The canonical item (and, for text, content part) the block streams. */
  key: string;
  kind: BlockKind;
  index: number;
  /** Characters of input_json / thinking streamed into it. */
  streamed: number;
  /** A text block's text so far: what its citations cite. */
  text: string;
}

function frame(type: string, data: Json): string {
  return `event: ${type}\ndata: ${JSON.stringify(data)}\n\n`;
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

export class MessagesStreamEncoder implements StreamEncoder {
  private started = false;
  private finished = false;
  private pinged = false;
  private next = 0;
  private open: OpenBlock | null = null;
  private calledTools = false;
  /** Reasoning items' summary part last streamed, to separate parts as one thinking text. */
  private readonly summaryIndex = new Map<string, number>();
  /** Function call items whose block streamed arguments already. */
  private readonly toolBlocks = new Map<string, OpenBlock>();

  constructor(private readonly egress: MessagesEgress) {}

  event(type: string, data: Json): string {
    if (this.finished) return '';
    switch (type) {
      case 'response.created':
        return this.start(data.response);
      case 'response.output_item.added':
        return this.itemAdded(data);
      case 'response.content_part.added':
        return this.partAdded(data);
      case 'response.output_text.delta':
      case 'response.refusal.delta':
        return this.textDelta(data);
      case 'response.output_text.annotation.added':
        return this.citation(data);
      case 'response.content_part.done':
        return this.closeIf(`${str(data.item_id)}:${String(data.content_index ?? 0)}`);
      case 'response.function_call_arguments.delta':
        return this.argsDelta(data);
      case 'response.reasoning_summary_text.delta':
      case 'response.reasoning_text.delta':
        return this.thinkingDelta(data);
      case 'response.output_item.done':
        return this.itemDone(data);
      case 'response.completed':
      case 'response.incomplete':
        return this.finish(data);
      case 'error':
        return this.fail(str(data.code), str(data.message));
      case 'response.failed': {
        const response = isJson(data.response) ? data.response : {};
        const error = isJson(response.error) ? response.error : {};
        return this.fail(str(error.code), str(error.message) || 'The upstream response failed.');
      }
      default:
        // in_progress, annotations, web search progress, done events carrying what the deltas did
        return '';
    }
  }

  end(): string {
    return '';
  }

  private start(response: unknown): string {
    if (this.started) return '';
    this.started = true;
    const r = isJson(response) ? response : {};
    const { cost: _cost, ...usage } = messagesUsage(r.usage);
    return frame('message_start', {
      type: 'message_start',
      message: {
        id: messageId(r.id),
        type: 'message',
        role: 'assistant',
        model: typeof r.model === 'string' && r.model !== '' ? r.model : this.egress.model,
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage,
      },
    });
  }

  /** Opens a block (closing the one open); the first block is followed by a ping, as Anthropic does. */
  private openBlock(key: string, kind: BlockKind, block: MessageBlock): { out: string; block: OpenBlock } {
    let out = this.close();
    const open: OpenBlock = { key, kind, index: this.next++, streamed: 0, text: '' };
    this.open = open;
    out += frame('content_block_start', { type: 'content_block_start', index: open.index, content_block: block });
    if (!this.pinged) {
      this.pinged = true;
      out += frame('ping', { type: 'ping' });
    }
    return { out, block: open };
  }

  private close(): string {
    const open = this.open;
    if (open === null) return '';
    this.open = null;
    return frame('content_block_stop', { type: 'content_block_stop', index: open.index });
  }

  private closeIf(key: string): string {
    return this.open?.key === key ? this.close() : '';
  }

  private delta(index: number, delta: Json): string {
    return frame('content_block_delta', { type: 'content_block_delta', index, delta });
  }

  private itemAdded(data: Json): string {
    const item = isJson(data.item) ? data.item : {};
    if (item.type !== 'function_call') return '';
    // Messages and reasoning open their blocks with their first content.
    this.calledTools = true;
    const key = str(item.id) || str(item.call_id);
    const { out, block } = this.openBlock(key, 'tool_use', { type: 'tool_use', id: str(item.call_id) || key, name: str(item.name), input: {} });
    this.toolBlocks.set(key, block);
    return out;
  }

  private partAdded(data: Json): string {
    const part = isJson(data.part) ? data.part : {};
    if (part.type !== 'output_text' && part.type !== 'refusal') return '';
    return this.openBlock(`${str(data.item_id)}:${String(data.content_index ?? 0)}`, 'text', { type: 'text', text: '' }).out;
  }

  private textDelta(data: Json): string {
    const text = str(data.delta);
    if (text === '') return '';
    const key = `${str(data.item_id)}:${String(data.content_index ?? 0)}`;
    let out = '';
    let block = this.open;
    if (block === null || block.key !== key) {
      const opened = this.openBlock(key, 'text', { type: 'text', text: '' });
      out = opened.out;
      block = opened.block;
    }
    block.text += text;
    return out + this.delta(block.index, { type: 'text_delta', text });
  }

  /** A url_citation on the open text block, as Anthropic's citations_delta. */
  private citation(data: Json): string {
    const block = this.open;
    if (block === null || block.key !== `${str(data.item_id)}:${String(data.content_index ?? 0)}`) return '';
    const citation = webSearchCitation(data.annotation, block.text);
    return citation === null ? '' : this.delta(block.index, { type: 'citations_delta', citation });
  }

  private argsDelta(data: Json): string {
    const json = str(data.delta);
    const block = this.toolBlocks.get(str(data.item_id));
    if (json === '' || block === undefined || this.open !== block) return '';
    block.streamed += json.length;
    return this.delta(block.index, { type: 'input_json_delta', partial_json: json });
  }

  private thinkingDelta(data: Json): string {
    const text = str(data.delta);
    if (text === '') return '';
    const key = str(data.item_id);
    let out = '';
    let block = this.open;
    if (block === null || block.key !== key) {
      const opened = this.openBlock(key, 'thinking', { type: 'thinking', thinking: '', signature: '' });
      out = opened.out;
      block = opened.block;
    }
    // Summary parts are paragraphs of one thinking text.
    const part = typeof data.summary_index === 'number' ? data.summary_index : 0;
    const last = this.summaryIndex.get(key);
    this.summaryIndex.set(key, part);
    const separator = last !== undefined && last !== part && block.streamed > 0 ? '\n\n' : '';
    block.streamed += text.length;
    return out + this.delta(block.index, { type: 'thinking_delta', thinking: separator + text });
  }

  private itemDone(data: Json): string {
    const item = isJson(data.item) ? data.item : {};
    const key = str(item.id);
    if (item.type === 'function_call') {
      const block = this.toolBlocks.get(key) ?? this.toolBlocks.get(str(item.call_id));
      let out = '';
      if (block === undefined || this.open !== block) {
        // Never opened, or interrupted by another block: the call whole, in one block.
        this.calledTools = true;
        const opened = this.openBlock(`${key}:done`, 'tool_use', { type: 'tool_use', id: str(item.call_id) || key, name: str(item.name), input: {} });
        out = opened.out + this.delta(opened.block.index, { type: 'input_json_delta', partial_json: JSON.stringify(toolInput(item.arguments)) });
      } else if (block.streamed === 0 && str(item.arguments) !== '') {
        out = this.delta(block.index, { type: 'input_json_delta', partial_json: str(item.arguments) });
      }
      return out + this.close();
    }
    if (item.type === 'reasoning') return this.reasoningDone(key, item);
    if (item.type === 'web_search_call') return this.webSearch(key, item);
    if (item.type === 'message') return this.open?.key.startsWith(`${key}:`) ? this.close() : '';
    return '';
  }

  /** A search the provider ran: its server_tool_use (the query as input JSON) and its results, each a block. */
  private webSearch(key: string, item: Json): string {
    const [use, result] = webSearchBlocks(item);
    if (use.type !== 'server_tool_use') return '';
    const opened = this.openBlock(`${key}:use`, 'server_tool', { ...use, input: {} });
    let out = opened.out;
    if (use.input.query !== undefined) out += this.delta(opened.block.index, { type: 'input_json_delta', partial_json: JSON.stringify(use.input) });
    out += this.openBlock(`${key}:result`, 'server_tool', result).out;
    return out + this.close();
  }

  /** A reasoning item ends with its signature (which only now is known), or as a redacted block. */
  private reasoningDone(key: string, item: Json): string {
    const block = thinkingBlock(item);
    const open = this.open?.key === key ? this.open : null;
    if (block === null) return open === null ? '' : this.close();
    if (block.type === 'redacted_thinking') {
      const { out } = this.openBlock(key, 'thinking', block);
      return out + this.close();
    }
    if (block.type !== 'thinking') return '';
    let out = '';
    let index: number;
    if (open === null) {
      const opened = this.openBlock(key, 'thinking', { type: 'thinking', thinking: '', signature: '' });
      out = opened.out;
      index = opened.block.index;
      if (block.thinking !== '') out += this.delta(index, { type: 'thinking_delta', thinking: block.thinking });
    } else index = open.index;
    if (block.signature !== '') out += this.delta(index, { type: 'signature_delta', signature: block.signature });
    return out + this.close();
  }

  private finish(data: Json): string {
    const response = isJson(data.response) ? data.response : {};
    this.finished = true;
    let out = this.started ? '' : this.start(response);
    out += this.close();
    if (!this.pinged) {
      this.pinged = true;
      out += frame('ping', { type: 'ping' });
    }
    const delta: Json = {
      type: 'message_delta',
      delta: { stop_reason: stopReason(response, this.calledTools), stop_sequence: stopSequence(response) },
      usage: messagesUsage(response.usage),
    };
    const extra = response.extra_fields ?? data.extra_fields;
    if (extra !== undefined) delta.extra_fields = extra;
    return out + frame('message_delta', delta) + frame('message_stop', { type: 'message_stop' });
  }

  private fail(code: string, message: string): string {
    this.finished = true;
    return frame('error', { type: 'error', error: { type: anthropicErrorType(streamErrorStatus(code)), message: message || 'The upstream stream failed.' } });
  }
}

/** The HTTP status a mid-stream failure stands for, by the code the pipeline gave it. */
function streamErrorStatus(code: string): number {
  if (code === 'upstream_timeout' || code === 'timeout_error') return 504;
  if (code === 'overloaded_error') return 529;
  if (code === 'rate_limit_error' || code === 'rate_limit_exceeded') return 429;
  return 500;
}
