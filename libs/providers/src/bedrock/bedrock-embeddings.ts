import { GatewayError } from '@app/common';
import type { BuildEmbeddingInput, EmbeddingAdapter, ParsedEmbeddings, UpstreamErrorInfo, UpstreamRequest } from '../types';
import { floatVectors, texts } from '../embeddings/embedding-vectors';
import { signedBedrockRequest } from './bedrock-endpoint';
import { parseBedrockError } from './bedrock-response';

// Cohere's embed models on Bedrock take at most 96 texts per call.
const COHERE_MAX_BATCH = 96;
const TITAN_DIMENSIONS = new Set([256, 512, 1024]);
/** Bedrock reports the input tokens of a Cohere embed call in this header (its body has none). */
const TOKEN_COUNT_HEADER = 'x-amzn-bedrock-input-token-count';

type Family = 'titan' | 'cohere';

function family(modelId: string): Family | null {
  // Model ids may carry a cross-region prefix (`us.cohere.embed-v4:0`) or be ARNs.
  if (modelId.includes('amazon.titan-embed')) return 'titan';
  if (modelId.includes('cohere.embed')) return 'cohere';
  return null;
}

/**
 * Bedrock InvokeModel (`/model/{id}/invoke`) for its embedding models, in each family's own
 * body: Titan Text Embeddings (one `inputText` per call, so one call per input) and Cohere Embed
 * (`texts`, batched). Both answer floats; Titan counts its tokens in the body, Cohere in a header.
 */
export class BedrockEmbeddingAdapter implements EmbeddingAdapter {
  readonly acceptsTokens = false;

  /** Fixed in tests; the signing time otherwise. */
  constructor(private readonly clock: () => Date = () => new Date()) {}

  /** Titan embeds one text per call; Cohere's models a batch. */
  batchSize(upstreamModel: string): number {
    return family(upstreamModel) === 'titan' ? 1 : COHERE_MAX_BATCH;
  }

  buildEmbeddingRequest(input: BuildEmbeddingInput): UpstreamRequest {
    const { request, upstreamModel } = input;
    const kind = family(upstreamModel);
    const call = (body: Record<string, unknown>) =>
      signedBedrockRequest(input.provider, input.key, upstreamModel, 'invoke', JSON.stringify(body), 'application/json', this.clock());
    if (kind === 'titan') {
      if (request.dimensions !== null && !TITAN_DIMENSIONS.has(request.dimensions)) {
        throw GatewayError.invalidRequest(`'dimensions' must be 256, 512 or 1024 for ${upstreamModel}.`, 'dimensions');
      }
      const [inputText] = texts(request.input);
      return call(request.dimensions === null ? { inputText } : { inputText, dimensions: request.dimensions });
    }
    if (kind === 'cohere') {
      if (request.dimensions !== null) throw GatewayError.invalidRequest(`'dimensions' is not supported by ${upstreamModel} on bedrock.`, 'dimensions');
      const inputType = request.inputType ?? 'search_document';
      return call({ texts: texts(request.input), input_type: inputType });
    }
    throw GatewayError.invalidRequest(`bedrock model '${upstreamModel}' is not an embedding model the gateway knows (amazon.titan-embed-*, cohere.embed-*).`, 'model');
  }

  /** Titan: `{embedding, inputTextTokenCount}`; Cohere: `{embeddings: [[...]], response_type: "embeddings_floats"}`. */
  parseEmbeddings(text: string, headers: Record<string, string | string[] | undefined>): ParsedEmbeddings {
    const parsed = JSON.parse(text) as { embedding?: unknown; inputTextTokenCount?: unknown; embeddings?: unknown };
    if (parsed.embedding !== undefined) {
      const tokens = parsed.inputTextTokenCount;
      return { vectors: floatVectors([parsed.embedding]), inputTokens: typeof tokens === 'number' ? tokens : null };
    }
    const header = headers[TOKEN_COUNT_HEADER];
    const tokens = Number(Array.isArray(header) ? header[0] : header);
    return { vectors: floatVectors(parsed.embeddings), inputTokens: Number.isFinite(tokens) && header !== undefined ? tokens : null };
  }

  parseError(status: number, text: string): UpstreamErrorInfo {
    return parseBedrockError(status, text);
  }
}
