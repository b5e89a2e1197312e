import { GatewayError, type ProviderConfig } from '@app/common';
import type { BuildRequestInput, CallContext, ParsedResponse, ProviderAdapter, StreamDecoder, StreamTranslator, UpstreamErrorInfo, UpstreamRequest } from '../types';
import { readTools } from '../responses/request-tools';
import { toConverseRequest } from './bedrock-request';
import { parseBedrockError, parseConverseResponse } from './bedrock-response';
import { BedrockStreamTranslator } from './bedrock-stream';
import { BedrockStreamDecoder } from './event-stream';
import { BEDROCK_DEFAULT_BASE_URL } from './bedrock-endpoint';
import { signV4 } from './sigv4';

/**
 * Amazon Bedrock Converse / ConverseStream: `<base>/model/{modelId}/converse[-stream]`,
 * SigV4-signed (service `bedrock`) with the key's AWS credentials and region. The default
 * base URL is the key's regional endpoint. ConverseStream answers in the AWS binary
 * event-stream framing, hence createStreamDecoder().
 */
export class BedrockAdapter implements ProviderAdapter {
  /** Fixed in tests; the signing time otherwise. */
  constructor(private readonly clock: () => Date = () => new Date()) {}

  resolveModel(provider: ProviderConfig, model: string): string {
    return provider.aliases[model] ?? model;
  }

  buildRequest(input: BuildRequestInput): UpstreamRequest {
    const aws = input.key.aws;
    if (aws === undefined) {
      // Configuration guarantees credentials for bedrock keys; a hand-built config may not.
      throw new GatewayError(500, 'internal_error', `bedrock key ${input.key.id} has no AWS credentials`);
    }
    const tools = readTools(input.body);
    const body = JSON.stringify(toConverseRequest(input.body, input.upstreamModel, tools));
    const base = input.provider.baseUrl === BEDROCK_DEFAULT_BASE_URL ? BEDROCK_DEFAULT_BASE_URL.replace('{region}', aws.region) : input.provider.baseUrl;
    // Model ids hold ':' and ARNs '/', both escaped in the path (and signed double-escaped).
    const url = `${base}/model/${encodeURIComponent(input.upstreamModel)}/${input.stream ? 'converse-stream' : 'converse'}`;
    const headers = signV4({
      method: 'POST',
      url,
      headers: {
        ...input.provider.headers,
        'content-type': 'application/json',
        accept: input.stream ? 'application/vnd.amazon.eventstream' : 'application/json',
      },
      body,
      service: 'bedrock',
      credentials: aws,
      region: aws.region,
      now: this.clock(),
    });
    return { url, headers, body, droppedTools: tools.dropped };
  }

  parseResponse(text: string, context?: CallContext): ParsedResponse {
    return parseConverseResponse(text, context);
  }

  parseError(status: number, text: string): UpstreamErrorInfo {
    return parseBedrockError(status, text);
  }

  createStreamTranslator(context?: CallContext): StreamTranslator {
    return new BedrockStreamTranslator(context);
  }

  createStreamDecoder(): StreamDecoder {
    return new BedrockStreamDecoder();
  }
}
