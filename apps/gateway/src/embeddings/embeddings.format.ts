import { renderOpenAiError } from '../edge/error-render';
import type { StreamEncoder, WireFormat } from '../formats/wire-format';
import { decodeEmbeddingsRequest, type EmbeddingsEgress } from './embeddings-request';

function notAResponse(): never {
  throw new Error('embeddings are answered by the embeddings path, never as a Responses answer');
}

/**
 * `POST /v1/embeddings` at the edges: decoding (with its own bounds) and OpenAI's errors. The
 * answer is no Responses object: EmbeddingsPipeline writes the embeddings list itself, so the
 * Responses encoders are never called for this format.
 */
export const embeddingsFormat: WireFormat<EmbeddingsEgress> = {
  requestType: 'embeddings',
  decode: decodeEmbeddingsRequest,
  encodeResponse: notAResponse,
  createStreamEncoder(): StreamEncoder {
    return notAResponse();
  },
  renderError: renderOpenAiError,
};
