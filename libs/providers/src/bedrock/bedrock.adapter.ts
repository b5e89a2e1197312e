import { GatewayError, type ProviderConfig } from '@app/common';
import type { BuildRequestInput, CallContext, ParsedResponse, ProviderAdapter, StreamDecoder, StreamTranslator, UpstreamErrorInfo, UpstreamRequest } from '../types';
import { readTools } from '../responses/request-tools';
import { toConverseRequest } from './bedrock-request';
import { parseBedrockError, parseConverseResponse } from './bedrock-response';
import { BedrockStreamTranslator } from './bedrock-stream';
import { BedrockStreamDecoder } from './event-stream';
import { signedBedrockRequest } from './bedrock-endpoint';

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
    const tools = readTools(input.body);
    const body = JSON.stringify(toConverseRequest(input.body, input.upstreamModel, tools));
    const action = input.stream ? 'converse-stream' : 'converse';
    const accept = input.stream ? 'application/vnd.amazon.eventstream' : 'application/json';
    return { ...signedBedrockRequest(input.provider, input.key, input.upstreamModel, action, body, accept, this.clock()), droppedTools: tools.dropped };
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
