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

// A count as usageFromText reads it: a JSON integer without sign, fraction or exponent (`0`, or
// digits that do not start with one), at most 15 digits long, up to which every integer is exact
// in a double, as JSON.parse reads it. Another digit after it fails the piece that follows.
const COUNT = '(0|[1-9][0-9]{0,14})';
// JSON's whitespace, which may lie between any two tokens (OpenAI indents its JSON answers).
const JSON_SPACE = '[ \\t\\n\\r]*';
// OpenAI's usage object, its five counts in its order; the patterns are sticky: it must start where asked.
const USAGE_TOKENS = [
  '\\{', '"input_tokens"', ':', COUNT, ',', '"input_tokens_details"', ':', '\\{', '"cached_tokens"', ':', COUNT, '\\}', ',',
  '"output_tokens"', ':', COUNT, ',', '"output_tokens_details"', ':', '\\{', '"reasoning_tokens"', ':', COUNT, '\\}', ',',
  '"total_tokens"', ':', COUNT, '\\}',
];
const OPENAI_USAGE = new RegExp(USAGE_TOKENS.join(JSON_SPACE), 'y');
// The same written compactly, as in a stream's events: no whitespace, so no control character.
const COMPACT_USAGE = new RegExp(USAGE_TOKENS.join(''), 'y');

/**
 * `usageFromResponses(JSON.parse(...))` of the usage object that opens at `start`, for one written
 * as OpenAI writes it (its five counts in its order, no member more; compact in a stream's event,
 * indented in an answer), with where the object ends; undefined for any other text, which the
 * caller parses. A stream's terminal event and a JSON answer carry one: its parse, and the walk
 * for its end, cost more than the rest of reading the event. One sticky regular expression, which
 * V8 matches in compiled code.
 */
export function usageFromText(text: string, start: number): UsageText | undefined {
  return readUsage(OPENAI_USAGE, text, start);
}

/** The usage `pattern` (a sticky one of USAGE_TOKENS) reads at `start`. */
function readUsage(pattern: RegExp, text: string, start: number): UsageText | undefined {
  pattern.lastIndex = start;
  const m = pattern.exec(text);
  if (m === null) return undefined;
  return { usage: { inputTokens: countOf(m[1]), cachedTokens: countOf(m[2]), outputTokens: countOf(m[3]), reasoningTokens: countOf(m[4]), totalTokens: countOf(m[5]) }, end: pattern.lastIndex };
}

/**
 * The value of a COUNT's digits, as `+digits` reads them: few enough that every step is exact in
 * a double. `+` of a string V8 has not met as a number is a call into its runtime.
 */
function countOf(digits: string): number {
  let n = 0;
  for (let i = 0; i < digits.length; i++) n = n * 10 + (digits.charCodeAt(i) - 0x30);
  return n;
}

/**
 * usageFromText of a usage object written with no whitespace (a stream event's), else undefined:
 * its text is then known to be one JSON value of the keys' lowercase letters and underscores,
 * digits and ASCII punctuation only (no escape, control character or newline), which a walk of it
 * would only confirm.
 */
export function compactUsageFromText(text: string, start: number): UsageText | undefined {
  return readUsage(COMPACT_USAGE, text, start);
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
