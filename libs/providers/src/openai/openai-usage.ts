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
