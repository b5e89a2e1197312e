import type { BuildEmbeddingInput, EmbeddingAdapter, ParsedEmbeddings, UpstreamErrorInfo, UpstreamRequest } from '../types';
import { floatVectors } from '../embeddings/embedding-vectors';
import { parseChatError } from '../chat-completions/chat-response';
import { bearer, JoinedOnce } from '../http/joined-once';

const EMBEDDINGS_URL = new JoinedOnce('', '/embeddings');

/** OpenAI's `/embeddings` body: the gateway always asks for floats (it base64-encodes itself). */
export function openAIEmbeddingBody(input: BuildEmbeddingInput): string {
  const { request } = input;
  const body: Record<string, unknown> = { model: input.upstreamModel, input: request.input, encoding_format: 'float' };
  if (request.dimensions !== null) body.dimensions = request.dimensions;
  if (request.user !== null) body.user = request.user;
  return JSON.stringify(body);
}

/** `{data: [{index, embedding}], usage: {prompt_tokens}}`, put back in input order by `index`. */
export function parseOpenAIEmbeddings(text: string): ParsedEmbeddings {
  const parsed = JSON.parse(text) as { data?: { index?: unknown; embedding?: unknown }[]; usage?: { prompt_tokens?: unknown } };
  if (!Array.isArray(parsed.data)) throw new Error('no data');
  const data = [...parsed.data].sort((a, b) => Number(a.index) - Number(b.index));
  const tokens = parsed.usage?.prompt_tokens;
  return { vectors: floatVectors(data.map((d) => d.embedding)), inputTokens: typeof tokens === 'number' ? tokens : null };
}

/** OpenAI and every server with its embeddings API (Mistral, Together, vLLM, Ollama...): base URLs end in /v1. */
export class OpenAIEmbeddingAdapter implements EmbeddingAdapter {
  readonly acceptsTokens: boolean;

  /** `acceptsTokens`: OpenAI's own API takes token arrays; compatible servers mostly do not. */
  constructor(acceptsTokens: boolean) {
    this.acceptsTokens = acceptsTokens;
  }

  /** OpenAI's limit of inputs per request. */
  batchSize(): number {
    return 2048;
  }

  buildEmbeddingRequest(input: BuildEmbeddingInput): UpstreamRequest {
    const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json', ...input.provider.headers };
    if (input.key.value) headers.authorization = bearer(input.key.value);
    return { url: EMBEDDINGS_URL.of(input.provider.baseUrl), headers, body: openAIEmbeddingBody(input) };
  }

  parseEmbeddings(text: string): ParsedEmbeddings {
    return parseOpenAIEmbeddings(text);
  }

  /** OpenAI's error body, or what compatible servers send instead (Mistral's, FastAPI's). */
  parseError(status: number, text: string): UpstreamErrorInfo {
    return parseChatError(status, text);
  }
}
