import type { GatewayError, RequestLimits } from '@app/common';
import type { DecodedRequest, StreamEncoder, WireFormat } from '../wire-format';
import { type ChatEgress, decodeChatRequest } from './chat-completions-request';
import { encodeChatCompletion } from './chat-completions-response';
import { ChatCompletionStreamEncoder } from './chat-completions-stream';

/** OpenAI Chat Completions (`POST /v1/chat/completions`) at the gateway's edges. */
export class ChatCompletionsFormat implements WireFormat<ChatEgress> {
  readonly requestType = 'chat_completions' as const;

  decode(raw: Buffer, limits: RequestLimits): DecodedRequest<ChatEgress> {
    return decodeChatRequest(raw, limits);
  }

  encodeResponse(response: Record<string, unknown>): string {
    return JSON.stringify(encodeChatCompletion(response));
  }

  createStreamEncoder(egress: ChatEgress): StreamEncoder {
    return new ChatCompletionStreamEncoder(egress);
  }

  /** OpenAI's error shape, the one the gateway uses everywhere else. */
  renderError(err: GatewayError): { status: number; body: string; headers: Record<string, string> } {
    return { status: err.status, body: JSON.stringify(err.toBody()), headers: { ...err.headers } };
  }
}
