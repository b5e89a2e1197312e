/**
 * Providers the gateway knows by name. `kind` picks the adapter in libs/providers; the
 * env prefix gives the `<PREFIX>_API_KEY` / `<PREFIX>_BASE_URL` shortcuts. A base URL
 * means what it means in that provider's official SDK (OpenAI-style ones end in /v1).
 */
export type ProviderKind = 'openai' | 'azure' | 'openai-compatible';

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
};

export const PROVIDER_KINDS: readonly ProviderKind[] = ['openai', 'azure', 'openai-compatible'];
