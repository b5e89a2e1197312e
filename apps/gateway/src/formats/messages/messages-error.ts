import type { GatewayError } from '@app/common';

/**
 * Errors in Anthropic's shape, `{"type": "error", "error": {"type", "message"}, "request_id"}`,
 * with the `request-id` header Anthropic's SDKs read (`err.requestID`), beside the gateway's
 * own `x-request-id`. The type follows the status as Anthropic's API documents it; the status
 * is the gateway's, so SDK retry rules (never on 401/402/403, `x-should-retry: false`) hold.
 */

const TYPE_BY_STATUS = new Map<number, string>([
  [400, 'invalid_request_error'],
  [401, 'authentication_error'],
  [402, 'billing_error'],
  [403, 'permission_error'],
  [404, 'not_found_error'],
  [408, 'timeout_error'],
  [413, 'request_too_large'],
  [429, 'rate_limit_error'],
  [500, 'api_error'],
  [502, 'api_error'],
  [503, 'overloaded_error'],
  [504, 'timeout_error'],
  [529, 'overloaded_error'],
]);

export function anthropicErrorType(status: number): string {
  return TYPE_BY_STATUS.get(status) ?? (status >= 500 ? 'api_error' : 'invalid_request_error');
}

export function renderMessagesError(err: GatewayError, requestId: string): { status: number; body: string; headers: Record<string, string> } {
  const body = { type: 'error', error: { type: anthropicErrorType(err.status), message: err.message }, request_id: requestId };
  return { status: err.status, body: JSON.stringify(body), headers: { ...err.headers, 'x-request-id': requestId, 'request-id': requestId } };
}
