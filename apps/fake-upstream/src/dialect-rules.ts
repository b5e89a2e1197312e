import { isJson } from '@app/common';

/**
 * How strictly each OpenAI-compatible provider's real API checks a request, so that the fake
 * refuses what the real one refuses, with the real error body: Mistral validates every field
 * (pydantic, extra forbidden: 422), DeepSeek takes no json_schema format, Cerebras and
 * Perplexity refuse the OpenAI fields they lack, Groq's Responses API is stateless. Written
 * from the providers' API references, independently of the gateway's own dialect table.
 */
export type FakeDialect =
  | 'openai' | 'mistral' | 'deepseek' | 'together' | 'fireworks' | 'cerebras' | 'perplexity'
  | 'groq' | 'xai' | 'openrouter' | 'ollama' | 'vllm';

export interface DialectRules {
  /** OpenAI's own Chat Completions checks (unknown arguments, roles, tool call pairing). */
  openAIChatChecks?: boolean;
  /** Embeddings fields a strictly validating API takes (Mistral's); any other is refused. */
  embeddingsAllowed?: ReadonlySet<string>;
  /** Chat fields a strictly validating API takes; any other is refused. */
  chatAllowed?: ReadonlySet<string>;
  /** Chat fields refused although OpenAI takes them. */
  chatRefused?: readonly string[];
  /** response_format types the API takes (default: all of OpenAI's). */
  responseFormats?: readonly string[];
  /** Usage comes on the chunk with finish_reason whether asked for or not. */
  usageOnFinishChunk: boolean;
  /** Responses API fields refused. */
  responsesRefused?: readonly string[];
  /** The error body for a refused request. */
  refusal(field: string, value: unknown, message: string): { status: number; body: unknown };
}

/** A request the dialect refuses; the server sends `body` as is. */
export class DialectRejection extends Error {
  constructor(readonly status: number, readonly body: unknown) {
    super('refused by the dialect');
  }
}

const openaiRefusal = (status: number) => (field: string, _value: unknown, message: string) => ({
  status,
  body: { error: { message, type: 'invalid_request_error', param: field, code: null } },
});

const MISTRAL_CHAT_FIELDS = new Set([
  'model', 'messages', 'temperature', 'top_p', 'max_tokens', 'stream', 'stop', 'random_seed', 'metadata', 'response_format',
  'tools', 'tool_choice', 'presence_penalty', 'frequency_penalty', 'n', 'prediction', 'parallel_tool_calls', 'prompt_mode', 'safe_prompt',
]);

const RULES: Record<FakeDialect, DialectRules> = {
  openai: { openAIChatChecks: true, usageOnFinishChunk: false, refusal: openaiRefusal(400) },
  mistral: {
    chatAllowed: MISTRAL_CHAT_FIELDS,
    embeddingsAllowed: new Set(['model', 'input', 'output_dimension', 'output_dtype', 'encoding_format', 'metadata']),
    usageOnFinishChunk: true,
    refusal: (field, value) => ({
      status: 422,
      body: {
        object: 'error',
        message: { detail: [{ type: 'extra_forbidden', loc: ['body', field], msg: 'Extra inputs are not permitted', input: value }] },
        type: 'invalid_request_error',
        param: null,
        code: null,
      },
    }),
  },
  deepseek: { responseFormats: ['text', 'json_object'], usageOnFinishChunk: false, refusal: openaiRefusal(400) },
  together: { usageOnFinishChunk: true, refusal: openaiRefusal(400) },
  fireworks: { usageOnFinishChunk: true, refusal: openaiRefusal(400) },
  cerebras: {
    chatRefused: ['frequency_penalty', 'presence_penalty', 'logit_bias', 'service_tier'],
    usageOnFinishChunk: true,
    // Cerebras answers flat: {message, type, param, code}.
    refusal: (field, _value, message) => ({ status: 400, body: { message, type: 'invalid_request_error', param: field, code: 'wrong_api_format' } }),
  },
  perplexity: { chatRefused: ['tools', 'tool_choice', 'parallel_tool_calls'], usageOnFinishChunk: true, refusal: openaiRefusal(400) },
  groq: { responsesRefused: ['previous_response_id', 'store', 'truncation', 'include', 'safety_identifier', 'prompt_cache_key', 'background'], usageOnFinishChunk: false, refusal: openaiRefusal(400) },
  xai: { responsesRefused: ['background'], usageOnFinishChunk: false, refusal: openaiRefusal(400) },
  openrouter: { responsesRefused: ['previous_response_id', 'store', 'background'], usageOnFinishChunk: false, refusal: openaiRefusal(400) },
  ollama: { responsesRefused: ['previous_response_id', 'store', 'background', 'conversation'], usageOnFinishChunk: false, refusal: openaiRefusal(400) },
  vllm: { responsesRefused: ['previous_response_id', 'store', 'background'], usageOnFinishChunk: false, refusal: openaiRefusal(400) },
};

export function dialectRules(name: FakeDialect): DialectRules {
  return RULES[name];
}

/** Throws a DialectRejection when the dialect's API would refuse this body. */
export function checkDialect(rules: DialectRules, api: 'chat' | 'responses' | 'embeddings', body: Record<string, unknown>): void {
  if (api === 'embeddings') {
    for (const [field, value] of Object.entries(body)) {
      if (rules.embeddingsAllowed && !rules.embeddingsAllowed.has(field)) refuse(rules, field, value, `Extra inputs are not permitted: ${field}`);
    }
    return;
  }
  if (api === 'chat') {
    if (rules.chatAllowed) {
      for (const [field, value] of Object.entries(body)) {
        if (!rules.chatAllowed.has(field)) refuse(rules, field, value, `Extra inputs are not permitted: ${field}`);
      }
    }
    for (const field of rules.chatRefused ?? []) {
      if (field in body) refuse(rules, field, body[field], `Unsupported parameter: '${field}' is not supported with this model.`);
    }
    const format = isJson(body.response_format) ? body.response_format.type : undefined;
    if (typeof format === 'string' && rules.responseFormats && !rules.responseFormats.includes(format)) {
      refuse(rules, 'response_format', body.response_format, 'This response_format type is unavailable now');
    }
    return;
  }
  for (const field of rules.responsesRefused ?? []) {
    if (field in body) refuse(rules, field, body[field], `'${field}' is not supported by this Responses API.`);
  }
}

function refuse(rules: DialectRules, field: string, value: unknown, message: string): never {
  const { status, body } = rules.refusal(field, value, message);
  throw new DialectRejection(status, body);
}
