import { parseRetryAfter } from '../http/upstream-failure';

/**
 * How each OpenAI-compatible provider the gateway names really speaks: which request fields
 * its API takes, how it reports usage on streams, the shape of its errors and where it says
 * when to retry. Taken from each provider's API reference and official SDK; the chat bridge
 * and the Responses pass-through shape their requests by it, and the fake upstream speaks
 * each one as strictly as the real service (apps/fake-upstream/src/dialect-rules.ts).
 */
export interface Dialect {
  /** The API the gateway calls: Chat Completions (the bridge) or the Responses API (passed through). */
  api: 'chat' | 'responses';
  /**
   * Top-level request fields the API accepts, when it refuses the rest (Mistral answers 422
   * `extra_forbidden`): the gateway sends no others. null: unknown fields are ignored upstream.
   */
  accepts: ReadonlySet<string> | null;
  /** Fields the API rejects although the request may hold them: dropped before sending. */
  rejects: readonly string[];
  /**
   * How a stream reports usage: asked for with `stream_options.include_usage`, sent on the last
   * chunk unasked (`final_chunk`; Groq in `x_groq.usage`), or in `response.completed`.
   */
  streamUsage: 'stream_options' | 'final_chunk' | 'response_completed';
  /** `response_format: json_schema` is supported; else the bridge asks for `json_object`. */
  jsonSchema: boolean;
  /** Function tools are supported at all (Perplexity has none: the bridge refuses them). */
  tools: boolean;
  /**
   * Error body: OpenAI's `{error: {message, type, param, code}}`; Mistral's `{object: "error",
   * message: string | {detail: [...]}, type, code}`; or flat `{message, type, param, code}`.
   */
  errorShape: 'openai' | 'mistral' | 'flat';
  /** Response headers that say when to retry, in the order the gateway reads them. */
  retryHints: readonly string[];
  /** Where this was read. */
  source: string;
}

const set = (...fields: string[]): ReadonlySet<string> => new Set(fields);

/** OpenAI's own dialect: the default for any chat-only or Responses server the table does not name. */
export const OPENAI_DIALECT: Dialect = {
  api: 'chat', accepts: null, rejects: [], streamUsage: 'stream_options', jsonSchema: true, tools: true, errorShape: 'openai',
  retryHints: ['retry-after-ms', 'retry-after'], source: 'platform.openai.com/docs/api-reference/chat',
};

export const DIALECTS: ReadonlyMap<string, Dialect> = new Map<string, Dialect>([
  ['mistral', {
    api: 'chat',
    // ChatCompletionRequest of Mistral's API reference and its SDK (client-ts models/components).
    accepts: set('model', 'messages', 'temperature', 'top_p', 'max_tokens', 'stream', 'stop', 'random_seed', 'metadata', 'response_format', 'tools', 'tool_choice', 'presence_penalty', 'frequency_penalty', 'n', 'prediction', 'parallel_tool_calls', 'prompt_mode', 'safe_prompt'),
    rejects: [], streamUsage: 'final_chunk', jsonSchema: true, tools: true, errorShape: 'mistral', retryHints: ['retry-after'],
    source: 'docs.mistral.ai/api (chat completions); mistralai/client-ts ChatCompletionStreamRequest',
  }],
  ['deepseek', {
    api: 'chat', accepts: null, rejects: [], streamUsage: 'stream_options', jsonSchema: false, tools: true, errorShape: 'openai', retryHints: ['retry-after'],
    source: 'api-docs.deepseek.com/api/create-chat-completion (response_format: text or json_object)',
  }],
  ['together', {
    api: 'chat', accepts: null, rejects: [], streamUsage: 'final_chunk', jsonSchema: true, tools: true, errorShape: 'openai', retryHints: ['retry-after'],
    source: 'docs.together.ai/reference/chat-completions (usage on the last chunk)',
  }],
  ['fireworks', {
    api: 'chat', accepts: null, rejects: [], streamUsage: 'final_chunk', jsonSchema: true, tools: true, errorShape: 'openai', retryHints: ['retry-after'],
    source: 'docs.fireworks.ai/api-reference/post-chatcompletions (usage on the last chunk)',
  }],
  ['cerebras', {
    api: 'chat', accepts: null, rejects: ['frequency_penalty', 'presence_penalty', 'logit_bias', 'service_tier'], streamUsage: 'final_chunk', jsonSchema: true, tools: true, errorShape: 'flat',
    retryHints: ['retry-after', 'x-ratelimit-reset-requests-day', 'x-ratelimit-reset-tokens-minute'],
    source: 'inference-docs.cerebras.ai/api-reference/chat-completions (unsupported OpenAI fields: 400)',
  }],
  ['perplexity', {
    api: 'chat', accepts: null, rejects: ['tools', 'tool_choice', 'parallel_tool_calls'], streamUsage: 'final_chunk', jsonSchema: true, tools: false, errorShape: 'openai', retryHints: ['retry-after'],
    source: 'docs.perplexity.ai/api-reference/chat-completions-post (no function calling)',
  }],
  ['groq', {
    api: 'responses', accepts: null, rejects: ['previous_response_id', 'store', 'truncation', 'include', 'safety_identifier', 'prompt_cache_key', 'background'], streamUsage: 'response_completed', jsonSchema: true, tools: true, errorShape: 'openai',
    retryHints: ['retry-after', 'x-ratelimit-reset-requests', 'x-ratelimit-reset-tokens'],
    source: 'console.groq.com/docs/responses-api (unsupported features)',
  }],
  ['xai', {
    // Stateful like OpenAI (previous_response_id, store); background mode is not offered.
    api: 'responses', accepts: null, rejects: ['background'], streamUsage: 'response_completed', jsonSchema: true, tools: true, errorShape: 'openai', retryHints: ['retry-after'],
    source: 'docs.x.ai/developers/model-capabilities/text/generate-text; langchain-xai XAIResponsesCreateParams (background: unsupported)',
  }],
  ['openrouter', {
    api: 'responses', accepts: null, rejects: ['previous_response_id', 'store', 'background'], streamUsage: 'response_completed', jsonSchema: true, tools: true, errorShape: 'openai', retryHints: ['retry-after'],
    source: 'openrouter.ai/docs/api-reference/responses-api (stateless beta)',
  }],
  ['ollama', {
    api: 'responses', accepts: null, rejects: ['previous_response_id', 'store', 'background', 'conversation'], streamUsage: 'response_completed', jsonSchema: true, tools: true, errorShape: 'openai', retryHints: [],
    source: 'docs.ollama.com/api/openai-compatibility (/v1/responses, stateless)',
  }],
  ['vllm', {
    api: 'responses', accepts: null, rejects: ['previous_response_id', 'store', 'background'], streamUsage: 'response_completed', jsonSchema: true, tools: true, errorShape: 'openai', retryHints: [],
    source: 'docs.vllm.ai/en/latest/serving/openai_compatible_server (Responses API)',
  }],
]);

/** The dialect of a provider by its catalog name, for the API the gateway calls it with; OpenAI's for any other. */
export function dialectFor(providerName: string, api: Dialect['api']): Dialect {
  const d = DIALECTS.get(providerName);
  return d !== undefined && d.api === api ? d : OPENAI_DIALECT;
}


/** A dialect's body fields the request holds and the provider would refuse. */
export function refusedFields(body: object, dialect: Dialect): string[] {
  const out: string[] = [];
  for (const f of dialect.rejects) if (f in body) out.push(f);
  if (dialect.accepts !== null) for (const f of Object.keys(body)) if (!dialect.accepts.has(f)) out.push(f);
  return out;
}

/**
 * How long the provider asks to wait before a retry, in ms: `retry-after(-ms)`, and on a 429
 * the rate-limit reset headers its dialect names (Groq writes durations such as `2m59.56s`,
 * Cerebras seconds). null when it says nothing.
 */
export function retryAfterMs(providerName: string, status: number, headers: Record<string, string | string[] | undefined>): number | null {
  const plain = parseRetryAfter(headers);
  if (plain !== null || status !== 429) return plain;
  const dialect = DIALECTS.get(providerName);
  if (dialect === undefined) return null;
  let longest: number | null = null;
  for (const name of dialect.retryHints) {
    if (!name.startsWith('x-ratelimit-reset')) continue;
    const v = headers[name];
    const ms = typeof v === 'string' ? durationMs(v) : null;
    if (ms !== null && (longest === null || ms > longest)) longest = ms;
  }
  return longest;
}

const DURATION = /^(?:(\d+(?:\.\d+)?)h)?(?:(\d+(?:\.\d+)?)m(?!s))?(?:(\d+(?:\.\d+)?)s)?(?:(\d+(?:\.\d+)?)ms)?$/;

/** `1h2m3.5s`, `250ms`, or bare seconds (`7.66`) -> ms. */
export function durationMs(text: string): number | null {
  const t = text.trim();
  if (t === '') return null;
  if (/^\d+(?:\.\d+)?$/.test(t)) return Math.round(Number(t) * 1000);
  const m = DURATION.exec(t);
  if (m === null) return null;
  const [h, min, s, ms] = m.slice(1).map((x) => (x === undefined ? 0 : Number(x)));
  return Math.round(((h * 60 + min) * 60 + s) * 1000 + ms);
}
