import type { IncomingHttpHeaders } from 'node:http';
import { CLIENT_REQUEST_ID_PATTERN } from '../limits/request-limits';
import { uuidv7 } from './uuidv7';

/** The ids of one request, the same way on every route of both apps. */
export interface RequestIds {
  /** Always the gateway's own (the log's `request_id`, answered as `x-request-id`). */
  requestId: string;
  /** The client's valid `x-request-id`, kept as `client_request_id` and echoed as `x-client-request-id`. */
  clientRequestId: string | null;
  /** An `x-request-id` came but is not a valid id (the gateway's hot path refuses it; other routes ignore it). */
  invalid: boolean;
}

/**
 * Time-ordered like the log rows' ids (they land at the right edge of the log's indexes); a
 * client's id is kept beside it, never in its place.
 */
export function requestIds(headers: IncomingHttpHeaders): RequestIds {
  const header = headers['x-request-id'];
  const clientRequestId = typeof header === 'string' && CLIENT_REQUEST_ID_PATTERN.test(header) ? header : null;
  return { requestId: uuidv7(), clientRequestId, invalid: header !== undefined && clientRequestId === null };
}

/** The id headers every answer carries. */
export function idHeaders(ids: RequestIds): Record<string, string> {
  const headers: Record<string, string> = { 'x-request-id': ids.requestId };
  if (ids.clientRequestId !== null) headers['x-client-request-id'] = ids.clientRequestId;
  return headers;
}
