import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { Request, Response } from 'express';
import { ErrorCode, errorText, GatewayError, idHeaders, requestIds } from '@app/common';
import { asGatewayError, renderOpenAiError } from './error-render';

/** The one error shape of the gateway (OpenAI's) for the routes Nest serves, rendered as the hot path renders it. */
@Catch()
export class GatewayExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('GatewayExceptionFilter');

  catch(exception: unknown, host: ArgumentsHost): void {
    const ctx = host.switchToHttp();
    const req = ctx.getRequest<Request>();
    const res = ctx.getResponse<Response>();
    const ids = requestIds(req.headers);
    let error: unknown = exception;
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      error = new GatewayError(status, status === 404 ? ErrorCode.NotFound : ErrorCode.InvalidRequest, status === 404 ? `Unknown route ${req.method} ${req.path}` : exception.message);
    } else if (!(exception instanceof GatewayError)) {
      this.logger.error(`request ${ids.requestId} failed: ${errorText(exception)}`);
    }
    const rendered = renderOpenAiError(asGatewayError(error, ids.requestId), ids.requestId);
    if (res.headersSent) {
      res.destroy();
      return;
    }
    res.status(rendered.status);
    for (const [k, v] of Object.entries({ ...idHeaders(ids), ...rendered.headers })) res.setHeader(k, v);
    res.setHeader('content-type', 'application/json; charset=utf-8');
    res.send(rendered.body);
  }
}
