import type { BuildEmbeddingInput, EmbeddingAdapter, ParsedEmbeddings, UpstreamErrorInfo, UpstreamRequest } from '../types';
import { floatVectors, texts } from '../embeddings/embedding-vectors';
import { parseGeminiError } from './gemini-response';

// batchEmbedContents takes at most 100 requests per call.
const MAX_BATCH = 100;

/**
 * Gemini's `models/{model}:batchEmbedContents`: one request per text, each naming the model.
 * Its answer reports no token count; the gateway estimates one.
 */
export class GeminiEmbeddingAdapter implements EmbeddingAdapter {
  readonly acceptsTokens = false;

  batchSize(): number {
    return MAX_BATCH;
  }

  buildEmbeddingRequest(input: BuildEmbeddingInput): UpstreamRequest {
    const model = input.upstreamModel;
    const url = `${input.provider.baseUrl}/v1beta/models/${encodeURIComponent(model)}:batchEmbedContents`;
    const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json', ...input.provider.headers };
    if (input.key.value) headers['x-goog-api-key'] = input.key.value;
    const { dimensions } = input.request;
    const requests = texts(input.request.input).map((text) => {
      const one: Record<string, unknown> = { model: `models/${model}`, content: { parts: [{ text }] } };
      if (dimensions !== null) one.outputDimensionality = dimensions;
      return one;
    });
    return { url, headers, body: JSON.stringify({ requests }) };
  }

  /** `{embeddings: [{values: [...]}]}` in request order. */
  parseEmbeddings(text: string): ParsedEmbeddings {
    const parsed = JSON.parse(text) as { embeddings?: { values?: unknown }[] };
    if (!Array.isArray(parsed.embeddings)) throw new Error('no embeddings');
    return { vectors: floatVectors(parsed.embeddings.map((e) => e.values)), inputTokens: null };
  }

  parseError(status: number, text: string): UpstreamErrorInfo {
    return parseGeminiError(status, text);
  }
}
