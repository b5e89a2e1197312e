import type { ProviderConfig } from '@app/common';
import type { BuildRequestInput, UpstreamRequest } from '../types';
import { OpenAIAdapter, responsesBody } from '../openai/openai.adapter';

/**
 * Azure OpenAI speaks OpenAI's wire format with its own URL and auth: the resource URL
 * (`https://<resource>.openai.azure.com`), `api-key` header, `api-version` query, and a
 * deployment name where OpenAI takes a model name. A base URL that already ends in
 * `/openai/v1` uses Azure's v1 API, which needs no api-version.
 */
export class AzureOpenAIAdapter extends OpenAIAdapter {
  override resolveModel(provider: ProviderConfig, model: string): string {
    const name = super.resolveModel(provider, model);
    return provider.deployments[name] ?? name;
  }

  override buildRequest(input: BuildRequestInput): UpstreamRequest {
    const { provider } = input;
    const url = provider.baseUrl.endsWith('/openai/v1')
      ? `${provider.baseUrl}/responses`
      : `${provider.baseUrl}/openai/responses?api-version=${encodeURIComponent(provider.apiVersion ?? '')}`;
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      accept: input.stream ? 'text/event-stream' : 'application/json',
      ...provider.headers,
      'api-key': input.key.value,
    };
    return { url, headers, body: responsesBody(input) };
  }
}
