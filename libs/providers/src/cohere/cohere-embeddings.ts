import type { BuildEmbeddingInput, EmbeddingAdapter, ParsedEmbeddings, UpstreamErrorInfo, UpstreamRequest } from '../types';
import { floatVectors, texts } from '../embeddings/embedding-vectors';
import { parseCohereError } from './cohere-response';
import { bearer, JoinedOnce } from '../http/joined-once';

const EMBED_URL = new JoinedOnce('', '/v2/embed');

// Cohere's embed endpoint takes at most 96 texts per call.
const MAX_BATCH = 96;

/**
 * Cohere v2 `/v2/embed`: `texts` with the `input_type` its v3+ models require (the gateway's
 * extension field, default search_document) and float vectors asked for by type; the answer
 * counts billed input tokens in `meta.billed_units`.
 */
export class CohereEmbeddingAdapter implements EmbeddingAdapter {
  readonly acceptsTokens = false;

  batchSize(): number {
    return MAX_BATCH;
  }

  buildEmbeddingRequest(input: BuildEmbeddingInput): UpstreamRequest {
    const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json', ...input.provider.headers };
    if (input.key.value) headers.authorization = bearer(input.key.value);
    const { request } = input;
    const body: Record<string, unknown> = {
      model: input.upstreamModel, texts: texts(request.input), input_type: request.inputType ?? 'search_document', embedding_types: ['float'],
    };
    if (request.dimensions !== null) body.output_dimension = request.dimensions;
    return { url: EMBED_URL.of(input.provider.baseUrl), headers, body: JSON.stringify(body) };
  }

  /** `{embeddings: {float: [[...]]}, meta: {billed_units: {input_tokens}}}`. */
  parseEmbeddings(text: string): ParsedEmbeddings {
    const parsed = JSON.parse(text) as { embeddings?: { float?: unknown }; meta?: { billed_units?: { input_tokens?: unknown } } };
    const tokens = parsed.meta?.billed_units?.input_tokens;
    return { vectors: floatVectors(parsed.embeddings?.float), inputTokens: typeof tokens === 'number' ? tokens : null };
  }

  parseError(status: number, text: string): UpstreamErrorInfo {
    return parseCohereError(status, text);
  }
}
