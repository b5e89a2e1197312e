import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import type { Request, Response } from 'express';
import { ErrorCode, errorText, GatewayError, internalErrorBody, requestIds } from '@app/common';

const CODE_BY_STATUS: Record<number, string> = {
  [HttpStatus.BAD_REQUEST]: ErrorCode.InvalidRequest,
  [HttpStatus.UNAUTHORIZED]: ErrorCode.Unauthorized,
  [HttpStatus.NOT_FOUND]: ErrorCode.NotFound,
  [HttpStatus.PAYLOAD_TOO_LARGE]: ErrorCode.PayloadTooLarge,
};

function messageOf(exception: HttpException): string {
  const response = exception.getResponse();
  if (typeof response === 'string') return response;
  const message = (response as { message?: unknown }).message;
  if (typeof message === 'string') return message;
  if (Array.isArray(message) && typeof message[0] === 'string') return message.join('; ');
  return exception.message;
}

/**
 * Nest's own 4xx (unknown route, malformed JSON, body too large) keep their status and get
 * our body; a 5xx HttpException is treated like any other server fault.
 */
function fromHttpException(exception: HttpException): GatewayError | null {
  const status = exception.getStatus();
  if (status >= 500) return null;
  if (exception.cause instanceof SyntaxError && status === HttpStatus.BAD_REQUEST) {
    return GatewayError.invalidRequest(`The request body is not valid JSON: ${exception.cause.message}`);
  }
  return new GatewayError(status, CODE_BY_STATUS[status] ?? ErrorCode.InvalidRequest, messageOf(exception));
}

/** The admin app's one exception filter: every error leaves as `{error: {message, type, param, code}}`. */
@Catch()
export class AdminExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('AdminExceptionFilter');

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<Request>();
    const response = http.getResponse<Response>();
    // A valid client id serves as the request id here: the admin app keeps no request log that needs its own.
    const ids = requestIds(request.headers);
    const requestId = ids.clientRequestId ?? ids.requestId;

    const error =
      exception instanceof GatewayError ? exception : exception instanceof HttpException ? fromHttpException(exception) : null;
    if (error === null || error.status >= 500) {
      // Logged here, with the id the client sees, because the body says nothing else.
      this.logger.error(
        `request ${requestId} ${request.method} ${request.originalUrl ?? request.url} failed`,
        errorText(exception),
      );
    }
    if (response.headersSent) {
      response.destroy();
      return;
    }
    response.setHeader('x-request-id', requestId);
    if (error === null || error.status >= 500) {
      response.status(HttpStatus.INTERNAL_SERVER_ERROR).json(internalErrorBody(requestId));
      return;
    }
    for (const [name, value] of Object.entries(error.headers)) response.setHeader(name, value);
    response.status(error.status).json(error.toBody());
  }
}
