import { carryThinking, uncarryThinking } from '@app/providers/responses/reasoning-carrier';

/**
 * A thinking block's `signature` (and a redacted block's `data`) as the Messages front door
 * hands it out: whatever the canonical reasoning item needs to go back upstream, opaque to the
 * client as Anthropic's own signatures are.
 *
 * - Reasoning the gateway carries for a provider (`gwr1.`: Anthropic's or Bedrock's signed
 *   thinking, Gemini's thought signatures) is handed out as it is: it names its provider family,
 *   so it goes back to that provider only.
 * - OpenAI's encrypted reasoning needs its item id too: `gwo1.` + base64url of `{i, e}`.
 * - Anything else that comes back (a signature the client got from Anthropic directly) is taken
 *   as Anthropic's: a client moving its conversation from Anthropic to the gateway keeps it.
 */

const CARRIED = 'gwr1.';
const OPENAI = 'gwo1.';

export interface ReasoningItemIn {
  type: 'reasoning';
  id?: string;
  summary: { type: 'summary_text'; text: string }[];
  encrypted_content: string;
}

/** The signature for a canonical reasoning item's `encrypted_content` (null when it has none). */
export function signatureOf(item: { id?: unknown; encrypted_content?: unknown }): string | null {
  const enc = item.encrypted_content;
  if (typeof enc !== 'string' || enc === '') return null;
  if (enc.startsWith(CARRIED)) return enc;
  const id = typeof item.id === 'string' ? item.id : '';
  return OPENAI + Buffer.from(JSON.stringify({ i: id, e: enc })).toString('base64url');
}

/** Whether a signature stands for a redacted thinking block (Anthropic's or Bedrock's). */
export function isRedactedSignature(signature: string): boolean {
  if (!signature.startsWith(CARRIED)) return false;
  const block = uncarryThinking(signature, 'anthropic') ?? uncarryThinking(signature, 'bedrock');
  return block !== null && 'redacted' in block;
}

function summary(text: string): ReasoningItemIn['summary'] {
  return text === '' ? [] : [{ type: 'summary_text', text }];
}

/** A thinking block the client sent back -> the canonical reasoning item. */
export function reasoningFromThinking(thinking: string, signature: string): ReasoningItemIn {
  if (signature.startsWith(CARRIED)) return { type: 'reasoning', summary: summary(thinking), encrypted_content: signature };
  if (signature.startsWith(OPENAI)) {
    try {
      const p = JSON.parse(Buffer.from(signature.slice(OPENAI.length), 'base64url').toString('utf8')) as { i?: unknown; e?: unknown };
      if (typeof p.e === 'string') {
        const item: ReasoningItemIn = { type: 'reasoning', summary: summary(thinking), encrypted_content: p.e };
        if (typeof p.i === 'string' && p.i !== '') item.id = p.i;
        return item;
      }
    } catch {
      // not ours after all: taken as Anthropic's below
    }
  }
  return { type: 'reasoning', summary: summary(thinking), encrypted_content: carryThinking('anthropic', { text: thinking, signature }) };
}

/** A redacted_thinking block's `data` -> the canonical reasoning item. */
export function reasoningFromRedacted(data: string): ReasoningItemIn {
  if (data.startsWith(CARRIED)) return { type: 'reasoning', summary: [], encrypted_content: data };
  return { type: 'reasoning', summary: [], encrypted_content: carryThinking('anthropic', { redacted: data }) };
}
