import { ErrorCode, GatewayError, internalErrorBody } from '@app/common';

export interface RenderedError {
  status: number;
  body: string;
  headers: Record<string, string>;
}

/** Anything that is not the gateway's own error is a 500 that hides internals and names the request id. */
export function asGatewayError(err: unknown, requestId: string): GatewayError {
  if (err instanceof GatewayError) return err;
  const body = internalErrorBody(requestId).error;
  return new GatewayError(500, ErrorCode.InternalError, body.message);
}

/** OpenAI's error shape, the gateway's own (Responses, models, stored responses). */
export function renderOpenAiError(err: GatewayError, requestId: string): RenderedError {
  return { status: err.status, body: JSON.stringify(err.toBody()), headers: { ...err.headers, 'x-request-id': requestId } };
}
