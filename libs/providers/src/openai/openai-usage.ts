import { JSON_BYTE } from '@app/common';
import { findMembers } from '../responses/json-text';
import type { Usage, UpstreamErrorInfo } from '../types';

interface OpenAIUsageWire {
  input_tokens?: number;
  input_tokens_details?: { cached_tokens?: number } | null;
  output_tokens?: number;
  output_tokens_details?: { reasoning_tokens?: number } | null;
  total_tokens?: number;
}

const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);

const USAGE_KEYS = ['input_tokens', 'output_tokens', 'total_tokens', 'input_tokens_details', 'output_tokens_details'];
const CACHED_KEYS = ['cached_tokens'];
const REASONING_KEYS = ['reasoning_tokens'];

/**
 * usageFromResponses of the usage object that opens at `start` of JSON text that scanObject
 * found valid, read off the text: a parse would build its objects and internalise its keys for
 * five numbers. Undefined when findMembers cannot read it (an escaped or repeated key): the
 * caller then parses it.
 */
export function usageFromText(json: string, start: number): Usage | undefined {
  const at: number[] = [];
  if (findMembers(json, start, USAGE_KEYS, at) === -1) return undefined;
  const cachedTokens = detailAt(json, at[6], CACHED_KEYS);
  const reasoningTokens = detailAt(json, at[8], REASONING_KEYS);
  if (cachedTokens === undefined || reasoningTokens === undefined) return undefined;
  const inputTokens = numberAt(json, at[0], at[1]);
  const outputTokens = numberAt(json, at[2], at[3]);
  return { inputTokens, cachedTokens, outputTokens, reasoningTokens, totalTokens: at[4] === -1 ? inputTokens + outputTokens : numberAt(json, at[4], at[5]) };
}

// Digits of an integer that a double holds exactly, whatever they are.
const EXACT_DIGITS = 15;

/** num of the value at `[start, end)` (-1: absent): a JSON number is read as JSON.parse reads it, anything else is 0. */
function numberAt(json: string, start: number, end: number): number {
  if (start === -1) return 0;
  const c = json.charCodeAt(start);
  if (c !== 0x2d /* - */ && (c < 0x30 || c > 0x39)) return 0;
  // A token count: its digits summed here, where a slice and Number() cost a few calls.
  if (end - start <= EXACT_DIGITS) {
    let n = 0;
    for (let i = start; i < end; i++) {
      const d = json.charCodeAt(i) - 0x30;
      if (d < 0 || d > 9) return num(Number(json.slice(start, end)));
      n = n * 10 + d;
    }
    return n;
  }
  return num(Number(json.slice(start, end)));
}

/** num of a details object's one member (`keys`), 0 when the value at `start` is no object; undefined when findMembers cannot read it. */
function detailAt(json: string, start: number, keys: readonly string[]): number | undefined {
  if (start === -1 || json.charCodeAt(start) !== JSON_BYTE.OPEN_BRACE) return 0;
  const at: number[] = [];
  return findMembers(json, start, keys, at) === -1 ? undefined : numberAt(json, at[0], at[1]);
}

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
