// Built-in list prices, USD per 1M tokens, as decimal strings (exact; see decimal.ts).
// Checked 2026-11 against the providers' public pricing pages and LiteLLM's
// model_prices_and_context_window.json. Standard (non-batch, non-priority) text pricing only.
// Operators correct or extend these through `pricing` in GATEWAY_CONFIG; an override replaces
// the whole entry.
//
// Conventions:
// - input_per_mtok prices input tokens that were neither read from nor written to a cache.
// - cached_input_per_mtok prices cache reads; absent means cache reads cost the input rate.
// - cache_write_per_mtok prices cache writes (Anthropic, 5-minute TTL); absent means input rate.
// - reasoning_per_mtok only where a provider prices reasoning separately; otherwise reasoning
//   tokens are billed as output (they are counted inside output tokens).
// - long_context applies to the whole request when its input tokens exceed threshold_tokens.

export const PRICES_CHECKED_AT = '2026-11';

export interface LongContextSpec {
  threshold_tokens: number;
  input_per_mtok: string;
  output_per_mtok: string;
  cached_input_per_mtok?: string;
  cache_write_per_mtok?: string;
}

export interface PriceSpec {
  input_per_mtok: string;
  output_per_mtok: string;
  cached_input_per_mtok?: string;
  cache_write_per_mtok?: string;
  reasoning_per_mtok?: string;
  /** USD per request, on top of token costs. */
  request_cost?: string;
  long_context?: LongContextSpec;
}

export type PriceSheet = Readonly<Record<string, Readonly<Record<string, PriceSpec>>>>;

const p = (input: string, output: string, extra: Omit<PriceSpec, 'input_per_mtok' | 'output_per_mtok'> = {}): PriceSpec => ({
  input_per_mtok: input,
  output_per_mtok: output,
  ...extra,
});

// Anthropic's >200k-token tier (Sonnet 4 / 4.5 with the 1M-context window): 2x input, 1.5x output.
const SONNET_LONG_CONTEXT: LongContextSpec = {
  threshold_tokens: 200_000,
  input_per_mtok: '6',
  output_per_mtok: '22.5',
  cached_input_per_mtok: '0.6',
  cache_write_per_mtok: '7.5',
};
const SONNET = p('3', '15', { cached_input_per_mtok: '0.3', cache_write_per_mtok: '3.75', long_context: SONNET_LONG_CONTEXT });
const OPUS_4 = p('15', '75', { cached_input_per_mtok: '1.5', cache_write_per_mtok: '18.75' });
const HAIKU_4_5 = p('1', '5', { cached_input_per_mtok: '0.1', cache_write_per_mtok: '1.25' });
const HAIKU_3_5 = p('0.8', '4', { cached_input_per_mtok: '0.08', cache_write_per_mtok: '1' });

export const PRICE_SHEET: PriceSheet = {
  openai: {
    'gpt-4o': p('2.5', '10', { cached_input_per_mtok: '1.25' }),
    // The first gpt-4o snapshot kept its launch price; without this entry the dated-suffix rule
    // would price it as gpt-4o.
    'gpt-4o-2024-05-13': p('5', '15'),
    'gpt-4o-mini': p('0.15', '0.6', { cached_input_per_mtok: '0.075' }),
    'gpt-4.1': p('2', '8', { cached_input_per_mtok: '0.5' }),
    'gpt-4.1-mini': p('0.4', '1.6', { cached_input_per_mtok: '0.1' }),
    'gpt-4.1-nano': p('0.1', '0.4', { cached_input_per_mtok: '0.025' }),
    o1: p('15', '60', { cached_input_per_mtok: '7.5' }),
    o3: p('2', '8', { cached_input_per_mtok: '0.5' }),
    'o3-mini': p('1.1', '4.4', { cached_input_per_mtok: '0.55' }),
    'o4-mini': p('1.1', '4.4', { cached_input_per_mtok: '0.275' }),
    'gpt-5': p('1.25', '10', { cached_input_per_mtok: '0.125' }),
    'gpt-5-mini': p('0.25', '2', { cached_input_per_mtok: '0.025' }),
    'gpt-5-nano': p('0.05', '0.4', { cached_input_per_mtok: '0.005' }),
  },
  anthropic: {
    'claude-opus-4-1': OPUS_4,
    'claude-opus-4': OPUS_4,
    'claude-sonnet-4-5': SONNET,
    'claude-sonnet-4': SONNET,
    'claude-haiku-4-5': HAIKU_4_5,
    'claude-3-5-haiku': HAIKU_3_5,
  },
  gemini: {
    // Text/image/video input; audio input is priced higher and is not modelled here.
    'gemini-2.5-pro': p('1.25', '10', {
      cached_input_per_mtok: '0.125',
      long_context: { threshold_tokens: 200_000, input_per_mtok: '2.5', output_per_mtok: '15', cached_input_per_mtok: '0.25' },
    }),
    'gemini-2.5-flash': p('0.3', '2.5', { cached_input_per_mtok: '0.03' }),
    'gemini-2.5-flash-lite': p('0.1', '0.4', { cached_input_per_mtok: '0.01' }),
    'gemini-2.0-flash': p('0.1', '0.4', { cached_input_per_mtok: '0.025' }),
    'gemini-2.0-flash-lite': p('0.075', '0.3'),
  },
  // On-demand, us-east-1. Cross-region (`us.`, `global.`) profile ids are priced the same
  // (the lookup strips the profile prefix).
  bedrock: {
    'anthropic.claude-sonnet-4-5-20250929-v1:0': SONNET,
    'anthropic.claude-sonnet-4-20250514-v1:0': SONNET,
    'anthropic.claude-opus-4-1-20250805-v1:0': OPUS_4,
    'anthropic.claude-haiku-4-5-20251001-v1:0': HAIKU_4_5,
    'anthropic.claude-3-5-haiku-20241022-v1:0': HAIKU_3_5,
    'amazon.nova-pro-v1:0': p('0.8', '3.2', { cached_input_per_mtok: '0.2' }),
    'amazon.nova-lite-v1:0': p('0.06', '0.24', { cached_input_per_mtok: '0.015' }),
    'amazon.nova-micro-v1:0': p('0.035', '0.14', { cached_input_per_mtok: '0.00875' }),
    'meta.llama3-3-70b-instruct-v1:0': p('0.72', '0.72'),
    'meta.llama3-1-70b-instruct-v1:0': p('0.72', '0.72'),
    'meta.llama3-1-8b-instruct-v1:0': p('0.22', '0.22'),
    'meta.llama4-maverick-17b-instruct-v1:0': p('0.24', '0.97'),
    'meta.llama4-scout-17b-instruct-v1:0': p('0.17', '0.66'),
  },
  mistral: {
    'mistral-large-latest': p('0.5', '1.5'),
    'mistral-large-2512': p('0.5', '1.5'),
    'mistral-large-2411': p('2', '6'),
    'mistral-medium-latest': p('0.4', '2'),
    'mistral-small-latest': p('0.1', '0.3'),
    'codestral-latest': p('0.3', '0.9'),
    'ministral-8b-latest': p('0.1', '0.1'),
    'ministral-3b-latest': p('0.04', '0.04'),
    'open-mistral-nemo': p('0.15', '0.15'),
  },
  // deepseek-chat and deepseek-reasoner both serve DeepSeek-V3.2 at one price; reasoning tokens are
  // billed as output. "Cached input" is DeepSeek's cache-hit price.
  deepseek: {
    'deepseek-chat': p('0.28', '0.42', { cached_input_per_mtok: '0.028' }),
    'deepseek-reasoner': p('0.28', '0.42', { cached_input_per_mtok: '0.028' }),
  },
  groq: {
    'llama-3.3-70b-versatile': p('0.59', '0.79'),
    'llama-3.1-8b-instant': p('0.05', '0.08'),
  },
  xai: {
    'grok-4': p('3', '15', {
      cached_input_per_mtok: '0.75',
      long_context: { threshold_tokens: 128_000, input_per_mtok: '6', output_per_mtok: '30', cached_input_per_mtok: '1.5' },
    }),
    'grok-4-0709': p('3', '15', {
      cached_input_per_mtok: '0.75',
      long_context: { threshold_tokens: 128_000, input_per_mtok: '6', output_per_mtok: '30', cached_input_per_mtok: '1.5' },
    }),
    'grok-3': p('3', '15', { cached_input_per_mtok: '0.75' }),
    'grok-3-mini': p('0.3', '0.5', { cached_input_per_mtok: '0.075' }),
  },
  cohere: {
    'command-a': p('2.5', '10'),
    'command-r-plus': p('2.5', '10'),
    'command-r': p('0.15', '0.6'),
    'command-r7b': p('0.0375', '0.15'),
  },
};
