import type { LongContextSpec, PriceSheet, PriceSpec } from './price-spec';

// What the catalog (@pydantic/genai-prices, see catalog.ts) lacks, typed by hand, each entry
// naming the source of its figures in `reference` (shown by GET /api/pricing). An entry here wins
// over the catalog's entry for the same model, so keep only what the catalog gets wrong or does
// not have, and drop an entry once the catalog carries it. Operators correct or extend any price
// through `pricing` in GATEWAY_CONFIG or the admin API (PUT /api/pricing/{provider}/{model}).

/** When the entries below were last checked against their sources (year-month). */
export const PRICES_CHECKED_AT = '2026-11';

// Grok 4 bills a whole request at twice the rate once its input passes 128k tokens; the catalog
// lists grok-4-0709 (alias grok-4) at the base rate only.
const GROK_4_LONG_CONTEXT: LongContextSpec = { threshold_tokens: 128_000, input_per_mtok: '6', output_per_mtok: '30', cached_input_per_mtok: '1.5' };
const GROK_4: PriceSpec & { reference: string } = {
  input_per_mtok: '3',
  output_per_mtok: '15',
  cached_input_per_mtok: '0.75',
  long_context: GROK_4_LONG_CONTEXT,
  reference: 'xAI models and pricing page, docs.x.ai/docs/models (higher context pricing above 128k tokens)',
};

// Claude Sonnet 4 with the 1M-token context window bills a whole request above 200k input tokens
// at 2x input and 1.5x output; the catalog has that tier for Sonnet 4.5 but not for Sonnet 4.
const SONNET_4: PriceSpec & { reference: string } = {
  input_per_mtok: '3',
  output_per_mtok: '15',
  cached_input_per_mtok: '0.3',
  cache_write_per_mtok: '3.75',
  long_context: { threshold_tokens: 200_000, input_per_mtok: '6', output_per_mtok: '22.5', cached_input_per_mtok: '0.6', cache_write_per_mtok: '7.5' },
  reference: 'Anthropic pricing page, anthropic.com/pricing (long context pricing for Claude Sonnet 4 above 200k input tokens)',
};

// Embedding models: input tokens only. The catalog matches amazon.titan-embed-text-v2:0 to the v1
// model's price (0.1 $/Mtok; v2 is 0.02) and lacks Cohere's v3 embed models and codestral-embed.
const BEDROCK_PRICING = 'Amazon Bedrock pricing page, aws.amazon.com/bedrock/pricing (on-demand, embeddings)';
const embedding = (inputPerMtok: string, reference: string): PriceSpec & { reference: string } => ({ input_per_mtok: inputPerMtok, output_per_mtok: '0', reference });

export const PRICE_SHEET: PriceSheet = {
  anthropic: {
    'claude-sonnet-4': SONNET_4,
    'claude-sonnet-4-0': SONNET_4,
  },
  bedrock: {
    'amazon.titan-embed-text-v2:0': embedding('0.02', BEDROCK_PRICING),
    'cohere.embed-english-v3': embedding('0.1', BEDROCK_PRICING),
    'cohere.embed-multilingual-v3': embedding('0.1', BEDROCK_PRICING),
    'cohere.embed-v4:0': embedding('0.12', BEDROCK_PRICING),
  },
  cohere: {
    'embed-english-v3.0': embedding('0.1', 'Cohere pricing page, cohere.com/pricing (Embed 3)'),
    'embed-multilingual-v3.0': embedding('0.1', 'Cohere pricing page, cohere.com/pricing (Embed 3)'),
    'embed-english-light-v3.0': embedding('0.1', 'Cohere pricing page, cohere.com/pricing (Embed 3)'),
    'embed-multilingual-light-v3.0': embedding('0.1', 'Cohere pricing page, cohere.com/pricing (Embed 3)'),
  },
  mistral: {
    'codestral-embed': embedding('0.15', 'Mistral pricing page, mistral.ai/pricing (Codestral Embed)'),
  },
  xai: {
    'grok-4': GROK_4,
    'grok-4-0709': GROK_4,
  },
};
