import type { BuildEmbeddingInput, UpstreamRequest } from '../types';
import { OpenAIEmbeddingAdapter } from '../openai/openai-embeddings';

/**
 * Mistral's `/v1/embeddings`: OpenAI's shape, but its API refuses any field it does not define
 * (422 extra_forbidden): no `user`, and `output_dimension` where OpenAI says `dimensions`
 * (codestral-embed). Strings only.
 */
export class MistralEmbeddingAdapter extends OpenAIEmbeddingAdapter {
  constructor() {
    super(false);
  }

  override buildEmbeddingRequest(input: BuildEmbeddingInput): UpstreamRequest {
    const request = super.buildEmbeddingRequest(input);
    const body: Record<string, unknown> = { model: input.upstreamModel, input: input.request.input, encoding_format: 'float' };
    if (input.request.dimensions !== null) body.output_dimension = input.request.dimensions;
    return { ...request, body: JSON.stringify(body) };
  }
}
