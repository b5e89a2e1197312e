import { isJson } from '@app/common';
import type { ResponsesRequest } from '@app/providers';

/**
 * `POST /v1/messages/count_tokens`, estimated by the gateway for every provider (no upstream
 * call, nothing billed): one token per four UTF-8 bytes of what the model reads (the rule the
 * gateway uses wherever it estimates usage), plus a fixed count per image.
 *
 * Counted: system and message text, tool calls (name and arguments), tool results, thinking
 * text, and the tool definitions as JSON. An image, or a document given by URL, counts
 * IMAGE_TOKENS (Anthropic's figure for a full-size image); an inline document counts by its
 * decoded size. Providers tokenize differently: this is an estimate, within tens of percent
 * for English text, as Claude Code and the SDKs use it (to decide when to compact).
 */

export const BYTES_PER_TOKEN = 4;
export const IMAGE_TOKENS = 1_600;

interface Tally {
  bytes: number;
  tokens: number;
}

function text(t: Tally, v: unknown): void {
  if (typeof v === 'string') t.bytes += Buffer.byteLength(v);
}

function parts(t: Tally, content: unknown): void {
  if (typeof content === 'string') {
    text(t, content);
    return;
  }
  if (!Array.isArray(content)) return;
  for (const p of content) {
    if (!isJson(p)) continue;
    if (p.type === 'input_image') t.tokens += IMAGE_TOKENS;
    else if (p.type === 'input_file') {
      const data = typeof p.file_data === 'string' ? p.file_data : null;
      if (data === null) t.tokens += IMAGE_TOKENS;
      else t.bytes += Math.floor(((data.length - data.indexOf(',') - 1) * 3) / 4);
    } else text(t, p.text);
  }
}

/** Estimated input tokens of a decoded Messages request (the canonical body). */
export function estimateInputTokens(body: ResponsesRequest): number {
  const t: Tally = { bytes: 0, tokens: 0 };
  const input = Array.isArray(body.input) ? body.input : [];
  for (const item of input) {
    if (!isJson(item)) continue;
    switch (item.type) {
      case 'message':
        parts(t, item.content);
        break;
      case 'function_call':
        text(t, item.name);
        text(t, item.arguments);
        break;
      case 'function_call_output':
        parts(t, item.output);
        break;
      case 'reasoning':
        if (Array.isArray(item.summary)) for (const s of item.summary) if (isJson(s)) text(t, s.text);
        break;
    }
  }
  if (Array.isArray(body.tools) && body.tools.length > 0) t.bytes += Buffer.byteLength(JSON.stringify(body.tools));
  return Math.max(1, Math.ceil(t.bytes / BYTES_PER_TOKEN) + t.tokens);
}
