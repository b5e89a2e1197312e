import type { BuildEmbeddingInput, UpstreamRequest } from '../types';
import { OpenAIEmbeddingAdapter, openAIEmbeddingBody } from '../openai/openai-embeddings';

/**
 * Azure OpenAI embeddings: OpenAI's body and answer at the deployment's path
 * (`/openai/deployments/{deployment}/embeddings?api-version=`), or `/openai/v1/embeddings` on
 * the v1 API; `api-key` auth. The deployment is the resolved model (AzureOpenAIAdapter.resolveModel).
 */
export class AzureEmbeddingAdapter extends OpenAIEmbeddingAdapter {
  constructor() {
    super(true);
  }

  override buildEmbeddingRequest(input: BuildEmbeddingInput): UpstreamRequest {
    const { provider } = input;
    const url = provider.baseUrl.endsWith('/openai/v1')
      ? `${provider.baseUrl}/embeddings`
      : `${provider.baseUrl}/openai/deployments/${encodeURIComponent(input.upstreamModel)}/embeddings?api-version=${encodeURIComponent(provider.apiVersion ?? '')}`;
    const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json', ...provider.headers, 'api-key': input.key.value };
    return { url, headers, body: openAIEmbeddingBody(input) };
  }
}
