import type { ModelPrice, RequestLog } from './api-types';

export interface CostLine {
  label: string;
  tokens: number | null;
  ratePerMtok: number | null;
  usd: number;
}

const rate = (value: string | undefined, fallback: number): number => (value === undefined ? fallback : Number(value));

/**
 * How a logged request's cost splits into input, cached input, output and per-request parts,
 * at the model's current price. The log's own cost_usd stays the amount billed; this explains it
 * (and differs from it only if the prices changed since).
 */
export function costBreakdown(log: Pick<RequestLog, 'input_tokens' | 'cached_tokens' | 'output_tokens' | 'reasoning_tokens'>, price: ModelPrice | undefined): CostLine[] | null {
  if (!price) return null;
  const longContext = price.long_context && log.input_tokens > price.long_context.threshold_tokens ? price.long_context : undefined;
  const input = Number(longContext?.input_per_mtok ?? price.input_per_mtok);
  const output = Number(longContext?.output_per_mtok ?? price.output_per_mtok);
  const cached = rate(longContext?.cached_input_per_mtok ?? price.cached_input_per_mtok, input);
  const uncached = Math.max(0, log.input_tokens - log.cached_tokens);
  const lines: CostLine[] = [{ label: 'Input', tokens: uncached, ratePerMtok: input, usd: (uncached * input) / 1e6 }];
  if (log.cached_tokens > 0) lines.push({ label: 'Cached input', tokens: log.cached_tokens, ratePerMtok: cached, usd: (log.cached_tokens * cached) / 1e6 });
  if (price.reasoning_per_mtok !== undefined && log.reasoning_tokens > 0) {
    const reasoning = Number(price.reasoning_per_mtok);
    const visible = Math.max(0, log.output_tokens - log.reasoning_tokens);
    lines.push({ label: 'Output', tokens: visible, ratePerMtok: output, usd: (visible * output) / 1e6 });
    lines.push({ label: 'Reasoning', tokens: log.reasoning_tokens, ratePerMtok: reasoning, usd: (log.reasoning_tokens * reasoning) / 1e6 });
  } else {
    lines.push({ label: 'Output', tokens: log.output_tokens, ratePerMtok: output, usd: (log.output_tokens * output) / 1e6 });
  }
  if (price.request_cost !== undefined && Number(price.request_cost) > 0) {
    lines.push({ label: 'Per request', tokens: null, ratePerMtok: null, usd: Number(price.request_cost) });
  }
  return lines;
}
