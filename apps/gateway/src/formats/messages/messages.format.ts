import type { GatewayError, RequestLimits } from '@app/common';
import type { StreamEncoder, WireFormat } from '../wire-format';
import { renderMessagesError } from './messages-error';
import { type DecodedMessagesRequest, type MessagesEgress, decodeMessagesRequest } from './messages-request';
import { toAnthropicMessage } from './messages-response';
import { MessagesStreamEncoder } from './messages-stream';

/** Anthropic's Messages API (`POST /v1/messages`) at the gateway's edges. */
export class MessagesFormat implements WireFormat<MessagesEgress> {
  readonly requestType = 'messages' as const;
  /** What ANTHROPIC_API_KEY is sent as (ANTHROPIC_AUTH_TOKEN goes as `Authorization: Bearer`). */
  readonly apiKeyHeader = 'x-api-key';
  /** Anthropic's SDKs expose it as `_request_id` (errors carry it too, see messages-error.ts). */
  readonly requestIdHeader = 'request-id';

  decode(raw: Buffer, limits: RequestLimits): DecodedMessagesRequest {
    return decodeMessagesRequest(raw, limits);
  }

  encodeResponse(response: Record<string, unknown>, egress: MessagesEgress): string {
    return JSON.stringify(toAnthropicMessage(response, egress));
  }

  createStreamEncoder(egress: MessagesEgress): StreamEncoder {
    return new MessagesStreamEncoder(egress);
  }

  renderError(err: GatewayError, requestId: string): { status: number; body: string; headers: Record<string, string> } {
    return renderMessagesError(err, requestId);
  }
}

/** `POST /v1/messages/count_tokens` reads the same body, without `max_tokens`; it is never executed. */
export class MessagesCountTokensFormat extends MessagesFormat {
  override decode(raw: Buffer, limits: RequestLimits): DecodedMessagesRequest {
    return decodeMessagesRequest(raw, limits, { countTokens: true });
  }
}

export const messagesFormat = new MessagesFormat();
export const messagesCountTokensFormat = new MessagesCountTokensFormat();
