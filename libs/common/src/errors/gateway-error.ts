/**
 * Domain errors carry an OpenAI-style code and the HTTP status they map to; the
 * apps' exception filters and the gateway's hot handler translate them at the edge.
 */
export enum ErrorCode {
  InvalidRequest = 'invalid_request',
  InvalidApiKey = 'invalid_api_key',
  ModelNotAllowed = 'model_not_allowed',
  VirtualKeyInactive = 'virtual_key_inactive',
  VirtualKeyExpired = 'virtual_key_expired',
  ModelNotPriced = 'model_not_priced',
  BudgetExceeded = 'budget_exceeded',
  RateLimitExceeded = 'rate_limit_exceeded',
  ConcurrencyLimitExceeded = 'concurrency_limit_exceeded',
  NotFound = 'not_found',
  PayloadTooLarge = 'payload_too_large',
  RequestTimeout = 'request_timeout',
  UpstreamError = 'upstream_error',
  UpstreamTimeout = 'upstream_timeout',
  Unauthorized = 'unauthorized',
  InternalError = 'internal_error',
}

const TYPE_BY_STATUS: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  402: 'insufficient_quota',
  403: 'permission_error',
  404: 'invalid_request_error',
  408: 'invalid_request_error',
  413: 'invalid_request_error',
  429: 'rate_limit_error',
  502: 'upstream_error',
  504: 'upstream_error',
};

export interface ErrorBody {
  error: { message: string; type: string; param: string | null; code: string };
}

export class GatewayError extends Error {
  constructor(
    readonly status: number,
    readonly code: ErrorCode | string,
    message: string,
    readonly param: string | null = null,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'GatewayError';
  }

  get type(): string {
    return TYPE_BY_STATUS[this.status] ?? (this.status >= 500 ? 'server_error' : 'invalid_request_error');
  }

  toBody(): ErrorBody {
    return { error: { message: this.message, type: this.type, param: this.param, code: this.code } };
  }

  static invalidRequest(message: string, param: string | null = null): GatewayError {
    return new GatewayError(400, ErrorCode.InvalidRequest, message, param);
  }

  static notFound(message: string): GatewayError {
    return new GatewayError(404, ErrorCode.NotFound, message);
  }

  /** Refusals decided by the gateway: SDKs must not retry them. */
  static refusal(status: 401 | 402 | 403, code: ErrorCode, message: string): GatewayError {
    return new GatewayError(status, code, message, null, { 'x-should-retry': 'false' });
  }
}

/** The body every 500 gets: no internals, only the request id to find the log line. */
export function internalErrorBody(requestId: string): ErrorBody {
  return {
    error: {
      message: `Internal server error (request id ${requestId})`,
      type: 'server_error',
      param: null,
      code: ErrorCode.InternalError,
    },
  };
}
