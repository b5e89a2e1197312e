/**
 * The most output tokens each shipped model can produce in one response (the providers' published
 * limits, checked 2026-11), for admission's worst case when a request sets no `max_output_tokens`.
 * Keyed by model name, any provider (a reseller serves the same model). A model missing here
 * counts as `server.default_max_output_tokens`; `server.output_token_limits` overrides per
 * `provider/model`. The coordinator's price catalog is meant to feed this table later.
 */
const KNOWN_OUTPUT_LIMITS: ReadonlyMap<string, number> = new Map([
  ['gpt-4o', 16_384],
  ['gpt-4o-mini', 16_384],
  ['gpt-4.1', 32_768],
  ['gpt-4.1-mini', 32_768],
  ['gpt-4.1-nano', 32_768],
  ['o3-mini', 100_000],
  ['o4-mini', 100_000],
  ['gpt-5', 128_000],
  ['gpt-5-mini', 128_000],
  ['gpt-5-nano', 128_000],
  ['claude-opus-4-1', 32_000],
  ['claude-opus-4', 32_000],
  ['claude-sonnet-4-5', 64_000],
  ['claude-sonnet-4', 64_000],
  ['claude-haiku-4-5', 64_000],
  ['claude-3-5-haiku', 8_192],
  ['gemini-2.5-pro', 65_536],
  ['gemini-2.5-flash', 65_536],
  ['gemini-2.5-flash-lite', 65_536],
  ['gemini-2.0-flash', 8_192],
  ['gemini-2.0-flash-lite', 8_192],
  ['anthropic.claude-sonnet-4-5-20250929-v1:0', 64_000],
  ['anthropic.claude-sonnet-4-20250514-v1:0', 64_000],
  ['anthropic.claude-opus-4-1-20250805-v1:0', 32_000],
  ['anthropic.claude-haiku-4-5-20251001-v1:0', 64_000],
  ['anthropic.claude-3-5-haiku-20241022-v1:0', 8_192],
  ['amazon.nova-pro-v1:0', 10_000],
  ['amazon.nova-lite-v1:0', 10_000],
  ['amazon.nova-micro-v1:0', 10_000],
  ['deepseek-chat', 8_192],
  ['deepseek-reasoner', 65_536],
  ['llama-3.3-70b-versatile', 32_768],
  ['llama-3.1-8b-instant', 131_072],
  ['command-a', 8_000],
  ['command-r-plus', 4_000],
  ['command-r', 4_000],
  ['command-r7b', 4_000],
]);

// As the price book matches: a date or `-latest` suffix, a Bedrock cross-region profile prefix.
const DATED_SUFFIX = /(?:-(?:\d{4}-\d{2}-\d{2}|\d{8}|\d{2}-\d{4}|latest)|@\d{8})$/;
const BEDROCK_PROFILE_PREFIX = /^(?:us|eu|apac|ap|jp|au|ca|us-gov|global)\./;

/** The published output limit of a model name, or null when the table does not know it. */
export function knownOutputLimit(model: string): number | null {
  let name = model.toLowerCase();
  const direct = KNOWN_OUTPUT_LIMITS.get(name);
  if (direct !== undefined) return direct;
  // `vendor/model` (openrouter style): the model after the vendor.
  const slash = name.lastIndexOf('/');
  if (slash !== -1) name = name.slice(slash + 1);
  name = name.replace(BEDROCK_PROFILE_PREFIX, '');
  return KNOWN_OUTPUT_LIMITS.get(name) ?? KNOWN_OUTPUT_LIMITS.get(name.replace(DATED_SUFFIX, '')) ?? null;
}
