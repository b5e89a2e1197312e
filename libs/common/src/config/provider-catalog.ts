/**
 * Providers the gateway knows by name. `kind` picks the adapter in libs/providers; the
 * env prefix gives the `<PREFIX>_API_KEY` / `<PREFIX>_BASE_URL` shortcuts. A base URL
 * means what it means in that provider's official SDK (OpenAI-style ones end in /v1).
 */
export type ProviderKind = 'openai' | 'azure' | 'openai-compatible' | 'gemini' | 'bedrock' | 'cohere' | 'chat-completions' | 'anthropic';

/** Bedrock's public endpoint; `{region}` is filled per upstream key, whose region it is. */
export const BEDROCK_DEFAULT_BASE_URL = 'https://bedrock-runtime.{region}.amazonaws.com';

export interface CatalogEntry {
  kind: ProviderKind;
  envPrefix: string;
  defaultBaseUrl?: string;
  /** Whether a request may reach it without an API key (local servers). */
  keyOptional?: boolean;
}

export const PROVIDER_CATALOG: Readonly<Record<string, CatalogEntry>> = {
  openai: { kind: 'openai', envPrefix: 'OPENAI', defaultBaseUrl: 'https://api.openai.com/v1' },
  azure: { kind: 'azure', envPrefix: 'AZURE_OPENAI' },
  groq: { kind: 'openai-compatible', envPrefix: 'GROQ', defaultBaseUrl: 'https://api.groq.com/openai/v1' },
  xai: { kind: 'openai-compatible', envPrefix: 'XAI', defaultBaseUrl: 'https://api.x.ai/v1' },
  openrouter: { kind: 'openai-compatible', envPrefix: 'OPENROUTER', defaultBaseUrl: 'https://openrouter.ai/api/v1' },
  ollama: { kind: 'openai-compatible', envPrefix: 'OLLAMA', defaultBaseUrl: 'http://127.0.0.1:11434/v1', keyOptional: true },
  vllm: { kind: 'openai-compatible', envPrefix: 'VLLM', keyOptional: true },
  // GEMINI_BASE_URL is the part before /v1beta, as in Google's SDK.
  gemini: { kind: 'gemini', envPrefix: 'GEMINI', defaultBaseUrl: 'https://generativelanguage.googleapis.com' },
  cohere: { kind: 'cohere', envPrefix: 'COHERE', defaultBaseUrl: 'https://api.cohere.com' },
  // Credentials come from AWS_* (see load-config); the default URL is the key's region endpoint.
  bedrock: { kind: 'bedrock', envPrefix: 'BEDROCK', defaultBaseUrl: BEDROCK_DEFAULT_BASE_URL },
  // Chat-only providers go through the Chat Completions bridge.
  mistral: { kind: 'chat-completions', envPrefix: 'MISTRAL', defaultBaseUrl: 'https://api.mistral.ai/v1' },
  deepseek: { kind: 'chat-completions', envPrefix: 'DEEPSEEK', defaultBaseUrl: 'https://api.deepseek.com/v1' },
  together: { kind: 'chat-completions', envPrefix: 'TOGETHER', defaultBaseUrl: 'https://api.together.xyz/v1' },
  fireworks: { kind: 'chat-completions', envPrefix: 'FIREWORKS', defaultBaseUrl: 'https://api.fireworks.ai/inference/v1' },
  cerebras: { kind: 'chat-completions', envPrefix: 'CEREBRAS', defaultBaseUrl: 'https://api.cerebras.ai/v1' },
  perplexity: { kind: 'chat-completions', envPrefix: 'PERPLEXITY', defaultBaseUrl: 'https://api.perplexity.ai' },
  // ANTHROPIC_BASE_URL is the host root, as in Anthropic's SDK: requests go to /v1/messages.
  anthropic: { kind: 'anthropic', envPrefix: 'ANTHROPIC', defaultBaseUrl: 'https://api.anthropic.com' },
};

export const PROVIDER_KINDS: readonly ProviderKind[] = [
  'openai', 'azure', 'openai-compatible', 'gemini', 'bedrock', 'cohere', 'chat-completions', 'anthropic',
];
