import type { IncomingMessage, ServerResponse } from 'node:http';
import { Injectable, Logger } from '@nestjs/common';
// Per-request imports from their own modules: a barrel's re-export is a getter, megamorphic across its names.
import { errorText } from '@app/common/errors/error-text';
import { GatewayError } from '@app/common/errors/gateway-error';
import { idHeaders, type RequestIds, requestIds } from '@app/common/ids/request-id';
import { Cancellation } from '@app/providers/http/cancellation';
import { BackgroundResponses } from '../background/background-responses.service';
import { ConversationStage } from '../conversation/conversation.service';
import type { Turn } from '../conversation/turn';
import { asGatewayError } from '../edge/error-render';
import { cancelOnClientClose, sendError, sendJson } from '../edge/http-io';
import { ExecuteStage } from '../execute/execute.service';
import type { WireFormat } from '../formats/wire-format';
import { type Arrival, type Ingress, IngressStage } from '../ingress/ingress.service';
import { type Admitted, AdmissionStage } from '../plan/admission.service';
import { PlanStage } from '../plan/plan.service';
import { Outcome } from '../settle/outcome';
import { SettleStage } from '../settle/settle.service';

/**
 * One request through the stages, in order, each handed what the one before produced:
 * ingress -> plan -> conversation -> admission -> execute -> settle. Settle runs once, here,
 * whatever happened in between.
 */
@Injectable()
export class RequestPipeline {
  private readonly logger = new Logger(RequestPipeline.name);

  constructor(
    private readonly ingress: IngressStage,
    private readonly planStage: PlanStage,
    private readonly conversation: ConversationStage,
    private readonly admission: AdmissionStage,
    private readonly execute: ExecuteStage,
    private readonly settle: SettleStage,
    private readonly background: BackgroundResponses,
  ) {}

  handle<E>(format: WireFormat<E>, req: IncomingMessage, res: ServerResponse): void {
    const ids = requestIds(req.headers);
    let arrival: Arrival<E>;
    try {
      arrival = this.ingress.arrive(format, req, ids);
    } catch (err) {
      this.fail(format, req, res, ids, err);
      return;
    }
    this.ingress.receive(req, (raw) => this.received(arrival, raw, req, res), (err) => this.fail(format, req, res, ids, err));
  }

  /**
   * The body decoded here, outside `run`: a suspended async function keeps its parameters to its
   * end, and the raw body (up to the body limit, outside the heap) would be held as long as the
   * request, long enough to be promoted and then kept until a full collection.
   */
  private received<E>(arrival: Arrival<E>, raw: Buffer, req: IncomingMessage, res: ServerResponse): void {
    let ingress: Ingress<E>;
    try {
      ingress = this.ingress.decode(arrival, raw);
    } catch (err) {
      this.fail(arrival.format, req, res, arrival.ids, err);
      return;
    }
    void this.run(ingress, req, res);
  }

  /**
   * From the decoded body on. Awaits only what is pending for the request at hand: the stored
   * conversation, room for a turn to be stored while the database is behind, the key's limits
   * when it has any, the upstream. Every further await would
   * cost each request a turn of the microtask queue.
   */
  private async run<E>(ingress: Ingress<E>, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const { format, ids } = ingress;
    try {
      // Stored conversation resolved (memory first) before the body is translated for any provider.
      const resolved = this.conversation.resolve(this.planStage.plan(ingress));
      const conversation = resolved instanceof Promise ? await resolved : resolved;
      const admission = this.admission.admit(conversation);
      const admitted = admission instanceof Promise ? await admission : admission;
      const outcome = new Outcome(admitted);
      if (admitted.turn?.background) return await this.startBackground(admitted, admitted.turn, outcome, res);

      // The client leaving aborts whatever upstream call is in flight.
      const cancel = new Cancellation();
      cancelOnClientClose(res, cancel);
      try {
        await this.execute.run(admitted, outcome, res, cancel);
      } finally {
        this.settle.finish(outcome);
      }
    } catch (err) {
      this.fail(format, req, res, ids, err);
    }
  }

  private fail<E>(format: WireFormat<E>, req: IncomingMessage, res: ServerResponse, ids: RequestIds, err: unknown): void {
    if (!(err instanceof GatewayError)) this.logger.error(`request ${ids.requestId} failed: ${errorText(err)}`);
    if (res.headersSent) res.destroy();
    else sendError(req, res, format.renderError(asGatewayError(err, ids.requestId), ids.requestId), idHeaders(ids));
  }

  /** Execute, then settle whatever came of it (an error included): a background response's work. */
  private async executeAndSettle(admitted: Admitted, outcome: Outcome, cancel: Cancellation): Promise<void> {
    try {
      await this.execute.run(admitted, outcome, null, cancel);
    } finally {
      this.settle.finish(outcome);
    }
  }

  /**
   * `background: true`: stored as queued and answered at once; the same stages then run with no
   * client connection. Cancel aborts the upstream call.
   */
  private async startBackground<E>(admitted: Admitted<E>, turn: Turn, outcome: Outcome, res: ServerResponse): Promise<void> {
    let queued: Record<string, unknown>;
    try {
      queued = await this.background.create(turn, admitted.modelRequested);
    } catch (err) {
      // Nothing ran upstream: settling only releases the reservation.
      this.settle.finish(outcome);
      throw err;
    }
    const { format } = admitted;
    sendJson(res, 200, format.canonical ? JSON.stringify(queued) : format.encodeResponse(queued, admitted.request.egress), idHeaders(admitted.ids));
    this.background.run(turn, (signal) => this.executeAndSettle(admitted, outcome, Cancellation.fromSignal(signal)));
  }
}
