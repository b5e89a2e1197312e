import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { Request, Response } from 'express';
import { CLIENT_REQUEST_ID_PATTERN, ErrorCode, GatewayError, internalErrorBody, uuidv7 } from '@app/common';

/** The one error shape of the gateway (OpenAI's) for the routes Nest serves. */
@Catch()
export class GatewayExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('GatewayExceptionFilter');

  catch(exception: unknown, host: ArgumentsHost): void {
    const ctx = host.switchToHttp();
    const req = ctx.getRequest<Request>();
    const res = ctx.getResponse<Response>();
    // The gateway's own id; a client's is echoed beside it, never taken for it.
    const requestId = uuidv7();
    const clientId = req.headers['x-request-id'];
    if (typeof clientId === 'string' && CLIENT_REQUEST_ID_PATTERN.test(clientId)) res.setHeader('x-client-request-id', clientId);
    let error: GatewayError;
    if (exception instanceof GatewayError) error = exception;
    else if (exception instanceof HttpException) {
      const status = exception.getStatus();
      error = new GatewayError(status, status === 404 ? ErrorCode.NotFound : ErrorCode.InvalidRequest, status === 404 ? `Unknown route ${req.method} ${req.path}` : exception.message);
    } else {
      this.logger.error(`request ${requestId} failed: ${(exception as Error)?.stack ?? String(exception)}`);
      res.status(500).setHeader('x-request-id', requestId);
      res.json(internalErrorBody(requestId));
      return;
    }
    res.status(error.status);
    res.setHeader('x-request-id', requestId);
    for (const [k, v] of Object.entries(error.headers)) res.setHeader(k, v);
    res.json(error.toBody());
  }
}
