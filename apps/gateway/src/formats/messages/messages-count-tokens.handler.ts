import type { IncomingMessage, ServerResponse } from 'node:http';
import { Injectable, Logger } from '@nestjs/common';
import { errorText, GatewayError, idHeaders, type RequestIds, requestIds } from '@app/common';
import { asGatewayError } from '../../edge/error-render';
import { sendError, sendJson } from '../../edge/http-io';
import { IngressStage } from '../../ingress/ingress.service';
import { PlanStage } from '../../plan/plan.service';
import { estimateInputTokens } from './messages-count-tokens';
import { messagesCountTokensFormat } from './messages.format';

/**
 * POST /v1/messages/count_tokens: the request enters and is planned as a Messages request would
 * be (key, bounds, the model known and allowed for the key), then estimated instead of executed:
 * no upstream call, no cost, no log row.
 */
@Injectable()
export class MessagesCountTokensHandler {
  private readonly logger = new Logger(MessagesCountTokensHandler.name);

  constructor(
    private readonly ingress: IngressStage,
    private readonly planStage: PlanStage,
  ) {}

  handle(req: IncomingMessage, res: ServerResponse): void {
    const ids = requestIds(req.headers);
    this.run(req, res, ids).catch((err: unknown) => {
      if (!(err instanceof GatewayError)) this.logger.error(`request ${ids.requestId} failed: ${errorText(err)}`);
      sendError(req, res, messagesCountTokensFormat.renderError(asGatewayError(err, ids.requestId), ids.requestId), idHeaders(ids));
    });
  }

  private async run(req: IncomingMessage, res: ServerResponse, ids: RequestIds): Promise<void> {
    const ingress = await this.ingress.accept(messagesCountTokensFormat, req, ids);
    this.planStage.plan(ingress);
    sendJson(res, 200, JSON.stringify({ input_tokens: estimateInputTokens(ingress.request.body) }), { ...idHeaders(ids), 'request-id': ids.requestId });
  }
}
