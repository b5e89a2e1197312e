import type { Usage, UpstreamErrorInfo } from '../types';

interface OpenAIUsageWire {
  input_tokens?: number;
  input_tokens_details?: { cached_tokens?: number } | null;
  output_tokens?: number;
  output_tokens_details?: { reasoning_tokens?: number } | null;
  total_tokens?: number;
}

const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);

/** Responses API usage -> normalised usage (reasoning is counted inside output, as OpenAI does). */
export function usageFromResponses(raw: unknown): Usage {
  if (typeof raw !== 'object' || raw === null) return { inputTokens: 0, cachedTokens: 0, outputTokens: 0, reasoningTokens: 0, totalTokens: 0 };
  const u = raw as OpenAIUsageWire;
  const inputTokens = num(u.input_tokens);
  const outputTokens = num(u.output_tokens);
  return {
    inputTokens,
    cachedTokens: num(u.input_tokens_details?.cached_tokens),
    outputTokens,
    reasoningTokens: num(u.output_tokens_details?.reasoning_tokens),
    totalTokens: u.total_tokens === undefined ? inputTokens + outputTokens : num(u.total_tokens),
  };
}

/** A usage object read off its text (usageFromText): the usage, and where its text ends (exclusive). */
export interface UsageText {
  usage: Usage;
  end: number;
}

/**
 * `usageFromResponses(JSON.parse(...))` of the usage object that opens at `start`, for one written
 * exactly as OpenAI writes it (its five counts in its order, compact, no member more), with where
 * the object ends; undefined for any other text, which the caller parses. A stream's terminal
 * event carries one: its parse, and the walk for its end, cost more than the rest of reading the
 * event. Each piece is a literal: V8 compares a literal's characters in place, where a piece
 * taken from an array is compared through a call.
 */
export function usageFromText(text: string, start: number): UsageText | undefined {
  let i = start;
  if (!text.startsWith('{"input_tokens":', i)) return undefined;
  i += 16;
  let end = countEnd(text, i);
  if (end === -1) return undefined;
  const inputTokens = countValue(text, i, end);
  i = end;
  if (!text.startsWith(',"input_tokens_details":{"cached_tokens":', i)) return undefined;
  i += 41;
  end = countEnd(text, i);
  if (end === -1) return undefined;
  const cachedTokens = countValue(text, i, end);
  i = end;
  if (!text.startsWith('},"output_tokens":', i)) return undefined;
  i += 18;
  end = countEnd(text, i);
  if (end === -1) return undefined;
  const outputTokens = countValue(text, i, end);
  i = end;
  if (!text.startsWith(',"output_tokens_details":{"reasoning_tokens":', i)) return undefined;
  i += 45;
  end = countEnd(text, i);
  if (end === -1) return undefined;
  const reasoningTokens = countValue(text, i, end);
  i = end;
  if (!text.startsWith('},"total_tokens":', i)) return undefined;
  i += 17;
  end = countEnd(text, i);
  if (end === -1 || text.charCodeAt(end) !== 0x7d /* } */) return undefined;
  return { usage: { inputTokens, cachedTokens, outputTokens, reasoningTokens, totalTokens: countValue(text, i, end) }, end: end + 1 };
}

// The most digits read as a count: up to here every integer is exact in a double, as JSON.parse reads it.
const MAX_DIGITS = 15;

/**
 * End of the count at `i`: a JSON integer without sign, fraction or exponent (`0`, or digits that
 * do not start with one), at most MAX_DIGITS long; -1 when none starts there. What follows it is
 * the caller's to check (another digit there fails the next piece).
 */
function countEnd(text: string, i: number): number {
  if (text.charCodeAt(i) === 48 /* 0 */) return i + 1;
  let j = i;
  for (let c = text.charCodeAt(j); c >= 48 && c <= 57 && j - i < MAX_DIGITS; c = text.charCodeAt(++j));
  return j === i ? -1 : j;
}

/** The value of the digits `text[from, to)`. */
function countValue(text: string, from: number, to: number): number {
  let value = 0;
  for (let j = from; j < to; j++) value = value * 10 + (text.charCodeAt(j) - 48);
  return value;
}

/** OpenAI's error body `{"error": {message, type, param, code}}`; anything else is kept as text. */
export function parseOpenAIError(status: number, text: string): UpstreamErrorInfo {
  try {
    const parsed = JSON.parse(text) as { error?: unknown };
    const e = parsed.error;
    if (typeof e === 'object' && e !== null) {
      const o = e as Record<string, unknown>;
      return {
        message: typeof o.message === 'string' ? o.message : `HTTP ${status}`,
        type: typeof o.type === 'string' ? o.type : null,
        code: typeof o.code === 'string' ? o.code : o.code == null ? null : String(o.code),
        param: typeof o.param === 'string' ? o.param : null,
      };
    }
    if (typeof e === 'string') return { message: e, type: null, code: null, param: null };
  } catch {
    // not JSON: fall through to the raw text
  }
  const trimmed = text.trim().slice(0, 500);
  return { message: trimmed || `HTTP ${status}`, type: null, code: null, param: null };
}
