import type { GatewayError, RequestLimits } from '@app/common';
import type { RequestType } from '@app/database';
import type { ResponsesRequest } from '@app/providers';

/** What a request-log row records as `request_type`, and the `request_type` metric label (defined with the log entity). */
export type { RequestType };

/**
 * A client's request decoded into the canonical form the pipeline runs on: the Responses API.
 * `egress` is the format's own memory of the request (a stream flag, `include_usage`, the model
 * name the client used...), handed back to it unchanged when the answer is encoded.
 */
export interface DecodedRequest<E = unknown> {
  // A format whose API has no stored responses sets `body.store = false` (Responses stores by default).
  body: ResponsesRequest;
  /**
   * The JSON text `body` was parsed from (set by the Responses format only): a stored
   * turn's input items are copied from it (toInputItemsJson). The conversation stage drops it.
   */
  bodyText?: string;
  stream: boolean;
  /** `provider/model` strings: the primary, then the request's own fallbacks. */
  models: string[];
  /** Whether fallbacks came in the request (they outrank policies). */
  hasRequestFallbacks: boolean;
  egress: E;
}

/** Turns canonical Responses stream events into the client's frames, one event at a time. */
export interface StreamEncoder {
  /** SSE text (possibly empty) to write for one canonical event; `data` is the event's JSON object. */
  event(type: string, data: Record<string, unknown>): string;
  /** Text to write after the last event (`data: [DONE]` for Chat Completions; '' for the rest). */
  end(): string;
}

/**
 * A wire format plugs in at ingress (decode) and egress (encode, errors) only; everything between
 * (plan, conversation, execute, settle) runs on the canonical Responses form.
 */
export interface WireFormat<E = unknown> {
  readonly requestType: RequestType;
  /**
   * The canonical format itself (Responses): the pipeline relays the upstream's own text, with
   * the gateway's fields spliced in (JSON bodies are not re-serialised, the terminal event is
   * not parsed), and never calls `encodeResponse` or `createStreamEncoder`.
   */
  readonly canonical?: boolean;
  /**
   * A header this API's clients carry the key in (Anthropic's `x-api-key`), read after `x-bf-vk`
   * and before `Authorization: Bearer`.
   */
  readonly apiKeyHeader?: string;
  /**
   * A header this API's clients read the request id from, set on every answer beside
   * `x-request-id` (Anthropic's `request-id`, the SDKs' `_request_id`).
   */
  readonly requestIdHeader?: string;
  /** Bounded and validated first; throws a 400 `GatewayError` naming the `param` on bad input. */
  decode(raw: Buffer, limits: RequestLimits): DecodedRequest<E>;
  /** A canonical Responses response object (`extra_fields` and `usage.cost` set) -> the client's JSON body. */
  encodeResponse(response: Record<string, unknown>, egress: E): string;
  createStreamEncoder(egress: E): StreamEncoder;
  /** An error in this format's shape (OpenAI's `{error: {...}}`, Anthropic's `{type: 'error', ...}`). */
  renderError(err: GatewayError, requestId: string): { status: number; body: string; headers: Record<string, string> };
}
