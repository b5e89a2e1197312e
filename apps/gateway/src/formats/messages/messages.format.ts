import type { GatewayError, RequestLimits } from '@app/common';
import type { StreamEncoder, WireFormat } from '../wire-format';
import { renderMessagesError } from './messages-error';
import { type DecodedMessagesRequest, type MessagesEgress, decodeMessagesRequest } from './messages-request';
import { toAnthropicMessage } from './messages-response';
import { MessagesStreamEncoder } from './messages-stream';

/** Anthropic's Messages API (`POST /v1/messages`) at the gateway's edges. */
export class MessagesFormat implements WireFormat<MessagesEgress> {
  readonly requestType = 'messages' as const;

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

/**
 * The virtual key as Anthropic clients send it: `x-api-key` (ANTHROPIC_API_KEY), else the
 * gateway's own headers (`x-bf-vk`, `Authorization: Bearer`, which ANTHROPIC_AUTH_TOKEN sends).
 * Returned as the `x-bf-vk` value the key cache reads first.
 */
export function messagesKeyHeader(headers: { 'x-api-key'?: string | string[]; 'x-bf-vk'?: string | string[] }): string | string[] | undefined {
  const vk = headers['x-bf-vk'];
  if (typeof vk === 'string' && vk !== '') return vk;
  const apiKey = headers['x-api-key'];
  return typeof apiKey === 'string' && apiKey !== '' ? apiKey : vk;
}
