/**
 * Provider state that must go back with the conversation (Anthropic's thinking and its
 * signature, redacted thinking, Bedrock's reasoning signatures, Gemini's thought signatures)
 * travels in the reasoning item's `encrypted_content`, as OpenAI's own encrypted reasoning
 * does with `store: false`. It is opaque to the client and tagged with the provider family
 * that made it: a conversation that moves to another provider (a fallback, a model switch)
 * drops it instead of sending that provider a signature it would reject.
 */

const PREFIX = 'gwr1.';

export type ReasoningFamily = 'anthropic' | 'bedrock' | 'gemini';

export function carryReasoning(family: ReasoningFamily, payload: unknown): string {
  return `${PREFIX}${family}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}`;
}

/** The payload `carryReasoning(family, ...)` made, or null for anything else (another family's, OpenAI's, junk). */
export function uncarryReasoning(value: string | null | undefined, family: ReasoningFamily): unknown {
  if (typeof value !== 'string' || !value.startsWith(PREFIX)) return null;
  const tag = `${PREFIX}${family}.`;
  if (!value.startsWith(tag)) return null;
  try {
    return JSON.parse(Buffer.from(value.slice(tag.length), 'base64url').toString('utf8')) as unknown;
  } catch {
    return null;
  }
}

/** One block of Claude's thinking (Anthropic, Bedrock): its text and signature, or redacted data. */
export type CarriedThinking = { text: string; signature: string } | { redacted: string };

export function carryThinking(family: 'anthropic' | 'bedrock', block: CarriedThinking): string {
  return carryReasoning(family, 'redacted' in block ? { r: block.redacted } : { t: block.text, s: block.signature });
}

export function uncarryThinking(value: string | null | undefined, family: 'anthropic' | 'bedrock'): CarriedThinking | null {
  const p = uncarryReasoning(value, family);
  if (typeof p !== 'object' || p === null) return null;
  const o = p as Record<string, unknown>;
  if (typeof o.r === 'string') return { redacted: o.r };
  if (typeof o.t === 'string' && typeof o.s === 'string') return { text: o.t, signature: o.s };
  return null;
}

/**
 * `input` without the reasoning items the gateway made for another provider: a Responses
 * upstream (OpenAI) cannot decrypt them and would refuse the whole request. The same array
 * when there are none (the common case costs one pass, no copy).
 */
export function withoutCarriedReasoning(input: unknown): unknown {
  if (!Array.isArray(input)) return input;
  const carried = (item: unknown): boolean =>
    typeof item === 'object' && item !== null && (item as { type?: unknown }).type === 'reasoning'
    && typeof (item as { encrypted_content?: unknown }).encrypted_content === 'string'
    && ((item as { encrypted_content: string }).encrypted_content).startsWith(PREFIX);
  return input.some(carried) ? input.filter((item) => !carried(item)) : input;
}
