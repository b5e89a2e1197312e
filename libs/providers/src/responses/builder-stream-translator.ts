import type { CallContext, ResponsesStreamEvent, SseEvent, StreamTranslator, TerminalStatus, UpstreamErrorInfo, Usage } from '../types';
import { contextModel, ResponsesStreamBuilder } from './response-builder';

/**
 * The part of every translating provider's stream translator that is the same: a
 * ResponsesStreamBuilder for the call, whose terminal status, usage and error it reports.
 * Subclasses read their provider's events in push().
 */
export abstract class BuilderStreamTranslator implements StreamTranslator {
  protected readonly b: ResponsesStreamBuilder;

  constructor(ctx?: CallContext) {
    this.b = new ResponsesStreamBuilder({ model: contextModel(ctx), requestBody: ctx?.requestBody });
  }

  get terminal(): TerminalStatus | null {
    return this.b.terminal;
  }

  get usage(): Usage {
    return this.b.usage;
  }

  get streamError(): UpstreamErrorInfo | null {
    return this.b.streamError;
  }

  abort(err: { message: string; code: string }): ResponsesStreamEvent[] {
    return this.b.abort(err);
  }

  abstract push(ev: SseEvent): ResponsesStreamEvent[];
}
